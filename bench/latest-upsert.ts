// The batch statement's PostgreSQL CPU per 1,000 rows against the plain insert's, by observation_latest fillfactor.
//
// On a fresh database (migrations only, 1 site, 50 devices, --points points): batches of one reading per point,
// --lanes in flight, each phase on emptied tables after a CHECKPOINT. Phases: `raw` (INSERT_OBSERVATIONS, what bench
// ingest calls the raw insert) and `batch@F` (commitBatch: rows, outbox, latest values, with observation_latest at
// fillfactor F), rounds interleaved in alternating order. The CPU counted is that of this database's own backends
// (/proc utime + stime), so other jobs on a shared machine change the wall-clock rates but hardly the CPU figures.
// With --encoding text,binary the raw phase runs once per encoding of the number columns (text literals, as PGlite
// gets them, or binary arrays, as the hub sends them to PostgreSQL): `raw/text`, `raw/binary`.
import { parseArgs } from 'node:util';
import { openPostgres } from '../hub/store/postgres.ts';
import { migrate } from '../hub/store/migrate.ts';
import { commitBatch, INSERT_OBSERVATIONS, observationParams } from '../hub/store/observations.ts';
import { ensurePartition } from '../hub/store/partitions.ts';
import type { ObservationRow } from '../hub/store/rows.ts';
import type { SqlDriver } from '../hub/store/driver.ts';
import { BenchUsageError } from './lib/errors.ts';
import { ticksOf } from './lib/pg-backend-cpu.ts';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const HELP = `usage: npm run bench -- latest-upsert [options]

  --points N        points, one reading each per batch (default 1000)
  --lanes N         batches in flight (default 4)
  --batches N       batches per phase (default 60)
  --rounds N        measured rounds (default 3), after one warm-up round; figures are medians
  --fillfactor LIST observation_latest fillfactors to compare (default 50,10)
  --encoding LIST   encodings of the number columns for the raw phase: binary (default, the hub's on PostgreSQL),
                    text (array literals, as PGlite gets them), or both: text,binary

PostgreSQL: DATABASE_URL (default ${DEFAULT_PG_URL}), a role that may CREATE DATABASE; a fresh database
lifeline_latest_<pid> is dropped at the end. Linux only (/proc).`;

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

/** utime + stime (ms) of these processes; one that has exited counts 0. */
const cpuMs = (pids: number[]) => pids.reduce((sum, pid) => sum + (ticksOf(pid) ?? 0), 0) * 10;

const backends = async (db: SqlDriver) =>
  (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows.map((r) => r.pid);

export async function run(args: string[]): Promise<void> {
  const options = {
    points: { type: 'string' }, lanes: { type: 'string' }, batches: { type: 'string' }, rounds: { type: 'string' },
    fillfactor: { type: 'string', default: '50,10' }, encoding: { type: 'string', default: 'binary' }, help: { type: 'boolean', short: 'h', default: false },
  } as const;
  let values;
  try { values = parseArgs({ args, options, strict: true }).values; } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const P = positive('points', values.points, 1000), lanes = positive('lanes', values.lanes, 4);
  const batches = positive('batches', values.batches, 60), rounds = positive('rounds', values.rounds, 3);
  const fills = values.fillfactor.split(',').map((x) => positive('fillfactor', x, 50));
  if (fills.some((f) => f < 10 || f > 100)) throw new BenchUsageError('--fillfactor values must be 10–100');
  const encodings = values.encoding.split(',');
  if (!encodings.length || encodings.some((e) => e !== 'text' && e !== 'binary')) throw new BenchUsageError(`--encoding takes text, binary or both, got "${values.encoding}"`);

  const adminUrl = process.env.DATABASE_URL || DEFAULT_PG_URL;
  let admin: SqlDriver;
  try { admin = await openPostgres(adminUrl, 1); } catch (e) { throw new BenchUsageError(`cannot connect to PostgreSQL (set DATABASE_URL): ${(e as Error).message}`); }
  const name = `lifeline_latest_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const db = await openPostgres(u.toString(), lanes + 1);
  try {
    await migrate(db);
    await db.query(`INSERT INTO site (code, doc) VALUES ('S', '{}')`);
    await db.query(`INSERT INTO device (code, site_id, doc) SELECT 'D' || i, 1, '{}' FROM generate_series(1, 50) i`);
    await db.query(`INSERT INTO point (code, device_id, indicator, doc) SELECT 'P' || i, 1 + i % 50, 'water.leak_noise', '{}' FROM generate_series(1, ${P}) i`);
    const pts = (await db.query<{ id: number; device_id: number }>('SELECT id, device_id FROM point ORDER BY id')).rows;
    let base = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000; // yesterday (UTC), an hour further each phase
    const batch = (step: number): ObservationRow[] => pts.map((p) => ({
      pointId: p.id, deviceId: p.device_id, siteId: 1, indicator: 'water.leak_noise', kind: 'rtd', timeMs: base + step * 1000,
      // A sensor's decimals (a pressure in MPa, three places), as real readings and bench ingest's are: parsing a
      // number as text costs more than an integer's (before 2026-12-06 this bench sent 20–26).
      value: Math.round((0.2 + ((p.id * 7919 + step * 104_729) % 1000) / 2500) * 1000) / 1000,
      avg: null, min: null, max: null, cou: null, unit: 'dB', sourceFlag: 'N', flags: [], warnings: [], messageId: null, rawValue: null, rawUnit: null,
    }));
    const raws = encodings.length === 1 ? ['raw'] : encodings.map((e) => `raw/${e}`);
    const phases = [...raws, ...fills.map((f) => `batch@${f}`)];
    const phase = async (p: string) => {
      await db.query('TRUNCATE observation_data, outbox, observation_latest RESTART IDENTITY');
      await db.query(`ALTER TABLE observation_latest SET (fillfactor = ${p.startsWith('batch@') ? p.slice(6) : 50})`);
      base += 3_600_000;
      await ensurePartition(db, 'rtd', base);
      await ensurePartition(db, 'rtd', base + batches * 1000);
      await db.query('CHECKPOINT');
      const pids = await backends(db);
      const c0 = cpuMs(pids), t0 = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: lanes }, async () => {
        while (next < batches) {
          const rows = batch(next++);
          if (p.startsWith('raw')) {
            const numbers = (p === 'raw' ? encodings[0] : p.slice(4)) as 'binary' | 'text';
            await db.query(INSERT_OBSERVATIONS, await observationParams(db, db, rows, 'bench', Date.now(), numbers));
          }
          else await commitBatch(db, { adapter: 'bench', receivedAtMs: Date.now(), rows, quarantine: [] });
        }
      }));
      const ms = performance.now() - t0;
      const born = (await backends(db)).filter((x) => !pids.includes(x)); // connections opened during the phase
      const cpu = cpuMs(pids) - c0 + cpuMs(born);
      const pages = (await db.query<{ h: string; i: string }>(`SELECT pg_relation_size('observation_latest') / 8192 AS h, pg_relation_size('observation_latest_pkey') / 8192 AS i`)).rows[0]!;
      return { rate: (batches * P) / (ms / 1000), cpuPer1k: cpu / ((batches * P) / 1000), pages: `${pages.h}/${pages.i}` };
    };
    console.log(`latest-upsert: ${P} points, batches of ${P}, ${lanes} in flight, ${batches} batches per phase, ${rounds} rounds (phases alternate order)`);
    for (const p of phases) await phase(p); // warm-up
    const got = new Map<string, Array<{ rate: number; cpuPer1k: number; pages: string }>>();
    for (let r = 0; r < rounds; r++) {
      for (const p of r % 2 ? [...phases].reverse() : phases) {
        const x = await phase(p);
        (got.get(p) ?? got.set(p, []).get(p)!).push(x);
        console.log(`  round ${r + 1} ${p.padEnd(10)} ${Math.round(x.rate).toLocaleString('en-US').padStart(8)} rows/s  PostgreSQL CPU ${x.cpuPer1k.toFixed(2)} ms per 1,000 rows  observation_latest heap/index pages ${x.pages}`);
      }
    }
    const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
    const rawCpu = median(got.get(raws.at(-1)!)!.map((x) => x.cpuPer1k));
    console.log('medians (PostgreSQL CPU of this database\'s backends):');
    for (const p of phases) {
      const c = median(got.get(p)!.map((x) => x.cpuPer1k));
      console.log(`  ${p.padEnd(10)} ${c.toFixed(2)} ms per 1,000 rows${p === raws.at(-1) ? '' : ` (${(c / rawCpu).toFixed(2)} × ${raws.at(-1)})`}; ${Math.round(median(got.get(p)!.map((x) => x.rate))).toLocaleString('en-US')} rows/s`);
    }
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}
