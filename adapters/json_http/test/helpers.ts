// A real hub listening on loopback with the json_http adapter configured, for the webhook tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { testConfig, KEYS } from '../../../test/helpers/hub.ts';
import { startHub, type Hub } from '../../../hub/hub.ts';

export { KEYS };
export const SECRET = 'a-long-shared-webhook-secret-1234';
export const SM3_SECRET = 'another-long-sm3-webhook-secret!';
export const fixture = (f: string) => new URL(`./fixtures/${f}`, import.meta.url).pathname;

const dev = (code: string, site: string, key: string) => ({ code, site, name: code, identities: [{ protocol: 'json_http', key }] });

export const registry = {
  sites: [],
  devices: [dev('GD-001', 'GS-001', 'GD-001'), dev('GD-002', 'GS-001', 'GD-002'), dev('MH-0001', 'DR-001', 'MH-0001'), dev('MH-0002', 'DR-001', 'MH-0002')],
  points: [
    { code: 'GD-001-CH4', device: 'GD-001', indicator: 'gas.underground_space_concentration', field: 'methane' },
    { code: 'GD-002-CH4', device: 'GD-002', indicator: 'gas.underground_space_concentration', field: 'methane' },
    { code: 'MH-0001-L', device: 'MH-0001', indicator: 'drainage.pipe_level', field: 'level' },
    { code: 'MH-0002-L', device: 'MH-0002', indicator: 'drainage.pipe_level', field: 'level' },
  ],
};

export const profiles = {
  gas: { mapping: 'flat-reading' },
  'gas-signed': { mapping: 'flat-reading', auth: 'hmac', hmac: { header: 'X-Signature', secret: SECRET, timestamp_header: 'X-Timestamp', max_skew_s: 300 } },
  'gas-sm3': { mapping: 'flat-reading', auth: 'hmac', hmac: { header: 'X-Sign', algorithm: 'sm3', encoding: 'base64', prefix: 'sm3=', secret_env: 'TEST_SM3_SECRET' } },
  manholes: { mapping: 'device-array', body_limit_bytes: 2000 },
  // As the fuzzer's: HMAC-signed, with the default 1 MB body limit (payloads of many values).
  'manholes-signed': { mapping: 'device-array', auth: 'hmac', hmac: { header: 'X-Signature', secret: SECRET, timestamp_header: 'X-Timestamp', max_skew_s: 300 } },
  odd: { mapping: fixture('positional-rows.yaml') },
};

export async function startWebhookHub(): Promise<{ hub: Hub; url: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-json-http-'));
  const loaded = testConfig(dir, (c) => {
    (c.adapters as Record<string, unknown>).json_http = { profiles };
    const r = c.registry as unknown as { devices: unknown[]; points: unknown[] };
    r.devices.push(...registry.devices);
    r.points.push(...registry.points);
  });
  process.env.TEST_SM3_SECRET = SM3_SECRET;
  const hub = await startHub(loaded, { logger: pino({ level: 'silent' }), env: {} });
  return { hub, url: hub.url, async cleanup() { await hub.stop(); rmSync(dir, { recursive: true, force: true }); } };
}
