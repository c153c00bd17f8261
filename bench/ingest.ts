// HTTP batch ingest → pipeline → committed, in observations/s, against the raw insert rate of the same store (target ≥ 60%).
//
// For each store (PostgreSQL, PGlite) in a fresh database / on-disk data directory:
//   - the hub is started on it (127.0.0.1, port 0) with a registry of 1 site, 50 devices, 1,000 points;
//   - raw: the store's own insert rate for the same rows, batch size and concurrency, through the hub's driver
//     layer with the hub's own statement (INSERT_OBSERVATIONS: INSERT … SELECT FROM unnest(…) ON CONFLICT DO
//     NOTHING, parameters from observationParams); no HTTP, no validation, no pipeline. PostgreSQL: a separate
//     pool; PGlite: the hub's own instance while the hub serves nothing (one PGlite per data directory);
//   - plain insert (a second reference): INSERT_NEW_OBSERVATIONS, the same insert without ON CONFLICT, which fails on a
//     reading already stored: what the hub runs for a batch of new readings (it arbitrates only after a conflict,
//     hub/store/arbitration.ts). The target is against raw; the ratio against this is printed beside it;
//   - store layer (diagnostic): the hub's commitBatch() on the same rows, i.e. its INSERT … RETURNING + outbox;
//   - hub: POST /v1/observations JSON batches with N keep-alive connections from a worker thread, summing
//     `accepted` from the responses, then count(*) of observation against that;
//   - rounds (default 5) alternate the order of the phases; the ratio is the median of the rounds' own ratios (each
//     round's hub rate over the raw rate measured beside it), so a burst of load from other processes in one phase,
//     or the machine running faster in one round than another, does not decide the result. The rates are medians
//     over the rounds, and the ratio of those medians is printed beside it. Every phase reports where
//     the CPU went (this process, postgres, other processes) from /proc.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, sampleConfigPath, type LoadedConfig } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import type { SqlDriver, Queryable } from '../hub/store/driver.ts';
import { observationParams, commitBatch, INSERT_OBSERVATIONS, INSERT_NEW_OBSERVATIONS } from '../hub/store/observations.ts';
import type { ObservationRow } from '../hub/store/rows.ts';
import type { Registry } from '../hub/registry/registry.ts';
import type { RegistryDocs } from '../hub/registry/check.ts';
import { prepare, type PrepareOptions } from '../hub/pipeline/prepare.ts';
import { generateKey } from '../hub/api/auth.ts';
import type { SourceReading } from '../schemas/generated/types.ts';
import { cpuSnapshot, cpuSince, type CpuReport } from './lib/cpu.ts';
import { LoadClient, PROGRESS_MS, type ClientRun } from './lib/load-client.ts';
import { Profiler, summarize } from './lib/profile.ts';
import { BenchUsageError } from './lib/errors.ts';
import { lockSteps } from '../hub/alarms/step.ts';

type StoreKind = 'postgres' | 'pglite';

const TARGET = 0.6;
const DEFAULTS: Record<StoreKind, { count: number; concurrency: number }> = {
  postgres: { count: 200_000, concurrency: 4 },
  pglite: { count: 100_000, concurrency: 2 },
};
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** Cores used by other processes during a phase above which the phase is marked disturbed. */
const DISTURBED_CORES = 0.25;

const HELP = `usage: npm run bench -- ingest [options]

  --store pglite|postgres|both   stores to measure (default both)
  --count N                      observations per measured run (default ${DEFAULTS.postgres.count} postgres, ${DEFAULTS.pglite.count} pglite)
  --batch N                      records per HTTP batch and per raw INSERT (default 1000)
  --concurrency N                HTTP connections, and raw INSERTs in flight
                                 (default ${DEFAULTS.postgres.concurrency} postgres, ${DEFAULTS.pglite.concurrency} pglite)
  --rounds N                     measured rounds of raw / store layer / hub (default 5); the ratio is the median
                                 of the rounds' ratios, the rates medians
  --points N, --devices N        registry size (default 1000 points on 50 devices, 1 site)
  --no-store-layer               skip the "store layer" phase (the hub's commitBatch() without HTTP)
  --no-plain                     skip the "plain insert" phase (the raw insert without ON CONFLICT: the second
                                 reference, printed beside the target's)
  --no-alarms                    diagnostic: the hub without its alarm evaluator (on in the sample config, and here
                                 by default); shows what the evaluator takes of the ratio
  --profile                      afterwards, send the batches once more with the V8 profiler on the main
                                 thread (the hub's), print where its time went and write the .cpuprofile
                                 (Chrome DevTools / speedscope); the reported figures do not include this run

PostgreSQL: DATABASE_URL (default ${DEFAULT_PG_URL}) names a server and a role that may CREATE DATABASE;
each run uses a fresh database lifeline_bench_<pid> and drops it at the end.
PGlite: a fresh on-disk data directory under ${tmpdir()}, removed at the end.
Exit status is non-zero only when something fails, not when a figure is below its target.`;

interface Options {
  stores: StoreKind[];
  count?: number;
  batch: number;
  concurrency?: number;
  rounds: number;
  points: number;
  devices: number;
  storeLayer: boolean;
  plain: boolean;
  alarms: boolean;
  profile: boolean;
}

function parseCount(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(v.replace(/[_,]/g, ''));
  const n = m ? Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

const OPTIONS = {
  store: { type: 'string', default: 'both' },
  count: { type: 'string' },
  batch: { type: 'string' },
  concurrency: { type: 'string' },
  rounds: { type: 'string' },
  points: { type: 'string' },
  devices: { type: 'string' },
  'no-store-layer': { type: 'boolean', default: false },
  'no-plain': { type: 'boolean', default: false },
  'no-alarms': { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseOptions(args: string[]): Options | undefined {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true }>>['values'];
  try {
    values = parseArgs({ args, options: OPTIONS, strict: true }).values;
  } catch (e) {
    throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`);
  }
  if (values.help) { console.log(HELP); return undefined; }
  const stores: StoreKind[] = values.store === 'both' ? ['postgres', 'pglite'] : values.store === 'postgres' || values.store === 'pglite' ? [values.store] : [];
  if (!stores.length) throw new BenchUsageError(`--store must be pglite, postgres or both, got "${values.store}"`);
  const batch = parseCount('batch', values.batch) ?? 1000;
  if (batch > 10_000) throw new BenchUsageError('--batch must be at most 10000 (the ingest-batch schema limit)');
  const points = parseCount('points', values.points) ?? 1000;
  const devices = parseCount('devices', values.devices) ?? 50;
  if (devices > points) throw new BenchUsageError('--devices must not exceed --points');
  return {
    stores, count: parseCount('count', values.count), batch, concurrency: parseCount('concurrency', values.concurrency),
    rounds: parseCount('rounds', values.rounds) ?? 5, points, devices, storeLayer: !values['no-store-layer'], plain: !values['no-plain'], alarms: !values['no-alarms'], profile: values.profile,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Workload: registry and readings

const INDICATORS = ['water.pipe_pressure', 'water.pipe_flow_velocity', 'water.hydrant_pressure', 'water.leak_noise', 'water.hydrant_flow'] as const;

function benchRegistry(points: number, devices: number): RegistryDocs {
  const site = 'BENCH-WS-001';
  const dev = (i: number) => `BENCH-D${String(i + 1).padStart(3, '0')}`;
  return {
    sites: [{ code: site, name: '基准测试供水管网', domain: 'water', enterprise: 'bench' }],
    devices: Array.from({ length: devices }, (_, i) => ({ code: dev(i), site, name: `bench device ${i + 1}` })),
    points: Array.from({ length: points }, (_, k) => ({
      code: `BENCH-P${String(k + 1).padStart(5, '0')}`, device: dev(k % devices), indicator: INDICATORS[k % INDICATORS.length], field: `f${k}`,
    })),
  };
}

/** ISO 8601 with a +08:00 offset, as field gateways send it. */
const iso8 = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00');

/**
 * Reading number g: point g mod P, one second apart per point, so (point, kind, time) never repeats.
 * Pressures alternate between MPa (the canonical unit, no `unit`) and kPa (converted): 20% of all records.
 */
function reading(reg: RegistryDocs, baseMs: number, g: number): SourceReading {
  const P = reg.points.length;
  const p = g % P, step = Math.floor(g / P);
  const point = reg.points[p]!;
  const time = iso8(baseMs + step * 1000);
  const h = (p * 7919 + step * 104_729) % 1000; // deterministic spread, 0..999
  switch (point.indicator) {
    case 'water.pipe_pressure':
    case 'water.hydrant_pressure': {
      const mpa = (200 + (h % 400)) / 1000; // 0.200–0.599 MPa, three decimals
      return (p + step) % 2 === 0 ? { point: point.code, time, value: Math.round(mpa * 1e6) / 1e3, unit: 'kPa' } : { point: point.code, time, value: mpa };
    }
    case 'water.pipe_flow_velocity': return { point: point.code, time, value: (50 + h * 3) / 1000 }; // 0.05–3.05 m/s
    case 'water.leak_noise': return { point: point.code, time, value: 20 + h / 20 }; // dB
    default: return { point: point.code, time, value: 10 + h / 10 }; // m3/h
  }
}

interface Workload {
  /** JSON bodies for POST /v1/observations (ArrayBuffers, handed over to the client worker on first use). */
  bodies: ArrayBuffer[];
  records: number[];
  /**
   * The same batches as prepare() turns them into rows, for the raw and store-layer phases: built again for each
   * phase and dropped after it, so the hub phase runs without them in the heap it shares with the bench (200,000 rows
   * kept for the whole run were tens of MB of live objects every major collection of the hub had to mark).
   */
  rows(): ObservationRow[][];
  count: number;
  converted: number;
  jsonBytes: number;
  prepareMs: number;
}

const enc = new TextEncoder();

function buildWorkload(reg: RegistryDocs, registry: Registry, po: PrepareOptions, count: number, batch: number, baseMs: number): Workload {
  const recordsOf = (start: number) => Array.from({ length: Math.min(batch, count - start) }, (_, j) => reading(reg, baseMs, start + j));
  const rows = () => {
    const out: ObservationRow[][] = [];
    for (let start = 0; start < count; start += batch) out.push(prepare(recordsOf(start), registry, po).rows);
    return out;
  };
  const w: Workload = { bodies: [], records: [], rows, count, converted: 0, jsonBytes: 0, prepareMs: 0 };
  for (let start = 0; start < count; start += batch) {
    const records = recordsOf(start);
    const n = records.length;
    const body = enc.encode(JSON.stringify({ records }));
    w.bodies.push(body.byteOffset === 0 && body.buffer.byteLength === body.byteLength ? body.buffer as ArrayBuffer : body.slice().buffer as ArrayBuffer);
    w.records.push(n);
    w.jsonBytes += body.byteLength;
    w.converted += records.filter((r) => r.unit !== undefined).length;
    const t0 = performance.now();
    const p = prepare(records, registry, po);
    w.prepareMs += performance.now() - t0;
    if (p.quarantine.length || p.rows.length !== n) throw new Error(`bench data did not prepare cleanly: ${JSON.stringify(p.quarantine[0])}`);
  }
  return w;
}

// ---------------------------------------------------------------------------------------------------------
// Stores

interface StoreSetup {
  label: string;
  /** Point the hub config at this store. */
  configure(c: LoadedConfig['config']): void;
  /** The driver for the raw and store-layer phases: a separate pool (PostgreSQL) or the hub's instance (PGlite). */
  rawDriver(hub: Hub, concurrency: number): Promise<{ db: SqlDriver; own: boolean; what: string }>;
  /** Before each measured phase: PostgreSQL CHECKPOINT, so that no phase pays for the previous one's WAL. */
  settle(): Promise<void>;
  cleanup(): Promise<void>;
}

async function setupPostgres(): Promise<StoreSetup> {
  const adminUrl = process.env.DATABASE_URL || DEFAULT_PG_URL;
  const dbName = `lifeline_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (e) {
    throw new BenchUsageError(`cannot connect to PostgreSQL at ${adminUrl.replace(/\/\/[^@]*@/, '//***@')} (set DATABASE_URL): ${(e as Error).message}`);
  }
  const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  let checkpoint = true;
  return {
    label: `PostgreSQL ${version.split(' ')[0]} at ${u.host} (database ${dbName}, dropped at the end; CHECKPOINT before each measured phase)`,
    configure(c) { c.store.url = url; },
    rawDriver: async (_hub, concurrency) => ({ db: await openPostgres(url, concurrency), own: true, what: `a separate pg pool of ${concurrency}` }),
    async settle() {
      if (!checkpoint) return;
      try {
        await admin.query('CHECKPOINT');
      } catch (e) {
        checkpoint = false; // needs superuser or pg_checkpoint (PostgreSQL 15+)
        console.log(`  (no CHECKPOINT between phases: ${(e as Error).message}; checkpoints may land in any phase)`);
      }
    },
    async cleanup() {
      try { await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } finally { await admin.end(); }
    },
  };
}

async function setupPglite(): Promise<StoreSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-'));
  let db: SqlDriver | undefined;
  return {
    label: `PGlite on disk (${dir}, removed at the end), in the hub's store thread (a worker thread of this process); CHECKPOINT before each measured phase`,
    configure(c) { c.store.url = undefined; c.data_dir = dir; },
    rawDriver: async (hub) => { db = hub.db; return { db: hub.db, own: false, what: "the hub's PGlite instance, hub idle" }; },
    // PGlite writes its checkpoints itself, in the statement that fills the WAL: without one here, a phase would pay
    // for the WAL of the phase before it.
    async settle() { await db?.query('CHECKPOINT'); },
    async cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Phases

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function countRows(db: Queryable): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);
}

async function truncate(db: SqlDriver) {
  // The hub's roller and alarm evaluator read these tables between phases, each step after taking its cursor row
  // (the roller: FOR UPDATE SKIP LOCKED) or the evaluator's step lock (PostgreSQL: an advisory lock, try-only; on
  // PGlite a transaction holds the whole engine). Holding both first makes their steps skip while TRUNCATE takes its locks,
  // instead of deadlocking with it (PostgreSQL would cancel one of the two, and the hub would log an error). Should
  // another reader deadlock with it anyway, try again. The cursors move to the outbox's last id, in the same
  // transaction: a cursor left at the last phase's end would skip the next phase's first entries (no rollup work in
  // that phase) and then roll the rest, a share that changed from phase to phase.
  for (let i = 0; ; i++) {
    try {
      await db.transaction(async (tx) => {
        if (db.kind !== 'pglite') await lockSteps(tx, true);
        await tx.query('SELECT 1 FROM rollup_cursor ORDER BY name FOR UPDATE');
        // Ids are not restarted: the hub's roller and alarm evaluator hold committed batches by outbox entry id, and
        // a reused id would hand them a batch of the phase before (a batch is held once per id).
        await tx.query('TRUNCATE observation_data, outbox, observation_latest, rollup');
        await tx.query(`UPDATE rollup_cursor SET outbox_id = (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM outbox_id_seq), seen = '{}'`);
      });
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '40P01' || i >= 5) throw e;
    }
  }
}

/** Run `work(i)` for every batch index with `concurrency` in flight; a progress line every few seconds. */
async function lanes(label: string, total: number, concurrency: number, work: (i: number) => Promise<number>): Promise<{ rows: number; ms: number }> {
  let next = 0, rows = 0, done = 0;
  const t0 = performance.now();
  let last = t0;
  const lane = async () => {
    while (next < total) {
      const i = next++;
      const n = await work(i); // not `rows += await …`: that reads rows before the await and loses updates
      rows += n;
      done++;
      const now = performance.now();
      if (now - last >= PROGRESS_MS) { last = now; console.log(`      … ${label}: ${done}/${total} batches, ${fmt(rows / ((now - t0) / 1000))} rows/s`); }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { rows, ms: performance.now() - t0 };
}

/** Sum and count of lifeline_store_commit_seconds from /metrics (the hub times each commitBatch). */
async function commitStats(url: string, key: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  const num = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { sum: num('lifeline_store_commit_seconds_sum'), count: num('lifeline_store_commit_seconds_count') };
}

function cpuLine(r: CpuReport, mainLabel: string, extra = ''): string {
  const c = (x: number) => x.toFixed(2);
  const parts: string[] = [];
  if (r.postgresCores !== undefined) parts.push(`postgres ${c(r.postgresCores)}`);
  parts.push(`this process ${c(r.processCores)} (${mainLabel} ${Math.round(100 * r.mainElu)}%${extra})`);
  if (r.otherCores !== undefined) parts.push(`other processes ${c(r.otherCores)}${r.otherCores > DISTURBED_CORES ? ' DISTURBED' : ''}`);
  return `cpu cores: ${parts.join(', ')}${r.machineCores !== undefined ? ` — ${c(r.machineCores)} of ${r.cores} busy` : ''}`;
}

const disturbed = (r: CpuReport) => (r.otherCores ?? 0) > DISTURBED_CORES;

/** Re-send the measured batches with the main thread profiled; print self time by part of the ingest path. */
async function profileHub(hub: Hub, client: LoadClient, key: string, kind: StoreKind, count: number, concurrency: number) {
  await truncate(hub.db);
  const file = join(tmpdir(), `lifeline-bench-ingest-${kind}-hub-${process.pid}.cpuprofile`);
  const profiler = new Profiler();
  await profiler.start();
  const r = await client.run('hub HTTP ingest (profiled)', hub.url, key, undefined, concurrency, false);
  const profile = await profiler.stop(file);
  if (r.error) throw new Error(`profiled hub run failed: ${r.error}`);
  await truncate(hub.db);
  const { totalMs, buckets, top } = summarize(profile);
  const idle = buckets.find((b) => b.name === '(idle)')?.ms ?? 0;
  const busy = totalMs - idle;
  const per1k = (ms: number) => (ms / (count / 1000)).toFixed(2);
  console.log(`  profile of the main thread (the hub) during one more hub run (${fmt(r.accepted / (r.elapsedMs / 1000))} obs/s under the profiler):`);
  console.log(`    ${file}`);
  console.log(`    busy ${secs(busy)} of ${secs(totalMs)} (${pct(busy / totalMs)}); self time per 1,000 observations, share of busy:`);
  for (const b of buckets) {
    if (b.name === '(idle)') continue;
    console.log(`      ${b.name.padEnd(46)} ${per1k(b.ms).padStart(6)} ms  ${pct(b.ms / busy).padStart(6)}`);
  }
  console.log('    top functions by self time (ms per 1,000 observations):');
  for (const t of top.filter((x) => !x.fn.startsWith('(idle)')).slice(0, 12)) console.log(`      ${per1k(t.ms).padStart(6)}  ${t.fn}`);
}

interface Round { raw: number; rawCpu: CpuReport; plain?: number; plainCpu?: CpuReport; layer?: number; layerCpu?: CpuReport; hub: number; hubCpu: CpuReport; hubRun: ClientRun; commitMsPerBatch?: number }
interface StoreResult { kind: StoreKind; raw: number; plain?: number; plainRatio?: number; layer?: number; hub: number; ratio: number; pass: boolean; disturbedRounds: number; rounds: number }

async function benchStore(kind: StoreKind, o: Options): Promise<StoreResult> {
  const count = o.count ?? DEFAULTS[kind].count;
  const concurrency = o.concurrency ?? DEFAULTS[kind].concurrency;
  const batches = Math.ceil(count / o.batch);
  const warmCount = Math.min(count, o.batch * Math.max(4, concurrency * 3));
  const withPg = kind === 'postgres';
  const store = kind === 'postgres' ? await setupPostgres() : await setupPglite();
  let hub: Hub | undefined;
  let client: LoadClient | undefined;
  let raw: { db: SqlDriver; own: boolean; what: string } | undefined;
  try {
    console.log(`\n== ${kind}: ${store.label}`);
    const reg = benchRegistry(o.points, o.devices);
    const loaded = loadConfig(sampleConfigPath, {}); // {}: no DATABASE_URL / PORT overrides from this shell
    const c = loaded.config;
    store.configure(c);
    c.server.host = '127.0.0.1';
    c.server.port = 0;
    c.log.level = 'warn';
    c.api.keys = [];
    c.adapters = {};
    c.registry = reg as typeof c.registry;
    if (!o.alarms) c.alarms.enabled = false;
    c.store.pool_size = Math.max(c.store.pool_size, concurrency); // default 8: room for `concurrency` transactions

    const key = generateKey();
    const t0 = performance.now();
    hub = await startHub(loaded, { listen: true, env: { LIFELINE_API_KEY: key } });
    console.log(`hub started at ${hub.url} in ${secs(performance.now() - t0)} (migrations; registry: ${reg.sites.length} site, ${reg.devices.length} devices, ${reg.points.length} points of ${INDICATORS.join(', ')})`);

    // Readings end a minute before now (no future_time or late flags); warm-up readings an hour before those.
    const po: PrepareOptions = { receivedAtMs: Date.now(), timezone: c.timezone, futureToleranceMs: c.ingest.future_tolerance_s * 1000, lateAfterMs: c.ingest.late_after_s * 1000 };
    const baseMs = Math.floor(Date.now() / 1000) * 1000 - 60_000 - Math.ceil(count / o.points) * 1000;
    const warmBaseMs = baseMs - 3_600_000 - Math.ceil(warmCount / o.points) * 1000;
    const t1 = performance.now();
    const warm = buildWorkload(reg, hub.registry.registry, po, warmCount, o.batch, warmBaseMs);
    const main = buildWorkload(reg, hub.registry.registry, po, count, o.batch, baseMs);
    console.log(`workload: ${fmt(count)} observations per run in ${batches} batches of ${fmt(o.batch)}, concurrency ${concurrency}, ${o.rounds} round(s); ` +
      `${pct(main.converted / count)} in kPa (converted to MPa), ${fmt(main.jsonBytes / count)} JSON bytes/record; built in ${secs(performance.now() - t1)}`);

    raw = await store.rawDriver(hub, concurrency);
    const rawDb = raw.db;
    const rawBatch = (batches: ObservationRow[][], sql = INSERT_OBSERVATIONS) => async (i: number) => {
      const rows = batches[i]!;
      await rawDb.query(sql, await observationParams(rawDb, rawDb, rows, 'http', Date.now()));
      return rows.length;
    };
    const layerBatch = (batches: ObservationRow[][]) => (i: number) => commitBatch(rawDb, { adapter: 'http', receivedAtMs: Date.now(), rows: batches[i]!, quarantine: [] }).then((m) => m.size);

    // Warm-up (JIT, connections, plan caches), on an empty table each time.
    client = new LoadClient();
    {
      const warmRows = warm.rows();
      await lanes('raw warm-up', warmRows.length, concurrency, rawBatch(warmRows));
      await truncate(rawDb);
      if (o.plain) { await lanes('plain insert warm-up', warmRows.length, concurrency, rawBatch(warmRows, INSERT_NEW_OBSERVATIONS)); await truncate(rawDb); }
      if (o.storeLayer) { await lanes('store layer warm-up', warmRows.length, concurrency, layerBatch(warmRows)); await truncate(rawDb); }
    }
    const w0 = await client.run('hub warm-up', hub.url, key, warm, concurrency, false);
    if (w0.error) throw new Error(`hub warm-up failed: ${w0.error}`);
    await truncate(hub.db);
    console.log(`raw phases: ${raw.what}, INSERT_OBSERVATIONS (INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING: the store's insert with the identity's dedup, without commitBatch's RETURNING/outbox/latest), autocommit`);
    if (o.plain) console.log(`plain insert phase: the same without ON CONFLICT (fails on a reading already stored; what the hub runs first for a batch)`);
    console.log(`hub phase: POST /v1/observations, JSON, ${concurrency} keep-alive connections from a worker thread (client), the hub in the main thread`);

    const rounds: Round[] = [];
    let sentBodies = false;
    for (let r = 1; r <= o.rounds; r++) {
      console.log(`  round ${r}/${o.rounds}`);
      const round: Partial<Round> = {};
      const insertPhase = (label: string, sql: string, put: (rate: number, cpu: CpuReport) => void) => async () => {
        const rows = main.rows();
        await store.settle();
        const cpu0 = cpuSnapshot(withPg);
        const x = await lanes(label, rows.length, concurrency, rawBatch(rows, sql));
        const cpu = cpuSince(cpu0, withPg);
        const stored = await countRows(rawDb);
        if (stored !== count) throw new Error(`${label} run stored ${stored} rows, expected ${count}`);
        await truncate(rawDb);
        put(x.rows / (x.ms / 1000), cpu);
        console.log(`    ${label.padEnd(16)} ${fmt(x.rows / (x.ms / 1000)).padStart(8)} rows/s  ${secs(x.ms)}   ${cpuLine(cpu, 'main loop')}`);
      };
      const rawPhase = insertPhase('raw store insert', INSERT_OBSERVATIONS, (rate, cpu) => { round.raw = rate; round.rawCpu = cpu; });
      const plainPhase = insertPhase('plain insert', INSERT_NEW_OBSERVATIONS, (rate, cpu) => { round.plain = rate; round.plainCpu = cpu; });
      const layerPhase = async () => {
        const rows = main.rows();
        await store.settle();
        const cpu0 = cpuSnapshot(withPg);
        const x = await lanes('store layer', rows.length, concurrency, layerBatch(rows));
        round.layerCpu = cpuSince(cpu0, withPg);
        if (x.rows !== count) throw new Error(`commitBatch stored ${x.rows} rows, expected ${count}`);
        await truncate(rawDb);
        round.layer = x.rows / (x.ms / 1000);
        console.log(`    store layer      ${fmt(round.layer).padStart(8)} rows/s  ${secs(x.ms)}   ${cpuLine(round.layerCpu, 'main loop')}`);
      };
      const hubPhase = async () => {
        await store.settle();
        const before = await commitStats(hub!.url, key);
        const cpu0 = cpuSnapshot(withPg);
        const x = await client!.run('hub HTTP ingest', hub!.url, key, sentBodies ? undefined : main, concurrency, true);
        round.hubCpu = cpuSince(cpu0, withPg);
        sentBodies = true;
        if (x.error) throw new Error(`hub ingest failed: ${x.error}`);
        const after = await commitStats(hub!.url, key);
        const stored = await countRows(hub!.db);
        if (stored !== x.accepted) throw new Error(`the store holds ${stored} observations but the hub acknowledged ${x.accepted}`);
        if (x.accepted !== count) throw new Error(`the hub accepted ${x.accepted} of ${count} observations (duplicates ${x.duplicates}, quarantined ${x.quarantined})`);
        await truncate(hub!.db);
        round.hub = x.accepted / (x.elapsedMs / 1000);
        round.hubRun = x;
        if (after.count > before.count) round.commitMsPerBatch = ((after.sum - before.sum) * 1000) / (after.count - before.count);
        console.log(`    hub HTTP ingest  ${fmt(round.hub).padStart(8)} obs/s   ${secs(x.elapsedMs)}   ${cpuLine(round.hubCpu, 'hub loop', `, client loop ${Math.round(100 * x.clientElu)}%`)}`);
        console.log(`                     count(*) = ${fmt(stored)} = accepted ✓; latency p50 ${x.latencyMs.p50.toFixed(0)} ms, p95 ${x.latencyMs.p95.toFixed(0)} ms; ` +
          `commitBatch ${round.commitMsPerBatch?.toFixed(1) ?? '?'} ms/batch (incl. waiting for a connection)`);
      };
      const phases = [rawPhase, ...(o.plain ? [plainPhase] : []), ...(o.storeLayer ? [layerPhase] : []), hubPhase];
      for (const phase of r % 2 ? phases : phases.reverse()) await phase();
      console.log(`    round ratio ${pct(round.hub! / round.raw!)}${round.plain ? ` (of the plain insert ${pct(round.hub! / round.plain)})` : ''}${disturbed(round.rawCpu!) || disturbed(round.hubCpu!) ? ' (disturbed by other processes)' : ''}`);
      rounds.push(round as Round);
    }

    if (o.profile) await profileHub(hub, client, key, kind, count, concurrency);

    const rawRate = median(rounds.map((r) => r.raw));
    const hubRate = median(rounds.map((r) => r.hub));
    const layerRate = o.storeLayer ? median(rounds.map((r) => r.layer!)) : undefined;
    const plainRate = o.plain ? median(rounds.map((r) => r.plain!)) : undefined;
    const plainRatio = o.plain ? median(rounds.map((r) => r.hub / r.plain!)) : undefined;
    const ratio = median(rounds.map((r) => r.hub / r.raw));
    const pass = ratio >= TARGET;
    const disturbedRounds = rounds.filter((r) => disturbed(r.rawCpu) || disturbed(r.hubCpu)).length;
    const m = o.rounds > 1 ? `median of ${o.rounds} rounds: ` : '';
    console.log(`  ${kind}: batch ${fmt(o.batch)}, ${fmt(count)} observations per run, concurrency ${concurrency}`);
    console.log(`  raw store insert: ${fmt(rawRate)} rows/s  (${m}${rounds.map((r) => fmt(r.raw)).join(', ')})`);
    if (plainRate !== undefined) console.log(`  plain insert:     ${fmt(plainRate)} rows/s  (${m}${rounds.map((r) => fmt(r.plain!)).join(', ')}; no dedup: ${pct(plainRate / rawRate)} of raw)`);
    if (layerRate !== undefined) console.log(`  store layer:      ${fmt(layerRate)} rows/s  (${m}${rounds.map((r) => fmt(r.layer!)).join(', ')}; ${pct(layerRate / rawRate)} of raw)`);
    console.log(`  hub HTTP ingest:  ${fmt(hubRate)} obs/s   (${m}${rounds.map((r) => fmt(r.hub)).join(', ')})`);
    const m2 = o.rounds > 1 ? `median of the ${o.rounds} rounds' ratios ${rounds.map((r) => pct(r.hub / r.raw)).join(', ')}; the ratio of the median rates is ${pct(hubRate / rawRate)}` : '';
    console.log(`  ratio: ${pct(ratio)} (target ≥ ${TARGET * 100}%) ${pass ? 'PASS' : 'BELOW TARGET'}${m2 ? `  (${m2})` : ''}${o.alarms ? '' : '  [alarm evaluator off]'}`);
    if (plainRatio !== undefined) console.log(`  ratio of the plain insert (no dedup; the hub's first attempt at each batch): ${pct(plainRatio)}${o.rounds > 1 ? `  (median of ${rounds.map((r) => pct(r.hub / r.plain!)).join(', ')})` : ''}`);
    console.log(`  committed: count(*) of observation equalled the acknowledged accepted count (${fmt(count)}) after each of the ${rounds.length} hub runs`);
    if (disturbedRounds) console.log(`  note: other processes used more than ${DISTURBED_CORES} cores in ${disturbedRounds} of ${rounds.length} rounds; the figures are disturbed`);
    return { kind, raw: rawRate, plain: plainRate, plainRatio, layer: layerRate, hub: hubRate, ratio, pass, disturbedRounds, rounds: rounds.length };
  } finally {
    await client?.close().catch(() => undefined);
    if (raw?.own) await raw.db.close().catch(() => undefined);
    await hub?.stop().catch((e) => console.error(`hub stop: ${(e as Error).message}`));
    await store.cleanup().catch((e) => console.error(`cleanup: ${(e as Error).message}`));
  }
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  if (!o) return;
  console.log(`ingest benchmark: hub HTTP ingest → pipeline → committed vs the raw insert rate of the same store; target hub ≥ ${TARGET * 100}% of raw`);
  console.log(`node ${process.version}, ${cpus().length} CPU(s) shared by the hub, its HTTP client (worker thread), the store and anything else running`);
  const results: StoreResult[] = [];
  for (const kind of o.stores) results.push(await benchStore(kind, o));

  console.log(`\nsummary (rates: medians${o.rounds > 1 ? ` of ${o.rounds} rounds; ratio: the median of the rounds' ratios` : ''}; batch ${fmt(o.batch)}${o.alarms ? '' : '; alarm evaluator off'})`);
  console.log(`  ${'store'.padEnd(9)} ${'raw rows/s'.padStart(11)} ${'plain rows/s'.padStart(13)} ${'store layer'.padStart(12)} ${'hub obs/s'.padStart(10)} ${'ratio'.padStart(7)} ${'of plain'.padStart(9)}  target ≥ ${TARGET * 100}% of raw`);
  for (const r of results) {
    console.log(`  ${r.kind.padEnd(9)} ${fmt(r.raw).padStart(11)} ${(r.plain ? fmt(r.plain) : '-').padStart(13)} ${(r.layer ? fmt(r.layer) : '-').padStart(12)} ${fmt(r.hub).padStart(10)} ${pct(r.ratio).padStart(7)} ${(r.plainRatio ? pct(r.plainRatio) : '-').padStart(9)}  ` +
      `${r.pass ? 'PASS' : 'BELOW TARGET'}${r.disturbedRounds ? `  (${r.disturbedRounds}/${r.rounds} rounds disturbed by other load)` : ''}`);
  }
}
