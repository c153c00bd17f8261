// OPC UA: 10,000 monitored items at 1 s sampling (simulator in a child process) → values/s committed, CPU, RSS.
//
// The simulator (`lifeline sim opcua --items N`) runs in a child process and changes every variable every 250 ms;
// the server samples each item once a second, so it offers N values/s (a value changing exactly as often as it is
// sampled would alias: timer jitter makes some samples see no change). The hub runs in this process on PostgreSQL (a fresh database; `--store pglite` for the
// embedded store) with the opc_ua adapter subscribed to all N items over SignAndEncrypt/Basic256Sha256 (sampling
// and publishing 1 s). After the subscription holds every item and a warm-up, values committed to the store are
// counted over the window (values whose source time lies in it); target: 10,000 values/s held (≥ 95%).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { cpuSnapshot, cpuSince } from './lib/cpu.ts';

const TARGET = 10_000;
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
/** CPU seconds (user + system) of a process, from /proc (Linux); NaN elsewhere. */
const procCpuS = (pid: number | undefined) => {
  try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) / 100; } catch { return Number.NaN; }
};

function startSim(dir: string, items: number, allowNone: boolean): Promise<{ proc: ChildProcess; config: string }> {
  const config = join(dir, 'hub.yaml');
  const proc = spawn(process.execPath, [new URL('../bin/lifeline.js', import.meta.url).pathname, 'sim', 'opcua', '--port', '0', '--items', String(items),
    '--interval-ms', '250', '--accept-clients', '--pki-dir', join(dir, 'sim-pki'), '--registry-out', config, '--data-dir', join(dir, 'data'), '--sampling-ms', '1000', ...(allowNone ? ['--allow-none'] : [])],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start:\n${out}`)), 120_000);
    const on = (d: Buffer) => { out += d; if (/sim opcua: wrote/.test(out)) { clearTimeout(timer); resolve({ proc, config }); } };
    proc.stdout!.on('data', on); proc.stderr!.on('data', (d: Buffer) => { out += d; });
    proc.once('exit', (c) => { clearTimeout(timer); reject(new Error(`simulator exited ${c}:\n${out}`)); });
  });
}

interface EpHealth { state: string; values: number; items: { configured: number; monitored: number; unresolved: number } }
async function adapterHealth(hub: Hub): Promise<{ committed: number; in_flight: number; endpoints: EpHealth[] }> {
  const list = (await hub.app.inject({ url: '/v1/adapters', headers: { authorization: 'Bearer bench' } })).json() as { data: Array<{ name: string; health: { detail: { committed: number; in_flight: number; endpoints: EpHealth[] } } }> };
  return list.data.find((a) => a.name === 'opc_ua')!.health.detail;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    items: { type: 'string', default: '10000' }, seconds: { type: 'string', default: '20' }, warmup: { type: 'string', default: '5' },
    store: { type: 'string', default: 'postgres' }, security: { type: 'string', default: 'encrypt' }, help: { type: 'boolean' },
  } });
  if (values.help) { console.log('npm run bench -- opcua [--items 10000] [--seconds 20] [--warmup 5] [--store postgres|pglite] [--security encrypt|sign|none]'); return; }
  const items = Number(values.items), seconds = Number(values.seconds), warmup = Number(values.warmup);
  const usePg = values.store !== 'pglite';
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-opcua-'));
  const dbName = `lifeline_bench_opcua_${process.pid}`;
  let admin: pg.Client | undefined;
  let sim: ChildProcess | undefined;
  let hub: Hub | undefined;
  const deadline = setTimeout(() => { console.error('opcua bench: over its time bound (150 s); aborting'); process.exit(1); }, 150_000);
  try {
    if (usePg) {
      admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${dbName}`);
    }
    console.log(`opcua: ${items} monitored items at 1 s sampling, simulator in a child process, hub in this one (${usePg ? `PostgreSQL ${dbName}` : 'PGlite'}; security ${values.security})`);
    const t0 = Date.now();
    const mode = ({ encrypt: 'SignAndEncrypt', sign: 'Sign', none: 'None' } as Record<string, string>)[values.security!];
    if (!mode) throw new Error('--security: encrypt, sign or none');
    const s = await startSim(dir, items, mode === 'None');
    sim = s.proc;
    console.log(`  simulator up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const loaded = loadConfig(s.config);
    const c = loaded.config;
    if (usePg) { c.store.url = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`); c.store.pool_size = 4; }
    c.api.keys = [];
    const ep = (c.adapters.opc_ua as { endpoints: Array<Record<string, unknown>> }).endpoints[0]!;
    ep.publishing_interval_ms = 1000;
    ep.security_mode = mode;
    if (mode === 'None') ep.security_policy = 'None';
    hub = await startHub(loaded, { listen: false, logger: pino({ level: 'warn' }), env: { LIFELINE_API_KEY: 'bench' } });
    const t1 = Date.now();
    let h = await adapterHealth(hub);
    while (h.endpoints[0]!.items.monitored < items) {
      if (Date.now() - t1 > 90_000) throw new Error(`only ${h.endpoints[0]!.items.monitored}/${items} items monitored after 90 s (state ${h.endpoints[0]!.state})`);
      await new Promise((r) => setTimeout(r, 500));
      h = await adapterHealth(hub);
    }
    console.log(`  ${items} items monitored ${((Date.now() - t1) / 1000).toFixed(1)} s after the hub started; warming up ${warmup} s`);
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const before = await adapterHealth(hub);
    const windowStart = Date.now();
    const cpu0 = cpuSnapshot(usePg);
    const sim0 = procCpuS(sim.pid), hub0 = procCpuS(process.pid);
    const started = performance.now();
    let peakRss = process.memoryUsage().rss;
    const progress = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 500);
    for (let k = 0; k < seconds; k += 5) {
      await new Promise((r) => setTimeout(r, Math.min(5, seconds - k) * 1000));
      const now = await adapterHealth(hub);
      console.log(`  … ${now.committed - before.committed} values committed, ${now.in_flight} in flight`);
    }
    clearInterval(progress);
    const windowEnd = Date.now();
    const secs = (performance.now() - started) / 1000;
    const cpu = cpuSince(cpu0, usePg);
    const simCores = (procCpuS(sim.pid) - sim0) / secs, hubCores = (procCpuS(process.pid) - hub0) / secs;
    const atEnd = await adapterHealth(hub);
    // Let the values sampled inside the window arrive (next publish) and commit: 2 s, then until nothing is in flight (≤ 10 s).
    await new Promise((r) => setTimeout(r, 2000));
    let after = await adapterHealth(hub);
    for (let k = 0; k < 40 && after.in_flight > 0; k++) { await new Promise((r) => setTimeout(r, 250)); after = await adapterHealth(hub); }
    const drainS = (Date.now() - windowEnd) / 1000;
    const rate = (after.committed - before.committed) / (secs + drainS);
    // Values held: observations whose source time falls in whole seconds of the window (exact, whatever the batching).
    const from = Math.ceil(windowStart / 1000) * 1000, to = Math.floor(windowEnd / 1000) * 1000;
    const held = Number((await hub.db.query<{ n: string }>('SELECT count(*) AS n FROM observation WHERE time >= $1 AND time < $2', [new Date(from), new Date(to)])).rows[0]!.n) / ((to - from) / 1000);
    const received = (atEnd.endpoints[0]!.values - before.endpoints[0]!.values) / secs;
    const perSecond = (await hub.db.query<{ n: string }>("SELECT count(*) AS n FROM observation WHERE time >= $1 AND time < $2 GROUP BY date_trunc('second', time) ORDER BY 1", [new Date(from), new Date(to)])).rows.map((r) => Number(r.n));
    const rss = Math.max(peakRss, process.memoryUsage().rss);
    const count = Number((await hub.db.query<{ n: string }>('SELECT count(*) AS n FROM observation')).rows[0]!.n);
    const pass = held >= TARGET * 0.95 && after.in_flight < items * 5;
    console.log('');
    console.log(`  values received          ${received.toFixed(0)} /s`);
    console.log(`  values committed         ${rate.toFixed(0)} /s (health counter over the window + ${drainS.toFixed(1)} s drain)`);
    console.log(`  values held              ${held.toFixed(0)} /s (stored with a source time in the window)   target ${TARGET.toLocaleString('en')} /s (≥ 95%)   ${held >= TARGET * 0.95 ? 'PASS' : 'FAIL'}`);
    console.log(`  per second of the window min ${Math.min(...perSecond)}, median ${perSecond[Math.floor(perSecond.length / 2)]}, max ${Math.max(...perSecond)} values (${perSecond.length} s)`);
    console.log(`  backlog after the drain  ${after.in_flight} values in flight (bounded: < ${items * 5})   ${after.in_flight < items * 5 ? 'PASS' : 'FAIL'}`);
    console.log(`  hub CPU                  ${hubCores.toFixed(2)} cores (/proc: this process, all threads); cpu lib: ${cpu.processCores.toFixed(2)} cores (event loop ${(cpu.mainElu * 100).toFixed(0)}% busy)${cpu.postgresCores !== undefined ? `; postgres ${cpu.postgresCores.toFixed(2)}, others ${cpu.otherCores?.toFixed(2)} (the simulator among them)` : ''}`);
    console.log(`  simulator CPU            ${simCores.toFixed(2)} cores (child process; it must offer ${items} values/s for the target to be reachable)`);
    console.log(`  hub RSS                  ${mib(rss)} peak`);
    console.log(`  observations stored      ${count}`);
    console.log(`\nopcua: ${pass ? 'PASS' : 'FAIL'}`);
    if (!pass) process.exitCode = 1;
  } finally {
    clearTimeout(deadline);
    await hub?.stop().catch(() => undefined);
    sim?.kill('SIGTERM');
    if (admin) { await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined); await admin.end(); }
    rmSync(dir, { recursive: true, force: true });
  }
}
