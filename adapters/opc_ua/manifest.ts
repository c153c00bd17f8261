import type { AdapterManifest } from '../../hub/sdk/index.ts';
import { opcuaCommands } from './cli-commands.ts';
import { configSchema } from './schema.ts';

export const manifest: AdapterManifest = {
  id: 'opc_ua',
  version: '0.1.0',
  title: 'OPC UA',
  description: 'OPC UA client: monitored items (NodeId or browse path) on SCADA/PLC servers, secure channels, status → quality, reconnection.',
  direction: 'subscribe',
  stability: 'alpha',
  capabilities: { acknowledges: false, commands: false, history: false },
  conformance: { driver: () => import('./contract-driver.ts') },
  configSchema,
  commands: opcuaCommands,
};

export interface ItemConfig {
  name: string; node_id?: string; browse_path?: string; device?: string;
  sampling_interval_ms?: number; queue_size?: number; deadband?: { type: 'absolute' | 'percent'; value: number };
}

export interface EndpointConfig {
  key: string; url: string;
  security_mode: 'None' | 'Sign' | 'SignAndEncrypt';
  security_policy: 'None' | 'Basic128Rsa15' | 'Basic256' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';
  auth?: { type: 'anonymous' | 'username' | 'certificate'; username?: string; password?: string; certificate?: string; private_key?: string };
  namespace?: string | number;
  publishing_interval_ms: number; sampling_interval_ms: number; queue_size: number;
  items: ItemConfig[];
}

/** Config after validation (defaults filled). */
export interface OpcUaConfig {
  endpoints: EndpointConfig[];
  pki_dir?: string; accept_unknown_certificates: boolean;
  application_name: string; application_uri: string; certificate_subject: string;
  session_timeout_ms: number; request_timeout_ms: number;
  reconnect_initial_delay_ms: number; reconnect_max_delay_ms: number; retry_unresolved_s: number;
  batch_max_records: number; batch_max_wait_ms: number;
}
