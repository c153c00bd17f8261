// Built-in adapters, by id. Loaded lazily: an adapter's dependencies load only when it is configured.
import type { AdapterDefinition, AdapterManifest, PublisherDefinition, PublisherManifest } from '../hub/sdk/index.ts';

export const builtinAdapters: Record<string, () => Promise<{ default: AdapterDefinition<never> }>> = {
  hj212: () => import('./hj212/index.ts') as never,
  modbus_tcp: () => import('./modbus_tcp/index.ts') as never,
  sql_poll: () => import('./sql_poll/index.ts') as never,
  json_http: () => import('./json_http/index.ts') as never,
  json_mqtt: () => import('./json_mqtt/index.ts') as never,
  opc_ua: () => import('./opc_ua/index.ts') as never,
  // modbus_tcp, opc_ua, json_mqtt, json_http, sql_poll register here as they land.
};

// Built-in publishers (upstream targets), by id; `publish.targets.<name>.type` names one.
export const builtinPublishers: Record<string, () => Promise<{ default: PublisherDefinition<never> }>> = {
  http_push: () => import('./http_push/index.ts') as never,
  hj212_upstream: () => import('./hj212_upstream/index.ts') as never,
  mqtt_publish: () => import('./mqtt_publish/index.ts') as never,
};

// Their manifests alone (light: no protocol library loads), for what reads manifests without running an adapter:
// the `lifeline` CLI lists and dispatches the commands they declare.
export const builtinManifests: Record<string, () => Promise<{ manifest: AdapterManifest | PublisherManifest }>> = {
  hj212: () => import('./hj212/manifest.ts'),
  modbus_tcp: () => import('./modbus_tcp/manifest.ts'),
  sql_poll: () => import('./sql_poll/manifest.ts'),
  json_http: () => import('./json_http/manifest.ts'),
  json_mqtt: () => import('./json_mqtt/manifest.ts'),
  opc_ua: () => import('./opc_ua/manifest.ts'),
  http_push: () => import('./http_push/manifest.ts'),
  hj212_upstream: () => import('./hj212_upstream/manifest.ts'),
  mqtt_publish: () => import('./mqtt_publish/manifest.ts'),
};
