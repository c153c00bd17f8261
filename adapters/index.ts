// Built-in adapters, by id. Loaded lazily: an adapter's dependencies load only when it is configured.
import type { AdapterDefinition } from '../hub/sdk/index.ts';

export const builtinAdapters: Record<string, () => Promise<{ default: AdapterDefinition<never> }>> = {
  hj212: () => import('./hj212/index.ts') as never,
  // modbus_tcp, opc_ua, json_mqtt, json_http, sql_poll register here as they land.
};
