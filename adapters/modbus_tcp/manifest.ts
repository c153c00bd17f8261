import { readFileSync } from 'node:fs';
import type { AdapterManifest } from '../../hub/sdk/index.ts';
import type { ProfilePoint } from './profile.ts';
import { modbusCommands } from './cli-commands.ts';

export const configSchema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

export const manifest: AdapterManifest = {
  id: 'modbus_tcp',
  version: '0.1.0',
  title: 'Modbus TCP',
  description: 'Polls PLCs, RTUs and transmitters over Modbus TCP with register maps as data (device profiles); optional writes.',
  direction: 'poll',
  stability: 'alpha',
  capabilities: { acknowledges: false, commands: true, history: false },
  conformance: { driver: () => import('./contract-driver.ts') },
  configSchema,
  commands: modbusCommands,
};

/** One device entry after validation. */
export interface ModbusDeviceConfig {
  device?: string; host: string; port: number; unit_id: number; profile?: string; points?: ProfilePoint[];
  interval_ms?: number; timeout_ms?: number; retries?: number; max_registers_per_request?: number; max_gap_registers?: number; writes?: boolean;
}

/** Config after validation (defaults filled). */
export interface ModbusConfig {
  devices: ModbusDeviceConfig[]; profiles_dir?: string;
  interval_ms: number; timeout_ms: number; retries: number;
  max_registers_per_request: number; max_bits_per_request: number; max_gap_registers: number; max_gap_bits: number;
  reconnect_initial_ms: number; reconnect_max_ms: number; reconnect_jitter: number; writes: boolean;
  batch_max_records: number; batch_max_wait_ms: number;
}
