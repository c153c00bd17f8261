import { readFileSync } from 'node:fs';
import type { PublisherManifest } from '../../hub/sdk/index.ts';

export const manifest: PublisherManifest = {
  id: 'http_push',
  version: '0.1.0',
  title: 'HTTP push',
  description: 'Batches of observations POSTed to an upstream endpoint as JSON or protobuf, with an Idempotency-Key and an HMAC signature; or alarm events, as JSON or a group-chat robot\'s body.',
  stability: 'alpha',
  streams: ['observations', 'alarms'],
  configSchema: JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')),
};

/** Config after validation (defaults filled). */
export interface HttpPushConfig {
  url: string;
  method: 'POST' | 'PUT';
  format: 'json' | 'protobuf';
  headers: Record<string, string>;
  timeout_ms: number;
  success_field?: string;
  signing?: { secret: string; algorithm: 'hmac-sha256' | 'hmac-sm3'; header: string; timestamp_header: string };
}
