// HTTP batch ingest → pipeline → committed, in observations/s, against the raw insert rate of the same store (target ≥ 60%).
//
// For each store (PostgreSQL, PGlite) in a fresh database / data directory:
//   1. register 1 site, 50 devices, 1,000 points (water indicators) — the same registry the hub is started with;
//   2. raw: the store's own insert rate for the same rows, batch size and concurrency, through the hub's driver
//      layer with the hub's statement shape (INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING, built with
//      observationParams), no HTTP and no pipeline;
//   3. hub: POST /v1/observations JSON batches to a hub listening on 127.0.0.1 with N keep-alive connections,
//      counting `accepted` from the responses; the client runs in a worker thread so that it does not share
//      the hub's event loop;
//   4. ratio hub / raw against the target, and count(*) of observation against what the hub acknowledged.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { loadConfig, sampleConfigPath, type LoadedConfig } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { openPglite } from '../hub/store/pglite.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import { migrate } from '../hub/store/migrate.ts';
import type { SqlDriver } from '../hub/store/driver.ts';
import { observationParams, commitBatch } from '../hub/store/observations.ts';
import type { ObservationRow } from '../hub/store/rows.ts';
import { catalogueByCode } from '../hub/registry/catalogue.ts';
import { RegistryService } from '../hub/registry/service.ts';
import type { RegistryDocs } from '../hub/registry/check.ts';
import { prepare, type PrepareOptions } from '../hub/pipeline/prepare.ts';
import { generateKey } from '../hub/api/auth.ts';
import type { SourceReading } from '../schemas/generated/types.ts';
import { cpuSnapshot, cpuSince, describeCpu } from './lib/cpu.ts';

type StoreKind = 'postgres' | 'pglite';

const TARGET = 0.6;
const DEFAULTS: Record<StoreKind, { count: number; concurrency: number }> = {
  postgres: { count: 200_000, concurrency: 4 },
  pglite: { count: 100_000, concurrency: 2 },
};
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PROGRESS_MS = 3000;

// The hub's INSERT_BATCH (hub/store/observations.ts, not exported) without its RETURNING and outbox CTE:
// the same columns, unnest() parameters and identity conflict clause, i.e. the cheapest statement that
// stores the same rows the same way. The hub's full statement is measured separately as "hub store layer".
const RAW_INSERT = `
INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
                         source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit)
SELECT u.p, u.d, u.s, u.i, u.k, to_timestamp(u.t / 1000.0), u.v, u.a, u.mn, u.mx, u.c, u.un, u.sf,
       CASE WHEN u.f = '' THEN '{}'::text[] ELSE string_to_array(u.f, ',') END,
       CASE WHEN u.w = '' THEN '{}'::text[] ELSE string_to_array(u.w, ',') END,
       $19, u.m, to_timestamp($20 / 1000.0), u.rv, u.ru
FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[],
            $9::float8[], $10::float8[], $11::float8[], $12::text[], $13::text[], $14::text[], $15::text[],
            $16::text[], $17::float8[], $18::text[])
     AS u(p, d, s, i, k, t, v, a, mn, mx, c, un, sf, f, w, m, rv, ru)
ON CONFLICT (point_id, kind, time) DO NOTHING`;

const HELP = `usage: npm run bench -- ingest [options]

  --store pglite|postgres|both   stores to measure (default both)
  --count N                      observations per store (default ${DEFAULTS.postgres.count} postgres, ${DEFAULTS.pglite.count} pglite)
  --batch N                      records per HTTP batch and per raw INSERT (default 1000)
  --concurrency N                concurrent HTTP connections, and raw INSERTs in flight
                                 (default ${DEFAULTS.postgres.concurrency} postgres, ${DEFAULTS.pglite.concurrency} pglite)
  --points N / --devices N       registry size (default 1000 points on 50 devices, 1 site)
  --no-store-layer               skip the extra "hub store layer" measurement (commitBatch without HTTP)

PostgreSQL: DATABASE_URL (default ${DEFAULT_PG_URL}) names a server and a role that may CREATE DATABASE;
the run uses a fresh database lifeline_bench_<pid> and drops it at the end.
PGlite: a fresh on-disk data directory under ${tmpdir()}, removed at the end.`;

interface Options {
  stores: StoreKind[];
  count?: number;
  batch: number;
  concurrency?: number;
  points: number;
  devices: number;
  storeLayer: boolean;
}

function parseCount(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(v.replace(/[_,]/g, ''));
  const n = m ? Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: 'string', default: 'both' },
      count: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      points: { type: 'string' },
      devices: { type: 'string' },
      'no-store-layer': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) { console.log(HELP); return undefined; }
  const stores: StoreKind[] = values.store === 'both' ? ['postgres', 'pglite'] : values.store === 'postgres' || values.store === 'pglite' ? [values.store] : [];
  if (!stores.length) throw new Error(`--store must be pglite, postgres or both, got "${values.store}"`);
  const batch = parseCount('batch', values.batch) ?? 1000;
  if (batch > 10_000) throw new Error('--batch must be at most 10000 (the ingest-batch schema limit)');
  const points = parseCount('points', values.points) ?? 1000;
  const devices = parseCount('devices', values.devices) ?? 50;
  if (devices > points) throw new Error('--devices must not exceed --points');
  return { stores, count: parseCount('count', values.count), batch, concurrency: parseCount('concurrency', values.concurrency), points, devices, storeLayer: !values['no-store-layer'] };
}

// ---------------------------------------------------------------------------------------------------------
// Workload: registry and readings

const INDICATORS = ['water.pipe_pressure', 'water.pipe_flow_velocity', 'water.hydrant_pressure', 'water.leak_noise', 'water.hydrant_flow'] as const;
const PRESSURE = new Set<string>(['water.pipe_pressure', 'water.hydrant_pressure']);

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

/** ISO 8601 with a +08:00 offset, as Chinese field devices and gateways send it. */
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
  /** JSON bodies for POST /v1/observations (ArrayBuffers, handed over to the client worker). */
  bodies: ArrayBuffer[];
  records: number[];
  /** The same batches as prepare() turns them into rows (for the raw and store-layer runs). */
  rows: ObservationRow[][];
  converted: number;
  jsonBytes: number;
  prepareMs: number;
}

const enc = new TextEncoder();

function buildWorkload(reg: RegistryDocs, registry: RegistryService, po: PrepareOptions, count: number, batch: number, baseMs: number, withRows: boolean): Workload {
  const w: Workload = { bodies: [], records: [], rows: [], converted: 0, jsonBytes: 0, prepareMs: 0 };
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const records = Array.from({ length: n }, (_, j) => reading(reg, baseMs, start + j));
    const body = enc.encode(JSON.stringify({ records }));
    w.bodies.push(body.buffer.byteLength === body.byteLength ? body.buffer as ArrayBuffer : body.slice().buffer as ArrayBuffer);
    w.records.push(n);
    w.jsonBytes += body.byteLength;
    w.converted += records.filter((r) => r.unit !== undefined).length;
    if (withRows) {
      const t0 = performance.now();
      const p = prepare(records, registry.registry, po);
      w.prepareMs += performance.now() - t0;
      if (p.quarantine.length || p.rows.length !== n) throw new Error(`bench data did not prepare cleanly: ${JSON.stringify(p.quarantine[0])}`);
      w.rows.push(p.rows);
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------------------------
// Stores

interface StoreSetup {
  kind: StoreKind;
  label: string;
  /** Point the hub config at this store. */
  configure(c: LoadedConfig['config']): void;
  /** A driver of the hub's own kind (hub/store/*.ts) for the raw run; PGlite allows one at a time. */
  open(poolSize: number): Promise<SqlDriver>;
  cleanup(): Promise<void>;
}

async function setupPostgres(): Promise<StoreSetup> {
  const adminUrl = process.env.DATABASE_URL || DEFAULT_PG_URL;
  const dbName = `lifeline_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`cannot connect to PostgreSQL at ${adminUrl.replace(/\/\/[^@]*@/, '//***@')} (set DATABASE_URL): ${(e as Error).message}`);
  }
  const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  return {
    kind: 'postgres',
    label: `PostgreSQL ${version} (database ${dbName}, dropped at the end)`,
    configure(c) { c.store.url = url; },
    open: (poolSize) => openPostgres(url, poolSize),
    async cleanup() {
      try { await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } finally { await admin.end(); }
    },
  };
}

async function setupPglite(): Promise<StoreSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-'));
  return {
    kind: 'pglite',
    label: `PGlite on disk (${dir}, removed at the end)`,
    configure(c) { c.store.url = undefined; c.data_dir = dir; },
    open: () => openPglite(join(dir, 'pglite')), // where startHub puts it: <data_dir>/pglite
    async cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Measurements

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function countRows(db: { query: SqlDriver['query'] }, table = 'observation'): Promise<number> {
  return Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
}

/** Run `work(i)` for every batch index with `concurrency` in flight; progress line every few seconds. */
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
      if (now - last >= PROGRESS_MS) { last = now; console.log(`  … ${label}: ${done}/${total} batches, ${fmt(rows / ((now - t0) / 1000))} rows/s`); }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { rows, ms: performance.now() - t0 };
}

async function truncate(db: { query: SqlDriver['query'] }) {
  await db.query('TRUNCATE observation, outbox RESTART IDENTITY');
}

class LoadClient {
  private readonly worker = new Worker(new URL('./lib/http-client.mjs', import.meta.url));
  private readonly exited: Promise<void>;
  constructor() {
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.unref();
  }

  run(label: string, url: string, key: string, w: Workload, concurrency: number, progress: boolean) {
    type Done = { error?: string; batches: number; sent: number; accepted: number; duplicates: number; quarantined: number; elapsedMs: number; clientElu: number; latencyMs: { p50: number; p95: number; max: number } };
    return new Promise<Done>((resolve, reject) => {
      const onMessage = (m: { type: string } & Record<string, unknown>) => {
        if (m.type === 'progress') {
          const { batches, total, accepted, elapsedMs } = m as unknown as { batches: number; total: number; accepted: number; elapsedMs: number };
          console.log(`  … ${label}: ${batches}/${total} batches, ${fmt(accepted / (elapsedMs / 1000))} obs/s`);
        } else if (m.type === 'done') {
          this.worker.off('message', onMessage); this.worker.off('error', onError);
          resolve(m as unknown as Done);
        }
      };
      const onError = (e: Error) => { this.worker.off('message', onMessage); reject(e); };
      this.worker.on('message', onMessage);
      this.worker.once('error', onError);
      this.worker.postMessage({ cmd: 'run', url, key, bodies: w.bodies, records: w.records, concurrency, progressMs: progress ? PROGRESS_MS : 0 }, w.bodies);
    });
  }

  async close() {
    this.worker.postMessage({ cmd: 'close' });
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.worker.terminate();
  }
}

/** Sum and count of lifeline_store_commit_seconds from /metrics (the hub times each commitBatch). */
async function commitStats(url: string, key: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  const num = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { sum: num('lifeline_store_commit_seconds_sum'), count: num('lifeline_store_commit_seconds_count') };
}

interface StoreResult { kind: StoreKind; raw: number; rawRuns: number[]; hub: number; storeLayer?: number; ratio: number; pass: boolean; otherCores?: number }

async function benchStore(kind: StoreKind, o: Options): Promise<StoreResult> {
  const count = o.count ?? DEFAULTS[kind].count;
  const concurrency = o.concurrency ?? DEFAULTS[kind].concurrency;
  const batches = Math.ceil(count / o.batch);
  const warmCount = Math.min(count, o.batch * Math.max(4, concurrency * 2));
  const store = kind === 'postgres' ? await setupPostgres() : await setupPglite();
  const withPg = kind === 'postgres';
  let hub: Hub | undefined;
  let client: LoadClient | undefined;
  let raw: SqlDriver | undefined;
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
    // The hub's pool is sized by the config (default 8): enough for `concurrency` transactions in flight.
    c.store.pool_size = Math.max(c.store.pool_size, concurrency);
    const po: PrepareOptions = { receivedAtMs: Date.now(), timezone: c.timezone, futureToleranceMs: c.ingest.future_tolerance_s * 1000, lateAfterMs: c.ingest.late_after_s * 1000 };

    // Readings end a minute before now (no future_time, no late flags); warm-up readings an hour before that.
    const steps = Math.ceil(count / o.points);
    const baseMs = Math.floor(Date.now() / 1000) * 1000 - 60_000 - steps * 1000;
    const warmBaseMs = baseMs - 3_600_000 - Math.ceil(warmCount / o.points) * 1000;

    // --- 1. registry, via a driver of the hub's kind (the hub applies the same docs again on start: a no-op upsert)
    const t0 = performance.now();
    raw = await store.open(concurrency);
    await migrate(raw);
    const registry = new RegistryService(raw, catalogueByCode());
    await registry.reload();
    await registry.apply(reg);
    console.log(`registry: ${reg.sites.length} site, ${reg.devices.length} devices, ${reg.points.length} points (${INDICATORS.join(', ')}) in ${secs(performance.now() - t0)}`);

    const t1 = performance.now();
    const warm = buildWorkload(reg, registry, po, warmCount, o.batch, warmBaseMs, true);
    const main = buildWorkload(reg, registry, po, count, o.batch, baseMs, true);
    const perRecord = main.jsonBytes / count;
    console.log(`workload: ${fmt(count)} observations in ${batches} batches of ${fmt(o.batch)}, ${fmt(main.converted)} (${(100 * main.converted / count).toFixed(1)}%) in kPa → MPa, ` +
      `${fmt(perRecord)} JSON bytes/record; concurrency ${concurrency}; built in ${secs(performance.now() - t1)}`);
    console.log(`  (in-process, for reference: prepare() ${fmt(count / (main.prepareMs / 1000))} records/s on one core)`);

    // --- 2. raw store insert rate: before and after the hub run (the mean is the reference), same rows each time
    const rawBatch = (db: SqlDriver, w: Workload) => async (i: number) => {
      const rows = w.rows[i]!;
      await db.query(RAW_INSERT, observationParams(rows, 'http', Date.now()));
      return rows.length;
    };
    const rawRuns: number[] = [];
    const measureRaw = async (db: SqlDriver, label: string) => {
      await lanes(`${label} warm-up`, warm.rows.length, concurrency, rawBatch(db, warm));
      await truncate(db);
      const cpu0 = cpuSnapshot(withPg);
      const r = await lanes(label, main.rows.length, concurrency, rawBatch(db, main));
      const cpu = cpuSince(cpu0, withPg);
      const stored = await countRows(db);
      if (stored !== count) throw new Error(`raw run stored ${stored} rows, expected ${count}`);
      await truncate(db);
      const rate = r.rows / (r.ms / 1000);
      rawRuns.push(rate);
      console.log(`${label}: ${fmt(rate)} rows/s  (${fmt(r.rows)} rows in ${secs(r.ms)}; INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING, autocommit, ${concurrency} in flight)`);
      console.log(`  ${describeCpu(cpu, 'main thread')}`);
      return cpu;
    };
    await measureRaw(raw, 'raw store insert #1');

    // --- 2b. the hub's store layer alone: commitBatch (its INSERT … RETURNING + outbox CTE, in a transaction)
    let storeLayerRate: number | undefined;
    if (o.storeLayer) {
      const commit = (i: number) => commitBatch(raw!, { adapter: 'http', receivedAtMs: Date.now(), rows: main.rows[i]!, quarantine: [] }).then((m) => m.size);
      const cpu0 = cpuSnapshot(withPg);
      const sl = await lanes('hub store layer', main.rows.length, concurrency, commit);
      const cpu = cpuSince(cpu0, withPg);
      if (sl.rows !== count) throw new Error(`commitBatch stored ${sl.rows} rows, expected ${count}`);
      await truncate(raw);
      storeLayerRate = sl.rows / (sl.ms / 1000);
      console.log(`hub store layer: ${fmt(storeLayerRate)} rows/s  (commitBatch() on the same rows: the hub's INSERT … RETURNING + outbox, in a transaction; no HTTP/JSON/validation/prepare)`);
      console.log(`  ${describeCpu(cpu, 'main thread')}`);
    }
    await raw.close(); // PGlite: one instance per data directory, and the hub opens its own
    raw = undefined;

    // --- 3. hub HTTP ingest rate
    const key = generateKey();
    hub = await startHub(loaded, { listen: true, env: { LIFELINE_API_KEY: key } });
    client = new LoadClient();
    const w0 = await client.run('hub warm-up', hub.url, key, warm, concurrency, false);
    if (w0.error) throw new Error(`hub warm-up failed: ${w0.error}`);
    await truncate(hub.db);
    const before = await commitStats(hub.url, key);
    const cpu0 = cpuSnapshot(withPg);
    const run = await client.run('hub HTTP ingest', hub.url, key, main, concurrency, true);
    const hubCpu = cpuSince(cpu0, withPg);
    if (run.error) throw new Error(`hub ingest failed: ${run.error}`);
    const after = await commitStats(hub.url, key);
    const hubRate = run.accepted / (run.elapsedMs / 1000);
    console.log(`hub HTTP ingest: ${fmt(hubRate)} obs/s  (${fmt(run.accepted)} accepted in ${secs(run.elapsedMs)}; POST /v1/observations JSON, ${concurrency} keep-alive connections; ` +
      `latency p50 ${run.latencyMs.p50.toFixed(1)} ms, p95 ${run.latencyMs.p95.toFixed(1)} ms)`);
    console.log(`  ${describeCpu(hubCpu, 'hub')}; client worker event loop ${(100 * run.clientElu).toFixed(0)}% busy`);
    const commits = after.count - before.count;
    if (commits > 0) {
      const commitMs = (after.sum - before.sum) * 1000;
      console.log(`  hub commitBatch(): mean ${(commitMs / commits).toFixed(1)} ms per batch incl. waiting for a connection, ${secs(commitMs)} summed over ${commits} batches`);
    }
    const stored = await countRows(hub.db);
    const ok = stored === run.accepted;
    console.log(`committed: SELECT count(*) FROM observation = ${fmt(stored)}, acknowledged accepted = ${fmt(run.accepted)} (duplicates ${run.duplicates}, quarantined ${run.quarantined}) ${ok ? 'OK' : 'MISMATCH'}`);
    if (!ok) throw new Error(`the store holds ${stored} observations but the hub acknowledged ${run.accepted}`);
    if (run.accepted !== count) throw new Error(`the hub accepted ${run.accepted} of ${count} observations`);
    await client.close();
    client = undefined;
    await hub.stop();
    hub = undefined;

    // --- 2 again: raw after the hub, on a fresh driver
    raw = await store.open(concurrency);
    await truncate(raw);
    await measureRaw(raw, 'raw store insert #2');
    await raw.close();
    raw = undefined;

    // --- 4. ratio
    const rawRate = rawRuns.reduce((a, b) => a + b, 0) / rawRuns.length;
    const ratio = hubRate / rawRate;
    const pass = ratio >= TARGET;
    console.log(`raw store insert: ${fmt(rawRate)} rows/s (mean of ${rawRuns.map((r) => fmt(r)).join(' and ')})`);
    console.log(`hub HTTP ingest:  ${fmt(hubRate)} obs/s`);
    console.log(`ratio: ${(100 * ratio).toFixed(1)}% (target ≥ ${TARGET * 100}%) ${pass ? 'PASS' : 'BELOW TARGET'}`);
    if ((hubCpu.otherCores ?? 0) > 0.25) console.log(`  note: other processes used ${hubCpu.otherCores!.toFixed(2)} cores during the hub run; figures are disturbed`);
    return { kind, raw: rawRate, rawRuns, hub: hubRate, storeLayer: storeLayerRate, ratio, pass, otherCores: hubCpu.otherCores };
  } finally {
    await client?.close().catch(() => undefined);
    await hub?.stop().catch((e) => console.error(`hub stop: ${(e as Error).message}`));
    await raw?.close().catch(() => undefined);
    await store.cleanup().catch((e) => console.error(`cleanup: ${(e as Error).message}`));
  }
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  if (!o) return;
  console.log(`ingest benchmark: hub HTTP ingest vs raw store insert, target hub ≥ ${TARGET * 100}% of raw`);
  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} CPU(s), batch ${fmt(o.batch)}; the HTTP client runs in a worker thread of this process`);
  const results: StoreResult[] = [];
  for (const kind of o.stores) results.push(await benchStore(kind, o));

  console.log('\nsummary (raw = mean of the runs before and after the hub run)');
  console.log(`  ${'store'.padEnd(9)} ${'raw rows/s'.padStart(11)} ${'store layer'.padStart(12)} ${'hub obs/s'.padStart(10)} ${'ratio'.padStart(7)}  target ≥ ${TARGET * 100}%`);
  for (const r of results) {
    console.log(`  ${r.kind.padEnd(9)} ${fmt(r.raw).padStart(11)} ${(r.storeLayer ? fmt(r.storeLayer) : '-').padStart(12)} ${fmt(r.hub).padStart(10)} ${(100 * r.ratio).toFixed(1).padStart(6)}%  ${r.pass ? 'PASS' : 'BELOW TARGET'}`);
  }
}
