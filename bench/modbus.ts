// Modbus TCP polling: 1,000 simulated devices × 20 points each second into the store (target 20,000 points/s).
//
// The simulator (`lifeline sim modbus`, profile water_network_rtu_20: twenty float32 input registers, one read per
// poll) runs in a child process on P ports with 1,000/P unit ids each, so this process's CPU figure is the hub's:
// 1,000 connections, 1,000 polls/s, decode, group commit (createIngestBatcher), pipeline, store. Counted: rows
// committed to `observation` during the measured window (after a warm-up), against devices × 20 / interval.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { freshDatabase } from '../test/helpers/services.ts';
import { cpuSnapshot, cpuSince } from './lib/cpu.ts';
import { Profiler, summarize, type CpuProfile } from './lib/profile.ts';

const usage = 'npm run bench -- modbus [--devices 1000] [--ports 50] [--seconds 40] [--warmup 8] [--interval-ms 1000] [--store pglite|postgres] [--batch N] [--profile]';
const POINTS = 20;
const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const servers: net.Server[] = [];
    let ok = true;
    for (let i = 0; i < count && ok; i++) {
      const s = net.createServer();
      ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(base + i, '127.0.0.1', () => r(true)); });
      if (ok) servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return base;
  }
  throw new Error(`no run of ${count} free ports found`);
}

function startSim(args: string[]): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [new URL('../bin/lifeline.js', import.meta.url).pathname, 'sim', 'modbus', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`simulator did not start:\n${out}`)), 60_000);
    const on = (d: Buffer) => { out += d; if (/Modbus TCP devices .* on /.test(out)) { clearTimeout(t); resolve(proc); } };
    proc.stdout!.on('data', on); proc.stderr!.on('data', on);
    proc.once('exit', (c) => { clearTimeout(t); reject(new Error(`simulator exited ${c}:\n${out}`)); });
  });
}

// Good readings only: a failed read is stored too (value null, quality bad) but is not throughput.
const stored = async (hub: Hub) => Number((await hub.db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation WHERE value IS NOT NULL')).rows[0]!.n);

/** Where the hub's main thread went: the adapter (modbus-serial + adapters/modbus_tcp) against the rest. */
function printProfile(p: CpuProfile) {
  const s = summarize(p);
  const byId = new Map(p.nodes.map((n) => [n.id, n] as const));
  let adapter = 0, total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const url = byId.get(p.samples[i]!)!.callFrame.url;
    total += dt;
    if (url.includes('modbus-serial') || url.includes('/adapters/modbus_tcp/') || url.includes('/sdk/batcher')) adapter += dt;
  }
  console.log(`profile (main thread, self time): modbus adapter + modbus-serial + batcher ${((adapter / total) * 100).toFixed(0)}%`);
  for (const b of s.buckets.slice(0, 8)) console.log(`  ${(b.share * 100).toFixed(0).padStart(3)}%  ${b.name}`);
  for (const f of s.top.slice(0, 12)) console.log(`       ${f.ms.toFixed(0).padStart(6)} ms  ${f.fn}`);
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    devices: { type: 'string', default: '1000' }, ports: { type: 'string', default: '50' }, seconds: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '8' }, 'interval-ms': { type: 'string', default: '1000' }, store: { type: 'string', default: 'pglite' }, profile: { type: 'boolean' }, batch: { type: 'string' }, help: { type: 'boolean' },
  } });
  if (values.help) { console.log(usage); return; }
  const devices = Number(values.devices), ports = Number(values.ports), seconds = Number(values.seconds), warmup = Number(values.warmup);
  const intervalMs = Number(values['interval-ms']);
  if (values.store !== 'pglite' && values.store !== 'postgres') throw new Error(`--store pglite|postgres\n${usage}`);
  const target = (devices * POINTS * 1000) / intervalMs;
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-modbus-'));
  const db = values.store === 'postgres' ? await freshDatabase() : undefined;
  const base = await freePortRun(ports);
  const cfgFile = join(dir, 'hub.yaml');
  console.log(`modbus: ${fmt(devices)} devices (${Math.ceil(devices / ports)} unit ids on each of ${ports} ports ${base}…${base + ports - 1}) × ${POINTS} float32 points every ${intervalMs} ms; store ${values.store}; simulator in a child process`);
  let sim: ChildProcess | undefined;
  let hub: Hub | undefined;
  try {
    sim = await startSim(['--devices', String(devices), '--port', String(base), '--port-count', String(ports), '--profile', 'water_network_rtu_20',
      '--prefix', 'BM', '--interval-ms', String(intervalMs), '--registry-out', cfgFile]);
    const loaded = loadConfig(cfgFile, {});
    const c = loaded.config;
    c.data_dir = dir;
    c.server.port = 0; c.server.host = '127.0.0.1';
    c.api.keys = [];
    if (db) c.store.url = db.url;
    const mb = (c.adapters as Record<string, Record<string, unknown>>).modbus_tcp!;
    Object.assign(mb, { timeout_ms: 3000, retries: 0, ...(values.batch ? { batch_max_records: Number(values.batch) } : {}) });
    const t0 = performance.now();
    hub = await startHub(loaded, { listen: false, logger: pino({ level: 'warn' }), env: {} });
    console.log(`hub started in ${((performance.now() - t0) / 1000).toFixed(1)} s (${c.registry.devices.length} devices, ${c.registry.points.length} points); warm-up ${warmup} s, then ${seconds} s measured`);
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const polls = async () => ((await hub!.app.inject({ url: '/v1/status', headers: { authorization: `Bearer ${hub!.bootstrapKey}` } })).json() as { adapters?: Record<string, { detail?: { polls_total?: number } }> }).adapters?.modbus_tcp?.detail?.polls_total ?? 0;
    const p0 = await polls();
    const n0 = await stored(hub);
    const profiler = values.profile ? new Profiler() : undefined;
    await profiler?.start(1000);
    const cpu0 = cpuSnapshot(!!db);
    let rssPeak = process.memoryUsage().rss;
    const t1 = performance.now();
    for (let s = 1; s <= seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      if (s % 10 === 0) console.log(`  ${s} s …`);
    }
    const cpu = cpuSince(cpu0, !!db);
    const n1 = await stored(hub);
    const p1 = await polls();
    const wall = (performance.now() - t1) / 1000;
    if (profiler) printProfile(await profiler.stop());
    const rate = (n1 - n0) / wall;
    const health = (await hub.app.inject({ url: '/v1/status', headers: { authorization: `Bearer ${hub.bootstrapKey}` } })).json() as { adapters?: Record<string, { status: string; detail?: { devices_down?: number } }> };
    const h = health.adapters?.modbus_tcp;
    const quarantined = Number((await hub.db.query<{ n: string }>('SELECT count(*)::text AS n FROM quarantine')).rows[0]?.n ?? 0);
    const bad = Number((await hub.db.query<{ n: string }>("SELECT count(*)::text AS n FROM observation WHERE value IS NULL")).rows[0]?.n ?? 0);
    console.log(`polls: ${fmt((p1 - p0) / wall)}/s (target ${fmt((devices * 1000) / intervalMs)}/s) → ${fmt(((p1 - p0) * POINTS) / wall)} points/s read`);
    console.log(`stored ${fmt(n1 - n0)} good observations in ${wall.toFixed(1)} s; ${bad} with value null (failed reads), ${quarantined} quarantined; adapter health ${h?.status} (${h?.detail?.devices_down ?? '?'} devices down)`);
    console.log(`CPU: hub process ${(cpu.processCores * 100).toFixed(0)}% of one core (event loop busy ${(cpu.mainElu * 100).toFixed(0)}%)` +
      (cpu.postgresCores !== undefined ? `, postgres ${(cpu.postgresCores * 100).toFixed(0)}%` : '') + (cpu.otherCores !== undefined ? `, rest of the machine ${(cpu.otherCores * 100).toFixed(0)}% (simulator, other work)` : '') +
      `; RSS peak ${mib(rssPeak)}`);
    // Polling is paced by the interval, so the ceiling is the target itself; the window's edges cost up to one interval.
    const pass = rate >= 0.95 * target;
    console.log(`points/s: ${fmt(rate)} (target ${fmt(target)}, pass at ≥ 95%) ${pass ? 'PASS' : 'FAIL'}`);
    if (!pass) process.exitCode = 1;
  } finally {
    await hub?.stop().catch(() => undefined);
    sim?.kill('SIGTERM');
    await db?.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
