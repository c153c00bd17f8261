// Several hub processes on one PostgreSQL + Redis: HJ 212 stations split between 1, 2, 3 processes; committed obs/s each, delivery exactly once.
//
// Per step (N processes): a fresh PostgreSQL database lifeline_bench_multihub_<pid>_<N>, N hub processes started
// together (`lifeline start`, each its own HTTP and HJ 212 port; the same DATABASE_URL, REDIS_URL, registry, and one
// http_push target on the BullMQ driver pointing at a receiver in this process). The stations (default 200, each a
// real TCP connection, stop-and-wait: the next frame after the 9014) are split round robin between the processes.
// After a warm-up the committed rate is measured from the store (count(*) of observation at both ends of the
// window), never from what was sent. Then the load stops, delivery drains, and every stored id is checked at the
// receiver: delivered once (no loss), in one batch only (no duplicate; a re-send under the same idempotency key
// is allowed and counted apart), nothing unknown. Cleanup (hubs, database, Redis keys) also on failure and Ctrl-C.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BenchUsageError } from './lib/errors.ts';
import { cpuSnapshot, cpuSince } from './lib/cpu.ts';
import { startExactlyOnceTarget, type ExactlyOnceTarget } from './lib/exactly-once-target.ts';
import { printReport, type Options, type StepResult } from './lib/multi-hub-report.ts';
import { startFleet, type Fleet } from '../test/helpers/hub-fleet.ts';
import { dropRedisPrefix } from '../test/helpers/services.ts';
import { Hj212Client } from '../adapters/hj212/transport/client.ts';
import { QnSource, wallTime14 } from '../adapters/hj212/transport/qn.ts';
import { simStations, simRegistry, realtimeUpload, simFactors } from '../adapters/hj212/sim/stations.ts';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const API_KEY = 'bench-multi-hub';
const HELP = `usage: npm run bench -- multi-hub [--processes 1,2,3] [--stations 200] [--seconds 30] [--warmup 5] [--batch 1000] [--pool 8] [--drain-timeout 180] [--rounds 1] [--kill-at S]

  --processes      the steps: how many hub processes, comma-separated (default 1,2,3)
  --stations       simulated HJ 212 stations (10 factors a frame), split round robin between the processes (default 200)
  --seconds        measured window per step, after the warm-up (default 30)
  --warmup         seconds of load before the window opens (default 5)
  --batch          the target's batch.max_size (default 1000)
  --pool           store.pool_size per hub process (default 8)
  --drain-timeout  seconds to wait for delivery to drain after the load stops (default 180)
  --kill-at        in steps of 2+ processes, SIGKILL the last hub S s into the window and move its stations to the
                   others (failover): exactly-once must still hold; that step's rate is not comparable (default 0 = off)
  --rounds         repeat the steps (1,2,3,1,2,3 …) and summarise by the median, against a machine whose load varies (default 1)

DATABASE_URL names a PostgreSQL server and a role that may CREATE DATABASE (default ${DEFAULT_PG_URL});
REDIS_URL the Redis for BullMQ delivery (default redis://127.0.0.1:6379; keys under a unique prefix, removed afterwards).
A step takes about 25 s + seconds + warm-up + the drain; the default run about 3–4 minutes.`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : Number.NaN; };

/** utime + stime of a process, seconds (Linux /proc; 0 elsewhere). */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return 0; }
}

/** CPU seconds so far of each PostgreSQL backend serving this database (pid → seconds). */
async function backendCpu(db: pg.Client): Promise<Map<number, number>> {
  const r = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  return new Map(r.rows.map((x) => [x.pid, cpuSecondsOf(x.pid)]));
}

/** CPU seconds the hub database's backends used between two snapshots (backends born in between count whole). */
function backendCpuSince(a: Map<number, number>, b: Map<number, number>): number {
  let s = 0;
  for (const [pid, sec] of b) s += sec - (a.get(pid) ?? 0);
  return s;
}


/** Cleanups run once, in reverse order, on the normal path, on an exception and on SIGINT/SIGTERM. */
class Cleanup {
  private fns: Array<() => Promise<unknown>> = [];
  add(fn: () => Promise<unknown>): void { this.fns.push(fn); }
  async run(): Promise<void> {
    while (this.fns.length) await this.fns.pop()!().catch((e: unknown) => console.error(`  cleanup: ${(e as Error).message}`));
  }
}


async function step(n: number, o: Options, cleanup: Cleanup): Promise<StepResult> {
  const log = (s: string) => console.log(`  [${n} process${n > 1 ? 'es' : ''}] ${s}`);
  const dbName = `lifeline_bench_multihub_${process.pid}_${n}`;
  const admin = new pg.Client({ connectionString: o.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  cleanup.add(async () => { await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); await admin.end(); });
  const url = o.adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  const prefix = `lbmh${process.pid}n${n}`;
  cleanup.add(() => dropRedisPrefix(prefix, o.redisUrl));
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-multihub-'));
  cleanup.add(async () => rmSync(dir, { recursive: true, force: true }));
  const target: ExactlyOnceTarget = await startExactlyOnceTarget();
  cleanup.add(() => target.close());
  const stations = simStations(o.stations);

  const t00 = performance.now();
  let fleet: Fleet | undefined;
  cleanup.add(async () => fleet?.stop());
  fleet = await startFleet({ n, dir, databaseUrl: url, redisUrl: o.redisUrl, keyPrefix: prefix, targetUrl: target.url, registry: simRegistry(stations), apiKey: API_KEY, batchSize: o.batch, poolSize: o.pool });
  const f = fleet;
  log(`${n} hub${n > 1 ? 's' : ''} up in ${((performance.now() - t00) / 1000).toFixed(1)} s (pids ${f.hubs.map((h) => h.pid).join(', ')}; HJ 212 ports ${f.hubs.map((h) => h.hj212Port).join(', ')})`);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  cleanup.add(() => db.end());
  const count = async () => Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);

  // Load: every station back to back, each frame waiting for its 9014, station i on hub i % n.
  const zone = 'Asia/Shanghai';
  const qns = new QnSource({ now: Date.now }, zone);
  const zone14 = (ms: number) => wallTime14(ms, zone);
  const now = Date.now(), dayStart = now - (now % 86_400_000);
  const base = Math.floor(Math.max(dayStart, now - 2 * 3_600_000) / 1000) * 1000; // today (UTC): rows land in today's partition
  const perHub = Array.from({ length: n }, () => 0);
  const clientFor = (hub: number) => new Hj212Client({ host: '127.0.0.1', port: f.hubs[hub]!.hj212Port, nextQn: () => qns.next(), timeoutMs: 10_000, retries: 3 });
  const clients = stations.map((_, i) => { perHub[i % n]!++; return clientFor(i % n); });
  cleanup.add(async () => { for (const c of clients) c.close(); });
  let stop = false, acked = 0, sendErrors = 0, measuring = false;
  const rtts: number[] = [];
  const load = Promise.all(stations.map(async (s, i) => {
    // A frame not acknowledged is sent again (to the station's hub of the moment): a collector's history upload.
    for (let k = 0; !stop;) {
      const t0 = performance.now();
      try {
        await clients[i]!.send(realtimeUpload(s, base + k * 1000, qns.next(), { zone14 }));
        k++;
        if (measuring) { acked++; rtts.push(performance.now() - t0); }
      } catch { sendErrors++; await sleep(200); }
    }
  }));

  // Delivery and rollup lag as hub 0 reports them (the status is the store's, the same from every hub).
  let backlogPeak = 0, lagPeak = 0, watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        const st = (await f.get<{ data: Array<{ backlog: number; lag_seconds: number }> }>(0, '/v1/publish/targets')).data[0];
        if (st) { backlogPeak = Math.max(backlogPeak, st.backlog); lagPeak = Math.max(lagPeak, st.lag_seconds); }
      } catch { /* next poll */ }
      await sleep(2000);
    }
  })();
  // What PostgreSQL's backends of this database wait on, sampled each second in the window (Lock = a row or
  // advisory lock held by another transaction: the latest table, a cursor, the partition lock).
  const mon = new pg.Client({ connectionString: url });
  await mon.connect();
  cleanup.add(() => mon.end());
  const waits = new Map<string, number>();
  let samples = 0, sampling = false;
  const sampler = (async () => {
    while (watching) {
      if (sampling) {
        try {
          const r = await mon.query<{ w: string; n: number }>(
            `SELECT CASE WHEN wait_event_type IS NULL THEN 'CPU (' || left(regexp_replace(query, '\\s+', ' ', 'g'), 48) || ')' WHEN wait_event_type = 'Lock' THEN 'Lock:' || wait_event || ' (' || left(regexp_replace(query, '\\s+', ' ', 'g'), 48) || ')' ELSE wait_event_type || ':' || wait_event END AS w, count(*)::int AS n
             FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1`);
          samples++;
          for (const x of r.rows) waits.set(x.w, (waits.get(x.w) ?? 0) + x.n);
        } catch { /* next sample */ }
      }
      await sleep(1000);
    }
  })();
  const rollupLag = async () => { try { return (await f.get<{ rollups: { lag_seconds: number } }>(0, '/v1/status')).rollups.lag_seconds; } catch { return null; } };

  await sleep(o.warmup * 1000);
  const c0 = await count();
  const w0 = performance.now();
  const cpu0 = cpuSnapshot(true);
  const hub0 = f.hubs.map((h) => cpuSecondsOf(h.pid));
  const be0 = await backendCpu(mon);
  measuring = true;
  sampling = true;
  // --kill-at: the last hub SIGKILLed mid-window; its stations reconnect to the others (a balancer's failover).
  let killed: number | undefined;
  const killTimer = o.killAt > 0 && n >= 2 ? setTimeout(() => {
    killed = n - 1;
    f.hubs[killed]!.proc.kill('SIGKILL');
    let moved = 0;
    stations.forEach((_, i) => {
      if (i % n !== killed) return;
      const old = clients[i]!;
      clients[i] = clientFor(i % (n - 1));
      old.close();
      moved++;
    });
    log(`hub ${killed} (pid ${f.hubs[killed]!.pid}) SIGKILLed ${o.killAt} s into the window; its ${moved} stations reconnect to the other hub${n > 2 ? 's' : ''}`);
  }, o.killAt * 1000) : undefined;
  cleanup.add(async () => clearTimeout(killTimer));
  const progress = setInterval(() => log(`… ${fmt(acked * simFactors.length)} observations acknowledged in the window`), 10_000);
  await sleep(o.seconds * 1000);
  const c1 = await count();
  const w1 = performance.now();
  measuring = false;
  sampling = false;
  clearInterval(progress);
  // Ticks of every process named postgres, other users' sessions included: a session that ends in the window takes
  // its ticks with it, and cpuSince then reports the split as unknown.
  const cpu = cpuSince(cpu0, true);
  const hubCores = f.hubs.map((h, i) => Math.max(0, cpuSecondsOf(h.pid) - hub0[i]!) / ((w1 - w0) / 1000)); // a killed hub: 0
  const backendS = backendCpuSince(be0, await backendCpu(mon));
  const windowS = (w1 - w0) / 1000;
  stop = true;
  await load;
  for (const c of clients) c.close();
  const rollupLagEnd = await rollupLag();

  // Drain: every stored observation at the target, and the target's backlog 0.
  const stored = await count();
  const outboxSum = Number((await db.query<{ n: string }>('SELECT COALESCE(sum(count), 0)::text AS n FROM outbox')).rows[0]!.n);
  const quarantined = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM quarantine')).rows[0]!.n);
  log(`load stopped: ${fmt(stored)} observations stored; ${fmt(target.distinct)} delivered so far; draining`);
  const d0 = performance.now();
  let drainS: number | null = null;
  while (performance.now() - d0 < o.drainTimeoutS * 1000) {
    if (target.distinct >= stored) {
      const st = (await f.get<{ data: Array<{ backlog: number; pending_batches: number }> }>(0, '/v1/publish/targets')).data[0];
      if (st && st.backlog === 0 && st.pending_batches === 0) { drainS = (performance.now() - d0) / 1000; break; }
    }
    await sleep(250);
  }
  watching = false;
  await watcher;
  await sampler;
  const commits = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox')).rows[0]!.n);
  const waiting = [...waits].map(([w, n]) => ({ w, avg: n / Math.max(1, samples) })).sort((a, b) => b.avg - a.avg).slice(0, 8);
  await sleep(1000); // a late duplicate would arrive now

  // Exactly once: every stored id once at the target, nothing else.
  let missing = 0, seen = 0, last = '0';
  for (;;) {
    const r = await db.query<{ id: string }>('SELECT o.id::text AS id FROM observation o WHERE o.id > $1::bigint ORDER BY o.id LIMIT 100000', [last]);
    if (!r.rows.length) break;
    // ORDER BY o.id: the column, not the text alias (text order would page wrongly)
    for (const row of r.rows) { seen++; if (target.countOf(Number(row.id)) === 0) missing++; }
    last = r.rows[r.rows.length - 1]!.id;
  }
  const storedIds = new Set<number>();
  if (target.distinct !== seen - missing) { // something delivered that is not stored: find it (rare; costs memory)
    last = '0';
    for (;;) {
      const r = await db.query<{ id: string }>('SELECT o.id::text AS id FROM observation o WHERE o.id > $1::bigint ORDER BY o.id LIMIT 100000', [last]);
      if (!r.rows.length) break;
      for (const row of r.rows) storedIds.add(Number(row.id));
      last = r.rows[r.rows.length - 1]!.id;
    }
  }
  if (process.env.DEBUG_MULTIHUB) console.log({ distinct: target.distinct, seen, missing, storedIds: storedIds.size });
  let unknown = 0;
  if (storedIds.size) for (const id of target.receivedIds()) if (!storedIds.has(id)) unknown++;
  const crashed = f.hubs.filter((h) => h.index !== killed && (h.proc.exitCode !== null || h.proc.signalCode !== null)).map((h) => h.index);
  const errorLines = f.hubs.flatMap((h) => h.errors.map((e) => `hub ${h.index}: ${e}`));
  const warnings = f.hubs.reduce((a, h) => a + h.warnings, 0);
  if (sendErrors) log(`${sendErrors} sends failed (retried by the station loop)`);
  await cleanup.run();
  return {
    n, stations: perHub, windowS, committed: c1 - c0, rate: (c1 - c0) / windowS, ackedRate: (acked * simFactors.length) / windowS,
    p50: pct(rtts, 0.5), p99: pct(rtts, 0.99), stored, outboxSum, quarantined,
    delivered: target.distinct, duplicates: target.duplicateIds, missing, unknown, resentSameKey: target.resentSameKey, drainS,
    hubUsPerObs: (hubCores.reduce((a, b) => a + b, 0) * windowS * 1e6) / Math.max(1, c1 - c0), pgUsPerObs: (backendS * 1e6) / Math.max(1, c1 - c0),
    backlogPeak, lagPeak, rollupLagEnd, hubCores, cpu, crashed, killed, errorLines, warnings, commits, waiting,
  };
}

export async function run(args: string[]): Promise<void> {
  let values;
  try {
    values = parseArgs({ args, options: {
      processes: { type: 'string', default: '1,2,3' }, stations: { type: 'string', default: '200' }, seconds: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' }, batch: { type: 'string', default: '1000' }, pool: { type: 'string', default: '8' },
      'drain-timeout': { type: 'string', default: '180' }, rounds: { type: 'string', default: '1' }, 'kill-at': { type: 'string', default: '0' }, help: { type: 'boolean', short: 'h' },
    } }).values;
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const steps = values.processes.split(',').map(Number);
  if (!steps.length || steps.some((x) => !Number.isInteger(x) || x < 1 || x > 16)) throw new BenchUsageError(`--processes: integers 1–16, comma-separated\n\n${HELP}`);
  const o = {
    adminUrl: process.env.DATABASE_URL ?? DEFAULT_PG_URL, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    stations: Number(values.stations), seconds: Number(values.seconds), warmup: Number(values.warmup), batch: Number(values.batch),
    pool: Number(values.pool), drainTimeoutS: Number(values['drain-timeout']), rounds: Number(values.rounds), killAt: Number(values['kill-at']),
  };
  if (!(o.killAt >= 0 && o.killAt < o.seconds)) throw new BenchUsageError('--kill-at: 0 (off) or seconds into the window, less than --seconds');
  if (!Number.isInteger(o.rounds) || o.rounds < 1 || o.rounds > 10) throw new BenchUsageError('--rounds: 1–10');
  if (!Number.isInteger(o.stations) || o.stations < 1 || o.stations > 20_000) throw new BenchUsageError('--stations: 1–20000');
  if (!(o.seconds >= 1 && o.seconds <= 3600)) throw new BenchUsageError('--seconds: 1–3600');
  if (!(o.warmup >= 0 && o.warmup <= 600)) throw new BenchUsageError('--warmup: 0–600');
  if (!Number.isInteger(o.batch) || o.batch < 1 || o.batch > 100_000) throw new BenchUsageError('--batch: 1–100000');
  if (!Number.isInteger(o.pool) || o.pool < 1 || o.pool > 100) throw new BenchUsageError('--pool: 1–100');
  if (!(o.drainTimeoutS >= 1)) throw new BenchUsageError('--drain-timeout: ≥ 1');
  const probe = new pg.Client({ connectionString: o.adminUrl });
  try { await probe.connect(); } catch (e) { throw new BenchUsageError(`PostgreSQL at ${o.adminUrl} is not reachable: ${(e as Error).message}`); } finally { await probe.end().catch(() => undefined); }
  const { redisUp } = await import('../test/helpers/services.ts');
  if (!(await redisUp(o.redisUrl))) throw new BenchUsageError(`Redis at ${o.redisUrl} is not reachable`);

  const cores = cpus().length;
  console.log(`multi-hub: ${o.stations} HJ 212 stations (${simFactors.length} factors a frame, stop-and-wait on 9014) split between ${steps.join(', ')} hub processes;`);
  console.log(`  one PostgreSQL (fresh database per step), Redis (BullMQ delivery), one http_push target (batches of ${o.batch}); ${o.warmup} s warm-up + ${o.seconds} s measured per step; ${cores} cores`);
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: cleaning up (hubs, databases, Redis keys) …`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  const results: StepResult[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      if (o.rounds > 1) console.log(`round ${round} of ${o.rounds}`);
      for (const n of steps) results.push(await step(n, o, cleanup));
    }
  } finally {
    await cleanup.run();
  }

  if (!printReport(results, o, cores)) process.exitCode = 1;
}
