import { readFileSync } from 'node:fs';
import type { PublisherManifest } from '../../hub/sdk/index.ts';

export const manifest: PublisherManifest = {
  id: 'hj212_upstream',
  version: '0.1.0',
  title: 'HJ 212 upstream',
  description: 'Forwards observations to a provincial/national platform as HJ 212 stations over TCP (9014 per frame) and answers its history requests.',
  stability: 'alpha',
  configSchema: JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')),
};

export interface StationConfig {
  mn: string; pw: string; st: string; site?: string; devices?: string[]; factors: Record<string, string>;
}

/** Config after validation (defaults filled). */
export interface UpstreamConfig {
  host: string; port: number;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; reject_unauthorized?: boolean };
  version: '2005' | '2017' | '2025'; crc: 'hj212' | 'modbus' | 'modbus_le';
  timeout_s: number; recount: number; max_data_length: number; timezone: string;
  reconnect_initial_s: number; reconnect_max_s: number;
  history: { enabled: boolean; frames_per_second: number; max_frames: number };
  stations: StationConfig[];
}
