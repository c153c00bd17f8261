// Shared by the socket tests: one PKI pair per test file, the simulator, and a hub with the opc_ua adapter.
import { mkdtempSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, auth, KEYS, type TestHub } from '../../../test/helpers/hub.ts';
import { OpcUaSim, DEFAULT_USER, type SimOptions } from '../sim/server.ts';
import { simRegistry, SIM_NAMESPACE } from '../sim/points.ts';
import { openPki, ownCertificateFile } from '../pki.ts';
import { identityOfBlock } from '../identity.ts';

/** The hub's identity with the config schema's defaults (what a config without these fields gets). */
export const HUB_ID = identityOfBlock(undefined);

export function tempDir(t: Tap.Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Create the hub's certificate in `pkiDir` (as the adapter's start() would) and return the PEM file. */
export async function hubCertificate(pkiDir: string): Promise<string> {
  const cm = await openPki(pkiDir, HUB_ID);
  await cm.dispose();
  return ownCertificateFile(pkiDir);
}

/** Put a certificate file into a PKI's trusted list (what an operator does on either side). */
export function trustFile(pkiDir: string, certFile: string, name: string): void {
  mkdirSync(join(pkiDir, 'trusted', 'certs'), { recursive: true });
  copyFileSync(certFile, join(pkiDir, 'trusted', 'certs', `${name}.pem`));
}

export const simCertificate = (sim: OpcUaSim) => join(sim.opts.pkiDir, 'own', 'certs', 'certificate.pem');

export async function startSim(t: Tap.Test, opts: SimOptions): Promise<OpcUaSim> {
  const sim = new OpcUaSim(opts);
  await sim.start();
  t.teardown(() => sim.stop());
  return sim;
}

export interface HubOptions { pkiDir: string; endpoint?: Record<string, unknown>; items?: Array<Record<string, unknown>>; extra?: Record<string, unknown>; moreEndpoints?: Array<Record<string, unknown>>;
  /** Extra points of the simulator's device (e.g. for `manual` variables): field, indicator, source unit. */
  points?: Array<{ field: string; indicator: string; unit: string }> }

/** A hub (PGlite) whose opc_ua adapter subscribes to the simulator, and whose registry knows its points. */
export async function startOpcHub(t: Tap.Test, sim: OpcUaSim, o: HubOptions): Promise<TestHub> {
  const gen = simRegistry(sim.items, { url: sim.url, user: DEFAULT_USER });
  const ep = { ...gen.adapters.opc_ua.endpoints[0]!, publishing_interval_ms: 200, sampling_interval_ms: 200, ...(o.items ? { items: o.items } : {}), ...o.endpoint };
  const h = await startTestHub('pglite', (c) => {
    c.adapters = { opc_ua: { endpoints: [ep, ...(o.moreEndpoints ?? []).map((m) => ({ ...ep, ...m }))], pki_dir: o.pkiDir, reconnect_initial_delay_ms: 200, reconnect_max_delay_ms: 1000, retry_unresolved_s: 1, batch_max_wait_ms: 10, ...o.extra } };
    c.registry.sites.push(...gen.registry.sites as never[]);
    c.registry.devices.push(...gen.registry.devices as never[]);
    c.registry.points.push(...gen.registry.points as never[]);
    const dev = gen.registry.devices[0]!.code;
    c.registry.points.push(...(o.points ?? []).map((p) => ({ code: `${dev}-${p.field}`, device: dev, indicator: p.indicator, field: p.field, source_unit: p.unit })) as never[]);
  });
  t.teardown(() => h.cleanup());
  return h;
}

export interface EndpointHealth {
  key: string; state: string; outage_start?: string; last_error?: { code: string; message: string }; reconnections: number; values: number;
  items: { configured: number; monitored: number; unresolved: number }; unresolved?: Array<{ name: string; code: string; reason: string }>;
}

export async function health(h: TestHub): Promise<{ status: string; endpoints: EndpointHealth[] }> {
  const list = (await h.hub.app.inject({ url: '/v1/adapters', headers: auth(KEYS.read) })).json() as { data: Array<{ name: string; health: { status: string; detail: { endpoints: EndpointHealth[] } } }> };
  const a = list.data.find((x) => x.name === 'opc_ua')!;
  return { status: a.health.status, endpoints: a.health.detail.endpoints };
}

export interface Obs { point: string; time: string; value: number | null; quality: { source_flag: string; flags: string[]; warnings: string[] }; source: { received_at: string } }

export async function observations(h: TestHub, point: string): Promise<Obs[]> {
  const r = await h.hub.app.inject({ url: `/v1/observations?point=${point}&limit=10000`, headers: auth(KEYS.read) });
  return (r.json() as { data: Obs[] }).data;
}

/** Poll until `check` returns a truthy value (or fail after `ms`). */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export { SIM_NAMESPACE, DEFAULT_USER };
