import { readFileSync } from 'node:fs';
import type { PublisherManifest } from '../../hub/sdk/index.ts';

export const manifest: PublisherManifest = {
  id: 'mqtt_publish',
  version: '0.1.0',
  title: 'MQTT publish',
  description: 'Publishes observations (or alarm events) as JSON to an MQTT broker (QoS 1, done on PUBACK) on topics built from each observation (or alarm).',
  stability: 'alpha',
  streams: ['observations', 'alarms'],
  configSchema: JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')),
};

/** Config after validation (defaults filled). */
export interface MqttPublishConfig {
  url: string; client_id?: string; username?: string; password?: string;
  tls?: { ca?: string; cert?: string; key?: string; reject_unauthorized?: boolean };
  protocol_version: 4 | 5; topic: string; payload: 'observation' | 'batch'; qos: 1 | 2; retain: boolean;
  timeout_s: number; connect_timeout_s: number; reconnect_s: number; keepalive_s: number;
}
