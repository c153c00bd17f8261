// CSV uploads into PostgreSQL: a long CSV's rows/s against the raw insert rate in the same run (target ≥ 50 %), and the hub's peak RSS on a big file (target < 400 MB)
//
//   - a fresh PostgreSQL database; a hub in a child process (its RSS is its own) with 1 site, 50 devices, 1,000 points;
//   - raw: the same rows as the hub would store them, in the same batches of --batch rows with as many in flight as
//     an upload commits at once (UPLOAD_IN_FLIGHT), inserted with the hub's own statement (INSERT_OBSERVATIONS,
//     parameters from observationParams), autocommit, into the same empty tables; no parsing, no mapping, no
//     pipeline, no outbox, latest values, checkpoint, rollups or alarms. Measured before the upload and again after
//     it (the tables emptied each time): the reference is their mean, so load from other processes that changes
//     during the run moves both sides;
//   - upload: POST /v1/uploads of the long CSV (profile long-csv) from disk, timed from the first byte sent to status
//     done (receiving, spooling, encoding detection, SHA-256, CSV parsing, mapping, pipeline, commits with the row
//     offset), then the stored count is checked;
//   - big file: a CSV of --rss-mb MB (rows padded with a note column the profile ignores, as real exports have) is
//     uploaded and processed while the hub's RSS (/proc/<pid>/status VmRSS) is sampled every 100 ms.
import { parseArgs } from 'node:util';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import pg from 'pg';
import { stringify } from 'yaml';
import { hashKey } from '../hub/api/auth.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import { observationParams, INSERT_OBSERVATIONS } from '../hub/store/observations.ts';
import type { ObservationRow } from '../hub/store/rows.ts';
import type { Queryable } from '../hub/store/driver.ts';
import { UPLOAD_IN_FLIGHT } from '../hub/uploads/service.ts';
import { spawnHub } from './lib/hub-process.ts';
import { BackendCpu } from './lib/pg-backend-cpu.ts';
import { BenchUsageError } from './lib/errors.ts';

const RATE_TARGET = 0.5;
const RSS_TARGET_MB = 400;
const DEVICES = 50, FIELDS = 20, POINTS = DEVICES * FIELDS;
const KEY = 'bench-upload-key';
const T0 = Date.UTC(2026, 0, 1);

const HELP = `usage: npm run bench -- upload [options]

  --rows N        rows of the long CSV for the rate phase (default 1000000; k/M suffixes)
  --batch N       data rows per committed batch (uploads.batch_rows) and per raw INSERT (default 2000)
  --rss-mb N      size of the big file for the memory phase, MB (default 1024); 0 skips the phase
  --row-bytes N   bytes per row of the big file (default 1000: a note column pads each row)
  --order O       row order: point (default; each point's series in turn, as historian exports are) or time
                  (every point in turn, second by second: each batch touches every point's latest value)
  --no-rate       skip the rate phase
  --cpu-prof DIR  write the hub's CPU profile (node --cpu-prof) into DIR when it stops
  --max-minutes N each upload is cancelled (and the bench fails) when it takes longer (default 30)`;

function count(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(v.replace(/[_,]/g, ''));
  const n = m ? Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1) : Number.NaN;
  if (!Number.isInteger(n) || n < min) throw new BenchUsageError(`--${name} must be an integer ≥ ${min}, got "${v}"\n\n${HELP}`);
  return n;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const local = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
/** Row order: `time` (every point in turn, second by second) or `point` (a historian export: each point's series in turn). */
let order: 'time' | 'point' = 'point';
let perPoint = 1;
const slot = (i: number) => order === 'time' ? { p: i % POINTS, k: Math.floor(i / POINTS) } : { p: Math.floor(i / perPoint), k: i % perPoint };
const pointOf = (i: number) => { const p = slot(i).p; return { d: Math.floor(p / FIELDS), f: p % FIELDS }; };
const timeOf = (i: number, base: number) => base + slot(i).k * 1000;
const valueOf = (i: number) => (i % 997) / 1000;

/** Write the long CSV: row i is point i % 1000, one reading a second per point. */
async function writeCsv(file: string, rows: number, base: number, pad = 0): Promise<number> {
  const out = createWriteStream(file);
  const note = pad > 0 ? ',' + 'x'.repeat(pad) : '';
  out.write(`device,field,time,value,unit,flag${pad > 0 ? ',note' : ''}\n`);
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const { d, f } = pointOf(i);
    buf += `BD${d},f${f},${local(timeOf(i, base))},${valueOf(i)},MPa,N${note}\n`;
    if (buf.length > 1 << 20) { if (!out.write(buf)) await once(out, 'drain'); buf = ''; }
  }
  out.end(buf);
  await once(out, 'finish');
  return statSync(file).size;
}

/** What of the hub's RSS is V8's, from its /metrics (prom-client's process metrics): where a high resting RSS sits. */
async function heapOf(api: string): Promise<string> {
  try {
    const text = await (await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    const mb = (name: string) => {
      const m = new RegExp(`^lifeline_${name}(?:\\{[^}]*\\})? ([0-9.eE+]+)$`, 'm').exec(text);
      return m ? `${(Number(m[1]) / 2 ** 20).toFixed(0)} MB` : '?';
    };
    return `V8 heap ${mb('nodejs_heap_size_used_bytes')} used of ${mb('nodejs_heap_size_total_bytes')}, external ${mb('nodejs_external_memory_bytes')}`;
  } catch (e) {
    return `heap not read: ${(e as Error).message}`;
  }
}

function rssMb(pid: number): number {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024; } catch { return 0; }
}

/** CPU seconds (user + system) the process has used: /proc/<pid>/stat fields 14 and 15, in clock ticks (100 a second). */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return 0; }
}

/** Seconds until the hub's outbox followers (rollup roller, alarm evaluator: rollup_cursor rows) reach the outbox's end. */
async function followersCaughtUp(db: Queryable): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const r = await db.query<{ behind: boolean }>('SELECT EXISTS (SELECT 1 FROM rollup_cursor WHERE outbox_id < (SELECT coalesce(max(id), 0) FROM outbox)) AS behind');
    if (!r.rows[0]!.behind) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 900_000) throw new Error('the hub\'s rollups and alarms did not catch up with the upload in 15 minutes');
    await new Promise((res) => setTimeout(res, 250));
  }
}

interface UploadRun { seconds: number; processSeconds: number; peakRssMb: number; /** the peak while the hub read the file's first half */ halfPeakRssMb: number; cpuSeconds: number; status: string; accepted: number; rows: number }

async function upload(api: string, file: string, pid: number, maxMs: number): Promise<UploadRun> {
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, 100);
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  try {
    const size = statSync(file).size;
    const res = await fetch(`${api}/v1/uploads?profile=long-csv&name=bench.csv`, {
      method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/csv', 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(file, { highWaterMark: 1 << 20 })) as never, duplex: 'half',
    } as RequestInit);
    const u0 = (await res.json()) as { id: string; status: string; message?: string };
    if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${JSON.stringify(u0)}`);
    let u: Record<string, unknown> = u0;
    let last = performance.now();
    let halfPeak = 0;
    while (u.status === 'queued' || u.status === 'processing') {
      await new Promise((r) => setTimeout(r, 250));
      if (performance.now() - t0 > maxMs) {
        await fetch(`${api}/v1/uploads/${u0.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
        throw new Error(`the upload took longer than ${maxMs / 60_000} minutes (--max-minutes): cancelled after ${fmt(u.rows as number)} rows`);
      }
      u = (await (await fetch(`${api}/v1/uploads/${u0.id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Record<string, unknown>;
      const p = u.progress as { bytes_done: number; bytes_total: number } | null;
      if (p && p.bytes_done < p.bytes_total / 2) halfPeak = peak;
      if (performance.now() - last > 5000) { last = performance.now(); console.log(`      … ${fmt(u.rows as number)} rows, RSS ${peak.toFixed(0)} MB peak`); }
    }
    const seconds = (performance.now() - t0) / 1000;
    const processSeconds = (Date.parse(u.finished_at as string) - Date.parse(u.started_at as string)) / 1000;
    return { seconds, processSeconds, peakRssMb: Math.max(peak, rssMb(pid)), halfPeakRssMb: halfPeak, cpuSeconds: cpuSeconds(pid) - cpu0, status: u.status as string, accepted: u.accepted as number, rows: u.rows as number };
  } finally { clearInterval(sampler); }
}

export async function run(args: string[]): Promise<void> {
  let v;
  try {
    v = parseArgs({ args, options: { rows: { type: 'string' }, batch: { type: 'string' }, 'rss-mb': { type: 'string' }, 'row-bytes': { type: 'string' }, order: { type: 'string', default: 'point' }, 'no-rate': { type: 'boolean', default: false }, 'cpu-prof': { type: 'string' }, 'max-minutes': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, strict: true }).values;
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (v.help) { console.log(HELP); return; }
  const rows = count('rows', v.rows, 1_000_000);
  const batch = count('batch', v.batch, 2000);
  const rssMbWanted = count('rss-mb', v['rss-mb'], 1024, 0);
  const rowBytes = count('row-bytes', v['row-bytes'], 1000, 60);
  const maxMs = count('max-minutes', v['max-minutes'], 30) * 60_000;
  if (v.order !== 'point' && v.order !== 'time') throw new BenchUsageError(`--order must be point or time, got "${v.order}"\n\n${HELP}`);
  order = v.order;

  const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const dbName = `lifeline_bench_upload_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try { await admin.connect(); } catch (e) { throw new BenchUsageError(`cannot connect to PostgreSQL at ${adminUrl.replace(/\/\/[^@]*@/, '//***@')} (set DATABASE_URL): ${(e as Error).message}`); }
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(adminUrl); u.pathname = `/${dbName}`;
  const url = u.toString();
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-upload-'));
  let hub: Awaited<ReturnType<typeof spawnHub>> | undefined;
  let raw: Awaited<ReturnType<typeof openPostgres>> | undefined;
  let fail = false;
  // Stopped from outside (Ctrl-C, a timeout): still stop the hub and drop the database.
  const stopHere = () => {
    hub?.proc.kill('SIGTERM');
    void admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined).finally(() => { rmSync(dir, { recursive: true, force: true }); process.exit(130); });
  };
  process.once('SIGINT', stopHere).once('SIGTERM', stopHere);
  try {
    const cfg = join(dir, 'hub.yaml');
    writeFileSync(cfg, stringify({
      data_dir: './data', server: { host: '127.0.0.1', port: 0 }, log: { level: 'warn' },
      api: { keys: [{ name: 'bench', hash: hashKey(KEY), scopes: ['read', 'ingest'] }] },
      uploads: { batch_rows: batch, max_bytes: 8 * 2 ** 30 },
      registry: {
        sites: [{ code: 'BS', name: 'bench', domain: 'water' }],
        devices: Array.from({ length: DEVICES }, (_, d) => ({ code: `BD${d}`, site: 'BS' })),
        points: Array.from({ length: POINTS }, (_, i) => ({ code: `BP${Math.floor(i / FIELDS)}-${i % FIELDS}`, device: `BD${Math.floor(i / FIELDS)}`, indicator: 'water.pipe_pressure', field: `f${i % FIELDS}`, source_unit: 'MPa' })),
      },
    }));
    hub = await spawnHub(cfg, { DATABASE_URL: url, LOG_LEVEL: 'warn' }, v['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', v['cpu-prof']] : []);
    const pid = hub.proc.pid!;
    console.log(`upload bench: PostgreSQL database ${dbName} (dropped at the end); hub pid ${pid} at ${hub.api}; ${POINTS} points; batch ${batch} rows`);
    raw = await openPostgres(url, UPLOAD_IN_FLIGHT);

    if (!v['no-rate']) {
      perPoint = Math.ceil(rows / POINTS);
      const file = join(dir, 'rate.csv');
      const bytes = await writeCsv(file, rows, T0);
      console.log(`  rate phase: ${fmt(rows)} rows, ${(bytes / 2 ** 20).toFixed(1)} MB long CSV, rows in ${order} order`);
      // raw: the rows as the pipeline would make them (canonical unit = source unit MPa), the hub's statement.
      const ids = new Map((await raw.query<{ id: number; code: string; device_id: number; site_id: number }>('SELECT p.id, p.code, p.device_id, d.site_id FROM point p JOIN device d ON d.id = p.device_id')).rows.map((r) => [r.code, r]));
      const batches: ObservationRow[][] = [];
      for (let s = 0; s < rows; s += batch) {
        const b: ObservationRow[] = [];
        for (let i = s; i < Math.min(rows, s + batch); i++) {
          const { d, f } = pointOf(i);
          const p = ids.get(`BP${d}-${f}`)!;
          b.push({ pointId: p.id, deviceId: p.device_id, siteId: p.site_id, indicator: 'water.pipe_pressure', kind: 'rtd', timeMs: timeOf(i, T0), value: valueOf(i), avg: null, min: null, max: null, cou: null, unit: 'MPa', sourceFlag: 'N', flags: [], warnings: [], messageId: `up_0123456789abcdef:${i + 2}`, rawValue: null, rawUnit: null });
        }
        batches.push(b);
      }
      // The raw insert of every batch, UPLOAD_IN_FLIGHT at once; rows/s. The tables are emptied before and after (the
      // ids go on: the hub's followers remember the ids the upload stored).
      // CPU of the PostgreSQL backends serving the bench database (the raw pool's, then the hub's): where the work went.
      const backends = new BackendCpu(admin, dbName);
      const rawPgSeconds: number[] = [];
      const rawRun = async (): Promise<number> => {
        await raw!.query('TRUNCATE observation_data, observation_latest');
        await admin.query('CHECKPOINT').catch(() => undefined);
        const pg0 = await backends.snapshot();
        const r0 = performance.now();
        let next = 0;
        await Promise.all(Array.from({ length: UPLOAD_IN_FLIGHT }, async () => {
          while (next < batches.length) { const b = batches[next++]!; await raw!.query(INSERT_OBSERVATIONS, await observationParams(raw!, raw!, b, 'upload', Date.now())); }
        }));
        const r = rows / ((performance.now() - r0) / 1000);
        rawPgSeconds.push((await backends.since(pg0))?.s ?? Number.NaN);
        const stored = Number((await raw!.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);
        if (stored !== rows) throw new Error(`raw phase stored ${stored} rows, expected ${rows}`);
        await raw!.query('TRUNCATE observation_data, observation_latest');
        return r;
      };
      const rawBefore = await rawRun();
      const us = (s: number) => `${(s / rows * 1e6).toFixed(1)} µs a row`;
      console.log(`    raw insert        ${fmt(rawBefore).padStart(9)} rows/s  (${UPLOAD_IN_FLIGHT} batches of ${fmt(batch)} in flight), PostgreSQL backends' CPU ${rawPgSeconds[0]!.toFixed(1)} s (${us(rawPgSeconds[0]!)})`);
      await admin.query('CHECKPOINT').catch(() => undefined);
      const upPg0 = await backends.snapshot();
      const up = await upload(hub.api, file, pid, maxMs);
      const upPg = (await backends.since(upPg0))?.s ?? Number.NaN;
      const n = Number((await raw.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);
      if (up.status !== 'done' || n !== rows) throw new Error(`upload ended ${up.status} with ${n} rows stored, expected ${rows}`);
      console.log(`    upload            ${fmt(rows / up.seconds).padStart(9)} rows/s  (${up.seconds.toFixed(1)} s from the first byte to done; processing alone ${fmt(rows / up.processSeconds)} rows/s), hub CPU ${up.cpuSeconds.toFixed(1)} s (${us(up.cpuSeconds)}, ${(up.cpuSeconds / up.seconds * 100).toFixed(0)} % of a core), PostgreSQL backends' CPU ${upPg.toFixed(1)} s (${us(upPg)}), RSS peak ${up.peakRssMb.toFixed(0)} MB`);
      // The hub's roller and alarm evaluator follow the upload's outbox entries: let them finish before the raw
      // insert runs again, so it does not share the server with them.
      const caughtUp = await followersCaughtUp(raw);
      console.log(`    the hub's rollups and alarm evaluation caught up with the upload ${caughtUp.toFixed(1)} s after it was done`);
      const rawAfter = await rawRun();
      batches.length = 0;
      const rawRate = (rawBefore + rawAfter) / 2;
      console.log(`    raw insert again  ${fmt(rawAfter).padStart(9)} rows/s  (reference: the mean, ${fmt(rawRate)} rows/s), PostgreSQL backends' CPU ${rawPgSeconds[1]!.toFixed(1)} s (${us(rawPgSeconds[1]!)})`);
      const ratio = rows / up.seconds / rawRate;
      const pass = ratio >= RATE_TARGET;
      if (!pass) fail = true;
      console.log(`  upload / raw insert: ${(ratio * 100).toFixed(0)} %  (target ≥ ${RATE_TARGET * 100} %) ${pass ? 'PASS' : 'FAIL'}`);
      rmSync(file, { force: true });
    }

    if (rssMbWanted > 0) {
      const file = join(dir, 'big.csv');
      const bigRows = Math.ceil((rssMbWanted * 2 ** 20) / rowBytes);
      perPoint = Math.ceil(bigRows / POINTS);
      const bytes = await writeCsv(file, bigRows, T0 + 400 * 86_400_000, rowBytes - 40);
      console.log(`  memory phase: ${(bytes / 2 ** 20).toFixed(0)} MB CSV, ${fmt(bigRows)} rows of ~${rowBytes} bytes; hub RSS before ${rssMb(pid).toFixed(0)} MB (${await heapOf(hub.api)})`);
      const up = await upload(hub.api, file, pid, maxMs);
      if (up.status !== 'done' || up.rows !== bigRows) throw new Error(`big upload ended ${up.status} after ${up.rows} rows`);
      const pass = up.peakRssMb < RSS_TARGET_MB;
      if (!pass) fail = true;
      console.log(`    ${fmt(bigRows / up.seconds)} rows/s, ${(bytes / 2 ** 20 / up.seconds).toFixed(1)} MB/s; hub RSS peak ${up.peakRssMb.toFixed(0)} MB (${up.halfPeakRssMb.toFixed(0)} MB while reading the first half of the file; target < ${RSS_TARGET_MB} MB) ${pass ? 'PASS' : 'FAIL'}`);
      rmSync(file, { force: true });
    }
  } finally {
    await raw?.close().catch(() => undefined);
    if (hub) { hub.proc.kill('SIGTERM'); await once(hub.proc, 'exit').catch(() => undefined); }
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', stopHere).off('SIGTERM', stopHere);
  }
  if (fail) process.exitCode = 1;
}
