import { readFileSync } from 'node:fs';
import type { AdapterManifest } from '../../hub/sdk/index.ts';

export const manifest: AdapterManifest = {
  id: 'json_mqtt',
  version: '0.1.0',
  title: 'JSON over MQTT',
  description: 'Subscribes to MQTT topics (3.1.1/5, TLS); JSON payloads mapped by profile; PUBACK only after commit.',
  direction: 'subscribe',
  stability: 'alpha',
  capabilities: { acknowledges: true, commands: false, history: false },
  conformance: { driver: () => import('./contract-driver.ts') },
  configSchema: JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')),
};

/** One subscription after validation (defaults filled). */
export interface JsonMqttSubscription { topic: string; profile: string | Record<string, unknown>; qos: 0 | 1 }

/** Config after validation (defaults filled). */
export interface JsonMqttConfig {
  broker: {
    url: string; username?: string; password?: string; password_env?: string; ca?: string; cert?: string; key?: string;
    reject_unauthorized: boolean; protocol_version: 4 | 5; client_id: string; clean: boolean;
    session_expiry_s: number; keepalive: number; reconnect_period_ms: number; connect_timeout_ms: number;
  };
  subscriptions: JsonMqttSubscription[];
  max_payload_bytes: number;
  non_json: 'quarantine' | 'drop';
  max_in_flight: number;
  batch_max_records: number;
  batch_max_wait_ms: number;
  timezone?: string;
}
