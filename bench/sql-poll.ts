// SQL intermediate database → store, in rows/s, from a 1,000,000-row table in PostgreSQL and MariaDB, against the store's raw insert rate (target ≥ 50%).
//
// For each source database (PostgreSQL, MariaDB):
//   - a fresh source database with the standard table (lifeline_reading) holding N rows (default 1,000,000;
//     generate_series / MariaDB's seq_1_to_N), 1,000 devices × 10 fields, one row per point per second;
//   - a fresh PostgreSQL store (database lifeline_bench_sqlpoll_<pid>) with the matching registry (10,000 points);
//   - raw (measured before and after the sql_poll phase, half the rows each): the store's own insert rate for the same rows in the same page size, one statement at a time (the adapter
//     commits one page after another for a source): the hub's INSERT_OBSERVATIONS through a separate pg connection,
//     rows prepared beforehand (no pipeline, no source query);
//   - sql_poll: the hub started with one sql_poll source on that table; from start until the committed cursor
//     reaches the last row; then count(*) of observation must equal N.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, sampleConfigPath } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import { observationParams, INSERT_OBSERVATIONS } from '../hub/store/observations.ts';
import type { ObservationRow } from '../hub/store/rows.ts';
import { prepare } from '../hub/pipeline/prepare.ts';
import type { SourceReading } from '../schemas/generated/types.ts';
import { standardDdl } from '../adapters/sql_poll/ddl.ts';
import { cpuSnapshot, cpuSince, type CpuReport } from './lib/cpu.ts';
import { BenchUsageError } from './lib/errors.ts';

const TARGET = 0.5;
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/mysql';
const DEVICES = 1000, FIELDS = 10;
const BASE_S = Date.UTC(2026, 0, 1) / 1000;

const HELP = `usage: npm run bench -- sql-poll [options]

  --source postgres|mysql|both   source databases to read (default both)
  --rows N                       rows in the intermediate table (default 1000000)
  --page N                       sql_poll page_size, and the raw insert batch (default 5000)
  --raw-rows N                   rows for the raw insert measurement (default 300000)

DATABASE_URL (default ${PG_URL}) names a PostgreSQL server and a role that may CREATE DATABASE: the store and
the PostgreSQL source are fresh databases there, dropped at the end. MYSQL_URL (default ${MYSQL_URL}) likewise for
the MariaDB/MySQL source (needs the SEQUENCE engine: MariaDB). Exit status is non-zero only when something fails.`;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const num = (v: string | undefined, d: number, name: string) => {
  if (v === undefined) return d;
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(v.replace(/[_,]/g, ''));
  const n = m ? Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
};
const cpuLine = (r: CpuReport) => `cpu cores: postgres ${r.postgresCores?.toFixed(2) ?? '?'}, this process ${r.processCores.toFixed(2)} (main loop ${Math.round(100 * r.mainElu)}%), other processes ${r.otherCores?.toFixed(2) ?? '?'} (MariaDB counts here)`;

function registry() {
  const dev = (d: number) => `B${String(d).padStart(4, '0')}`;
  return {
    sites: [{ code: 'BENCH-SQL', name: 'sql poll bench', domain: 'water' as const }],
    devices: Array.from({ length: DEVICES }, (_, d) => ({ code: dev(d), site: 'BENCH-SQL' })),
    points: Array.from({ length: DEVICES * FIELDS }, (_, i) => ({ code: `${dev(i % DEVICES)}-${Math.floor(i / DEVICES)}`, device: dev(i % DEVICES), indicator: 'water.pipe_pressure', field: `f${Math.floor(i / DEVICES)}` })),
  };
}

/** Row k as the adapter maps it (for the raw phase): device k mod 1000, field (k div 1000) mod 10, BASE + k s. */
const readingOf = (k: number): SourceReading => ({ device: `B${String(k % DEVICES).padStart(4, '0')}`, field: `f${Math.floor(k / DEVICES) % FIELDS}`, time: (BASE_S + k) * 1000, value: (k % 2000) / 1000, flag: 'N', kind: 'rtd', message_id: `bench:${k}` });

interface Db { url: string; exec(sql: string): Promise<void>; drop(): Promise<void> }

async function freshPg(name: string): Promise<Db> {
  const admin = new pg.Client({ connectionString: PG_URL });
  try { await admin.connect(); } catch (e) { throw new BenchUsageError(`cannot connect to PostgreSQL (set DATABASE_URL): ${(e as Error).message}`); }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(PG_URL); u.pathname = `/${name}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  return {
    url: u.toString(),
    exec: async (sql) => { await c.query(sql); },
    async drop() { await c.end().catch(() => undefined); await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); await admin.end(); },
  };
}

async function freshMysql(name: string): Promise<Db> {
  const mysql = await import('mysql2/promise');
  let admin;
  try { admin = await mysql.createConnection({ uri: MYSQL_URL }); } catch (e) { throw new BenchUsageError(`cannot connect to MariaDB (set MYSQL_URL): ${(e as Error).message}`); }
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = MYSQL_URL.replace(/\/[^/]*$/, `/${name}`);
  const c = await mysql.createConnection({ uri: url });
  return {
    url,
    exec: async (sql) => { await c.query(sql); },
    async drop() { await c.end().catch(() => undefined); await admin.query(`DROP DATABASE IF EXISTS ${name}`); await admin.end(); },
  };
}

async function fill(kind: 'postgres' | 'mysql', db: Db, rows: number) {
  for (const s of standardDdl(kind)) await db.exec(s);
  if (kind === 'postgres') {
    await db.exec(`INSERT INTO lifeline_reading (device_code, field_code, value, data_time)
      SELECT 'B' || lpad((k % ${DEVICES})::text, 4, '0'), 'f' || ((k / ${DEVICES}) % ${FIELDS}), (k % 2000) / 1000.0, to_timestamp(${BASE_S} + k)
      FROM generate_series(1, ${rows}) AS k ORDER BY k`);
    await db.exec('VACUUM ANALYZE lifeline_reading');
  } else {
    // Beijing wall time of BASE + k s (the DATETIME zone rule)
    await db.exec(`INSERT INTO lifeline_reading (device_code, field_code, value, data_time)
      SELECT CONCAT('B', LPAD(seq % ${DEVICES}, 4, '0')), CONCAT('f', FLOOR(seq / ${DEVICES}) % ${FIELDS}), (seq % 2000) / 1000.0,
             TIMESTAMP('2026-01-01 08:00:00') + INTERVAL seq SECOND
      FROM seq_1_to_${rows} ORDER BY seq`);
  }
}

interface Result { source: string; raw: number; poll: number; ratio: number; pass: boolean }

async function benchSource(kind: 'postgres' | 'mysql', o: { rows: number; page: number; rawRows: number }): Promise<Result> {
  const label = kind === 'postgres' ? 'PostgreSQL' : 'MariaDB';
  console.log(`\n== source: ${label}`);
  const store = await freshPg(`lifeline_bench_sqlpoll_${process.pid}`);
  const src = kind === 'postgres' ? await freshPg(`lifeline_bench_src_${process.pid}`) : await freshMysql(`lifeline_bench_src_${process.pid}`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-sqlpoll-'));
  let hub: Hub | undefined;
  try {
    let t = performance.now();
    await fill(kind, src, o.rows);
    console.log(`source: ${fmt(o.rows)} rows in lifeline_reading (${DEVICES} devices × ${FIELDS} fields), filled in ${secs(performance.now() - t)}`);

    const config = (adapters: Record<string, unknown>) => {
      const loaded = loadConfig(sampleConfigPath, {});
      loaded.baseDir = dir;
      const c = loaded.config;
      c.data_dir = dir; c.store.url = store.url; c.server.port = 0; c.server.host = '127.0.0.1';
      c.log.level = 'warn'; c.adapters = adapters as typeof c.adapters; c.registry = registry() as typeof c.registry;
      return loaded;
    };

    // Raw phase: the hub's registry and migrations, then the store's insert rate without the hub running.
    t = performance.now();
    hub = await startHub(config({}), { listen: false, logger: pino({ level: 'warn' }) });
    const reg = hub.registry.registry;
    const po = { receivedAtMs: Date.now(), timezone: 'Asia/Shanghai', futureToleranceMs: 300_000, lateAfterMs: 86_400_000 };
    const batches: ObservationRow[][] = [];
    for (let k = 1; k <= o.rawRows; k += o.page) {
      const p = prepare(Array.from({ length: Math.min(o.page, o.rawRows - k + 1) }, (_, j) => readingOf(k + j)), reg, po);
      if (p.quarantine.length) throw new Error(`bench rows did not prepare: ${JSON.stringify(p.quarantine[0])}`);
      batches.push(p.rows);
    }
    await hub.stop(); hub = undefined;
    console.log(`store: fresh PostgreSQL database, ${fmt(DEVICES * FIELDS)} points; ${fmt(o.rawRows)} raw rows prepared (${secs(performance.now() - t)})`);
    // The raw rate is measured before AND after the sql_poll phase (half the rows each) and averaged, so that a burst
    // of load from other processes during one phase does not decide the ratio alone.
    const rawPhase = async (label: string, part: ObservationRow[][]) => {
      const raw = await openPostgres(store.url, 1);
      try {
        await raw.query('TRUNCATE observation_data, outbox, observation_latest RESTART IDENTITY');
        await raw.query(INSERT_OBSERVATIONS, await observationParams(raw, raw, part[0]!, 'sql_poll', Date.now())); // warm-up
        await raw.query('TRUNCATE observation_data, outbox, observation_latest RESTART IDENTITY');
        await raw.query('CHECKPOINT').catch(() => undefined);
        const n = part.reduce((a, b) => a + b.length, 0);
        const c0 = cpuSnapshot(true);
        const t0 = performance.now();
        for (const b of part) await raw.query(INSERT_OBSERVATIONS, await observationParams(raw, raw, b, 'sql_poll', Date.now()));
        const ms = performance.now() - t0;
        console.log(`  raw store insert  ${fmt(n / (ms / 1000)).padStart(8)} rows/s  ${secs(ms)}  (${label}: ${part.length} statements of ${fmt(o.page)}, one at a time)   ${cpuLine(cpuSince(c0, true))}`);
        await raw.query('TRUNCATE observation_data, outbox, observation_latest RESTART IDENTITY');
        await raw.query('CHECKPOINT').catch(() => undefined);
        return { n, ms };
      } finally { await raw.close(); }
    };
    const half = Math.ceil(batches.length / 2);
    const before = await rawPhase('before', batches.slice(0, half));

    // sql_poll phase.
    const c0 = cpuSnapshot(true);
    t = performance.now();
    hub = await startHub(config({ sql_poll: { sources: [{ name: 'bench', driver: kind, url: src.url, page_size: o.page, interval_s: 0.05 }] } }), { listen: false, logger: pino({ level: 'warn' }) });
    const started = performance.now();
    const cursor = async () => Number(((await hub!.db.query<{ id: string | null }>(`SELECT value->>'id' AS id FROM adapter_checkpoint WHERE adapter = 'sql_poll' AND key = 'cursor:bench'`)).rows[0]?.id) ?? 0);
    let last = started;
    for (;;) {
      const c = await cursor();
      if (c >= o.rows) break;
      const now = performance.now();
      if (now - last > 5000) { last = now; console.log(`      … sql_poll: ${fmt(c)}/${fmt(o.rows)} rows, ${fmt(c / ((now - started) / 1000))} rows/s`); }
      if (now - started > 300_000) throw new Error(`sql_poll did not finish in 300 s (cursor ${c})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - started;
    const cpu = cpuSince(c0, true);
    const pollRate = o.rows / (ms / 1000);
    const stored = Number((await hub.db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);
    if (stored !== o.rows) throw new Error(`the store holds ${stored} observations, expected ${o.rows}`);
    console.log(`  sql_poll          ${fmt(pollRate).padStart(8)} rows/s  ${secs(ms)}  (page ${fmt(o.page)}; hub start ${secs(started - t)} not counted)   ${cpuLine(cpu)}`);
    console.log(`  count(*) of observation = ${fmt(stored)} = rows in the table ✓`);
    await hub.stop(); hub = undefined;
    const after = await rawPhase('after', batches.slice(half));
    const rawRate = (before.n + after.n) / ((before.ms + after.ms) / 1000);
    console.log(`  raw store insert  ${fmt(rawRate).padStart(8)} rows/s  (before and after together)`);
    const ratio = pollRate / rawRate;
    console.log(`  ${label}: ratio ${pct(ratio)} (target ≥ ${TARGET * 100}%) ${ratio >= TARGET ? 'PASS' : 'FAIL'}`);
    return { source: label, raw: rawRate, poll: pollRate, ratio, pass: ratio >= TARGET };
  } finally {
    await hub?.stop().catch(() => undefined);
    await src.drop().catch((e) => console.error(`drop source: ${(e as Error).message}`));
    await store.drop().catch((e) => console.error(`drop store: ${(e as Error).message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  let values;
  try {
    values = parseArgs({ args, options: { source: { type: 'string', default: 'both' }, rows: { type: 'string' }, page: { type: 'string' }, 'raw-rows': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const sources: Array<'postgres' | 'mysql'> | undefined = values.source === 'both' ? ['postgres', 'mysql'] : values.source === 'postgres' || values.source === 'mysql' ? [values.source] : undefined;
  if (!sources) throw new BenchUsageError(`--source must be postgres, mysql or both, got "${values.source}"`);
  const o = { rows: num(values.rows, 1_000_000, 'rows'), page: num(values.page, 5000, 'page'), rawRows: 0 };
  o.rawRows = Math.min(o.rows, num(values['raw-rows'], 300_000, 'raw-rows'));
  console.log(`sql-poll benchmark: intermediate table → sql_poll → pipeline → committed, vs the store's raw insert rate; target ≥ ${TARGET * 100}%`);
  console.log(`node ${process.version}, ${cpus().length} CPU(s) shared by the hub, the store, the source database and anything else running`);
  const results: Result[] = [];
  for (const s of sources) results.push(await benchSource(s, o));
  console.log(`\nsummary (${fmt(o.rows)} rows, page ${fmt(o.page)}; store PostgreSQL)`);
  console.log(`  ${'source'.padEnd(11)} ${'raw rows/s'.padStart(11)} ${'sql_poll rows/s'.padStart(16)} ${'ratio'.padStart(6)}  target ≥ ${TARGET * 100}%`);
  for (const r of results) console.log(`  ${r.source.padEnd(11)} ${fmt(r.raw).padStart(11)} ${fmt(r.poll).padStart(16)} ${pct(r.ratio).padStart(6)}  ${r.pass ? 'PASS' : 'FAIL'}`);
  if (results.some((r) => !r.pass)) process.exitCode = 1;
}
