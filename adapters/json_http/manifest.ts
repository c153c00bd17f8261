import { readFileSync } from 'node:fs';
import type { AdapterManifest } from '../../hub/sdk/index.ts';

export const manifest: AdapterManifest = {
  id: 'json_http',
  version: '0.1.0',
  title: 'JSON over HTTP (webhooks)',
  description: 'Vendor webhooks POST /v1/ingest/<profile>: JSON mapped by a declarative profile, API key or HMAC (sha256/sm3) auth, 2xx only after commit.',
  direction: 'listen',
  stability: 'alpha',
  capabilities: { acknowledges: true, commands: false, history: false },
  conformance: { driver: () => import('./contract-driver.ts') },
  configSchema: JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')),
};

export interface HmacConfig {
  header: string; algorithm: 'sha256' | 'sm3'; encoding: 'hex' | 'base64'; prefix: string;
  secret?: string; secret_env?: string; timestamp_header?: string; max_skew_s: number;
}

export interface EndpointConfig {
  mapping?: string | Record<string, unknown>;
  auth: 'api_key' | 'hmac';
  hmac?: HmacConfig;
  vars: Record<string, string>;
  identity_protocol: string;
  timezone?: string;
  body_limit_bytes: number;
}

/** Config after validation (defaults filled). */
export interface JsonHttpConfig { profiles: Record<string, EndpointConfig> }
