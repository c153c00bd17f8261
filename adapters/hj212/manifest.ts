import { readFileSync } from 'node:fs';
import type { AdapterManifest } from '../../hub/sdk/index.ts';
import { hj212Commands } from './cli-commands.ts';

export const manifest: AdapterManifest = {
  id: 'hj212',
  version: '0.1.0',
  title: 'HJ 212',
  description: 'HJ 212-2005/2017/2025 data collectors over TCP: uploads acknowledged (9014) after commit, commands to stations.',
  direction: 'listen',
  stability: 'alpha',
  capabilities: { acknowledges: true, commands: true, history: true },
  conformance: { driver: () => import('./contract-driver.ts') },
  configSchema: JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')),
  commands: hj212Commands,
};

/** Config after validation (defaults filled). */
export interface Hj212Config {
  host: string; port: number; mode: 'strict' | 'lenient'; max_data_length: number; idle_timeout_s: number; frame_timeout_s: number;
  max_connections: number; max_connections_per_ip: number; max_pending_frames: number;
  unknown_mn: 'quarantine' | 'reject'; ack_without_flag: boolean; segment_expiry_s: number;
  command_timeout_s: number; command_retries: number; timezone?: string; tls?: { cert: string; key: string };
}
