// Outage: a Modbus / OPC UA server killed for 60 s, then back on the same port → readings resume ≤ 10 s, health showed it.
//
// Per protocol: the simulator runs in a child process (`lifeline sim modbus` 5 devices / `lifeline sim opcua` 10
// items, 1 s interval/sampling), the hub in this process (PGlite in a temp dir) with the adapter's DEFAULT reconnect
// settings. Once readings are stored the simulator is killed with SIGKILL (a power cut); for the outage the
// adapter's health is read every second through GET /v1/adapters (API key) and must show the outage; Modbus polls
// in the outage must be stored as bad readings (value null). The simulator is then started again on the same port
// (OPC UA: the same PKI folder, so the hub's trust holds) and the time from "listening again" to the first — and to
// the last device's / item's — new good reading (source time after the restart) stored is measured; target ≤ 10 s.
// The hub is never restarted. `--outage-s 5` for a quick try.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { BenchUsageError } from './lib/errors.ts';

const usage = 'npm run bench -- outage [--only modbus|opcua] [--outage-s 60] [--devices 5] [--items 10] [--log error|warn|info]';
const TARGET_S = 10;
const KEY = 'bench-outage';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const GOOD = "value IS NOT NULL AND NOT ('bad' = ANY(flags))";

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Spawn `lifeline sim <kind> …`; resolves when `ready` matches its output, with the time that happened. */
function startSim(kind: string, args: string[], ready: RegExp): Promise<{ proc: ChildProcess; out: () => string; upAt: number }> {
  const proc = spawn(process.execPath, [new URL('../bin/lifeline.js', import.meta.url).pathname, 'sim', kind, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`simulator did not start:\n${out}`)); }, 120_000);
    const on = (d: Buffer) => {
      out += d;
      if (ready.test(out)) { clearTimeout(t); proc.stdout!.off('data', on); proc.stderr!.off('data', on); resolve({ proc, out: () => out, upAt: Date.now() }); }
    };
    proc.stdout!.on('data', on); proc.stderr!.on('data', on);
    proc.once('exit', (c) => { clearTimeout(t); reject(new Error(`simulator exited ${c}:\n${out}`)); });
  });
}

async function killHard(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}

interface Health { status: string; detail: Record<string, unknown> }
async function adapterHealth(hub: Hub, name: string): Promise<Health> {
  const res = await hub.app.inject({ url: '/v1/adapters', headers: { authorization: `Bearer ${KEY}` } });
  if (res.statusCode !== 200) throw new Error(`GET /v1/adapters: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return ((res.json() as { data: Array<{ name: string; health: Health }> }).data.find((a) => a.name === name))!.health;
}

/** Does this health show the outage, and how does it read (one line)? */
type Reading = { shows: boolean; text: string };
function modbusView(h: Health): Reading {
  const d = h.detail as { devices_total: number; devices_down: number; devices: Array<{ connected: boolean; last_error: { code: string } | null }> };
  const disconnected = d.devices.filter((x) => !x.connected).length;
  const codes = [...new Set(d.devices.map((x) => x.last_error?.code).filter(Boolean))].join(',');
  return { shows: h.status !== 'ok' && d.devices_down === d.devices_total, text: `${h.status}, ${d.devices_down}/${d.devices_total} devices down (${disconnected} not connected${codes ? `; last_error ${codes}` : ''})` };
}
function opcuaView(h: Health): Reading {
  const eps = (h.detail.endpoints ?? []) as Array<{ state: string; outage_start?: string; last_error?: { code: string } }>;
  const ep = eps[0];
  if (!ep) return { shows: h.status !== 'ok', text: `${h.status}, no endpoint` };
  return {
    shows: h.status !== 'ok' && ep.state !== 'connected' && !!ep.outage_start,
    text: `${h.status}, endpoint ${ep.state}${ep.outage_start ? ', outage_start set' : ''}${ep.last_error ? `, last_error ${ep.last_error.code}` : ''}`,
  };
}

interface Case {
  proto: 'modbus' | 'opcua'; adapter: 'modbus_tcp' | 'opc_ua'; sources: number; sourceWord: string;
  view: (h: Health) => Reading;
  /** Start the simulator (first time: writes the hub config) → its port and the config file. */
  first: (dir: string) => Promise<{ proc: ChildProcess; port: number; config: string }>;
  again: (dir: string, port: number) => Promise<{ proc: ChildProcess; upAt: number }>;
  /** Per stored row: which device / item it belongs to (SQL expression). */
  sourceExpr: string;
}

function modbusCase(devices: number): Case {
  const ready = /Modbus TCP devices .* on /;
  const args = (port: number) => ['--devices', String(devices), '--port', String(port), '--profile', 'water_pressure_transmitter', '--prefix', 'OUT', '--interval-ms', '1000'];
  return {
    proto: 'modbus', adapter: 'modbus_tcp', sources: devices, sourceWord: 'devices', view: modbusView, sourceExpr: 'device_id',
    async first(dir) {
      const port = await freePort();
      const config = join(dir, 'hub.yaml');
      const s = await startSim('modbus', [...args(port), '--registry-out', config], ready);
      return { proc: s.proc, port, config };
    },
    async again(_dir, port) { const s = await startSim('modbus', args(port), ready); return { proc: s.proc, upAt: s.upAt }; },
  };
}

function opcuaCase(items: number): Case {
  const ready = /sim opcua: listening on opc\.tcp:\/\/[^\s]*:(\d+)/;
  const args = (dir: string, port: number) => ['--port', String(port), '--items', String(items), '--interval-ms', '250', '--accept-clients', '--pki-dir', join(dir, 'sim-pki')];
  return {
    proto: 'opcua', adapter: 'opc_ua', sources: items, sourceWord: 'items', view: opcuaView, sourceExpr: 'point_id',
    async first(dir) {
      const config = join(dir, 'hub.yaml');
      const s = await startSim('opcua', [...args(dir, 0), '--registry-out', config, '--data-dir', join(dir, 'data'), '--sampling-ms', '1000'], /sim opcua: wrote/);
      const port = Number(ready.exec(s.out())![1]);
      return { proc: s.proc, port, config };
    },
    async again(dir, port) { const s = await startSim('opcua', args(dir, port), ready); return { proc: s.proc, upAt: s.upAt }; },
  };
}

async function runCase(k: Case, outageS: number, logLevel: string): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), `lifeline-bench-outage-${k.proto}-`));
  let sim: ChildProcess | undefined;
  let hub: Hub | undefined;
  const bound = setTimeout(() => { console.error(`outage ${k.proto}: over its time bound; aborting`); process.exit(1); }, (outageS + 180) * 1000);
  try {
    const t0 = Date.now();
    const s = await k.first(dir);
    sim = s.proc;
    const loaded = loadConfig(s.config, {});
    const c = loaded.config;
    if (k.proto === 'modbus') c.data_dir = join(dir, 'data'); // the opcua sim already points it at <dir>/data (its PKI trust is there)
    c.server.port = 0; c.server.host = '127.0.0.1';
    c.api.keys = [];
    // Default reconnect settings on purpose: nothing about reconnection is set here.
    const block = (c.adapters as Record<string, Record<string, unknown>>)[k.adapter]!;
    const reconnectKeys = Object.keys(block).filter((x) => x.startsWith('reconnect')).concat(...((block.endpoints as Array<Record<string, unknown>> | undefined) ?? []).map((e) => Object.keys(e).filter((x) => x.startsWith('reconnect'))));
    if (reconnectKeys.length) throw new Error(`the generated config sets ${reconnectKeys.join(', ')}: the bench must run on the defaults`);
    hub = await startHub(loaded, { listen: false, logger: pino({ level: logLevel }), env: { LIFELINE_API_KEY: KEY } });
    const count = async (sql: string, params: unknown[] = []) => Number((await hub!.db.query<{ n: string }>(sql, params)).rows[0]!.n);
    // 1. Readings flowing from every device / item.
    const tw = Date.now();
    while (await count(`SELECT count(DISTINCT ${k.sourceExpr})::text AS n FROM observation WHERE ${GOOD}`) < k.sources) {
      if (Date.now() - tw > 90_000) throw new Error(`not every ${k.sourceWord.slice(0, -1)} stored a good reading within 90 s; health: ${JSON.stringify(await adapterHealth(hub, k.adapter))}`);
      await sleep(250);
    }
    await sleep(2000);
    const before = k.view(await adapterHealth(hub, k.adapter));
    console.log(`${k.proto}: ${k.sources} ${k.sourceWord} on 127.0.0.1:${s.port}; readings stored ${((Date.now() - t0) / 1000).toFixed(1)} s after start; health ${before.text}`);
    // 2. Power cut.
    await killHard(sim);
    const killAt = Date.now();
    console.log(`  simulator killed (SIGKILL); outage ${outageS} s, health read every second via GET /v1/adapters`);
    const texts = new Map<string, number>();
    let shown = 0, firstShownS: number | undefined, lastNotShown: number | undefined;
    for (let i = 1; i <= outageS; i++) {
      await sleep(killAt + i * 1000 - Date.now());
      const v = k.view(await adapterHealth(hub, k.adapter));
      texts.set(v.text, (texts.get(v.text) ?? 0) + 1);
      if (v.shows) { shown++; firstShownS ??= i; } else lastNotShown = i;
      if (i % 15 === 0 || i === outageS) console.log(`  ${i} s: ${v.text}`);
    }
    // 3. Back on the same port.
    const spawnAt = Date.now();
    const back = await k.again(dir, s.port);
    sim = back.proc;
    const upAt = back.upAt;
    const outageLen = (upAt - killAt) / 1000;
    let firstS: number | undefined, allS: number | undefined;
    while (allS === undefined && Date.now() - upAt < 60_000) {
      const n = await count(`SELECT count(DISTINCT ${k.sourceExpr})::text AS n FROM observation WHERE time >= $1 AND ${GOOD}`, [new Date(spawnAt)]);
      const now = (Date.now() - upAt) / 1000;
      if (n > 0) firstS ??= now;
      if (n >= k.sources) allS = now;
      else await sleep(100);
    }
    const bad = await count(`SELECT count(*)::text AS n FROM observation WHERE time >= $1 AND time < $2 AND value IS NULL`, [new Date(killAt), new Date(upAt)]);
    const badWarn = (await hub.db.query<{ w: string; n: string }>(`SELECT unnest(warnings) AS w, count(*)::text AS n FROM observation WHERE time >= $1 AND time < $2 AND value IS NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 3`, [new Date(killAt), new Date(upAt)])).rows;
    const during = await count(`SELECT count(*)::text AS n FROM observation WHERE time >= $1 AND time < $2`, [new Date(killAt), new Date(upAt)]);
    await sleep(1500);
    const after = k.view(await adapterHealth(hub, k.adapter));
    // Verdicts.
    const healthOk = shown > 0 && firstShownS! <= 3 && (lastNotShown === undefined || lastNotShown < firstShownS!);
    const badOk = k.proto !== 'modbus' || bad > 0;
    const resumeOk = allS !== undefined && allS <= TARGET_S;
    console.log(`  outage                 ${outageLen.toFixed(1)} s (SIGKILL → simulator listening again on port ${s.port}; restart took ${((upAt - spawnAt) / 1000).toFixed(1)} s of it)`);
    console.log(`  health in the outage   ${shown}/${outageS} samples showed the outage (first at ${firstShownS ?? '—'} s): ${[...texts].map(([t, n]) => `${n}× "${t}"`).join('; ')}   ${healthOk ? 'PASS' : 'FAIL'}`);
    if (k.proto === 'modbus') console.log(`  readings in the outage ${bad} bad (value null, quality bad${badWarn.length ? `; warnings ${badWarn.map((r) => `${r.w} ${r.n}`).join(', ')}` : ''}) of ${during} stored   ${badOk ? 'PASS' : 'FAIL'}`);
    else console.log(`  readings in the outage ${during} stored (none expected: no server, no values)`);
    console.log(`  resumed                first good reading ${firstS?.toFixed(1) ?? '—'} s, all ${k.sources} ${k.sourceWord} ${allS?.toFixed(1) ?? 'not within 60'} s after the server came back   target ≤ ${TARGET_S} s   ${resumeOk ? 'PASS' : 'FAIL'}`);
    console.log(`  health afterwards      ${after.text} (hub not restarted)`);
    const pass = healthOk && badOk && resumeOk;
    console.log(`${k.proto}: ${pass ? 'PASS' : 'FAIL'}\n`);
    return pass;
  } finally {
    clearTimeout(bound);
    await hub?.stop().catch(() => undefined);
    if (sim) await killHard(sim).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    only: { type: 'string' }, 'outage-s': { type: 'string', default: '60' }, devices: { type: 'string', default: '5' }, items: { type: 'string', default: '10' },
    log: { type: 'string', default: 'error' }, help: { type: 'boolean' },
  } });
  if (values.help) { console.log(usage); return; }
  const outageS = Number(values['outage-s']);
  if (!Number.isInteger(outageS) || outageS < 1) throw new BenchUsageError(`--outage-s: a positive whole number of seconds\n${usage}`);
  if (values.only && values.only !== 'modbus' && values.only !== 'opcua') throw new BenchUsageError(`--only modbus|opcua\n${usage}`);
  const cases = [modbusCase(Number(values.devices)), opcuaCase(Number(values.items))].filter((k) => !values.only || k.proto === values.only);
  const results: string[] = [];
  for (const k of cases) results.push(`${k.proto} ${(await runCase(k, outageS, values.log!)) ? 'PASS' : 'FAIL'}`);
  console.log(`outage (${outageS} s): ${results.join(', ')}`);
  if (results.some((r) => r.endsWith('FAIL'))) process.exitCode = 1;
}
