// The roller's hour and day statements read the finer buckets of each touched (point, bucket) through the rollup key,
// whatever the planner believes about the table. With the planner's default guess for a range of a parameter
// (a fifth of a percent of the table per probe), a plain join looked dearer than a hash join over the whole table:
// at 59 M rollup rows one roller step read 9 GB and took 20 s. A day of minutes of 200 points is enough for a statement
// that leaves the planner that choice to take it (and fail here).
import t from 'tap';
import { HOURS, DAYS, MINUTES } from '../rollups.ts';
import { byIdsWhere } from '../time-span.ts';
import { migratedPostgres } from '../../../test/helpers/plans.ts';
import type { SqlDriver } from '../driver.ts';

/** Rollup rows of points 1..p: per interval, every bucket from its `since` to `until`. */
const FILL = (p: number, since: { '1m': string; '1h': string; '1d'?: string }, until: string) => `INSERT INTO rollup (point_id, interval, bucket, device_id, site_id, indicator, unit, count, sum, min, max,
      first_time, first_value, last_time, last_value, flagged, on_time, filled)
    SELECT p, iv, b, 1, 1, 'water.pipe_pressure', 'MPa', 1, 0.3, 0.3, 0.3, b, 0.3, b, 0.3, 0, 1, 1
    FROM generate_series(1, ${p}) AS p,
         (VALUES ('1m', interval '1 minute', timestamptz '${since['1m']}'), ('1h', interval '1 hour', timestamptz '${since['1h']}')${since['1d'] ? `,
                 ('1d', interval '1 day', timestamptz '${since['1d']}')` : ''}) AS s(iv, step, since),
         LATERAL generate_series(s.since, timestamptz '${until}', s.step) AS b`;

async function plans(db: SqlDriver, points: number[], at: Date[]) {
  const out: Array<[string, string]> = [];
  for (const [name, sql] of [['HOURS', HOURS], ['DAYS', DAYS]] as const) {
    out.push([name, (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [points, at, 'Asia/Shanghai'])).rows.map((r) => r['QUERY PLAN']).join('\n')]);
  }
  return out;
}

t.test('hours and days probe the rollup key per touched bucket on an analysed table', async (t) => {
  const db = await migratedPostgres(t);
  if (!db) return;
  // A day of minute buckets, ten days of hour and day buckets, of 200 points, analysed.
  await db.query(FILL(200, { '1m': '2026-12-03 16:00Z', '1h': '2026-11-24 16:00Z', '1d': '2026-11-24 16:00Z' }, '2026-12-04 15:59Z'));
  await db.query('ANALYZE rollup');
  const points = Array.from({ length: 10_000 }, (_, i) => (i % 200) + 1);
  const at = points.map(() => new Date(Date.UTC(2026, 11, 4, 3, 7)));
  for (const [name, plan] of await plans(db, points, at)) {
    t.notMatch(plan, /Seq Scan on rollup/, `${name}: no sequential scan of rollup`);
    t.match(plan, /Index Scan using rollup_pkey on rollup/, `${name}: the finer buckets come through the rollup key`);
  }
});

t.test('hours and days probe the rollup key on a table never analysed (a new store, PGlite, after TRUNCATE)', async (t) => {
  const db = await migratedPostgres(t);
  if (!db) return;
  // Autovacuum off for this table: nothing may analyse it while the test looks.
  await db.query('ALTER TABLE rollup SET (autovacuum_enabled = false)');
  // The first minutes of a store: six minutes of 1,000 points, never analysed.
  await db.query(FILL(1000, { '1m': '2026-12-04 03:00Z', '1h': '2026-12-04 03:00Z' }, '2026-12-04 03:05Z'));
  t.equal((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_user_tables
    WHERE relname = 'rollup' AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`)).rows[0]!.n, '0', 'rollup was never analysed');
  const points = Array.from({ length: 1000 }, (_, i) => i + 1);
  const at = points.map(() => new Date(Date.UTC(2026, 11, 4, 3, 7)));
  for (const [name, plan] of await plans(db, points, at)) {
    // rollup_bucket (interval, bucket, point_id) would read every point's finer buckets of the range for each probe.
    t.notMatch(plan, /rollup_bucket/, `${name}: not through rollup_bucket`);
    t.match(plan, /Index Scan using rollup_pkey on rollup r\b/, `${name}: the finer buckets come through the rollup key`);
  }
});

// A fold (hub/store/rollups.ts) probes the stored bucket of each minute, hour and day by its whole key, one at a time:
// never a scan or a hash of the table, which has a row per point and minute. The step's statement, fed minute sums
// (as from held rows) for every point, no ids to read.
async function foldPlans(db: SqlDriver, points: number[], minute: string) {
  const sums = JSON.stringify(points.map((p) => ({ point_id: p, b: minute, n: 1, s: 0.3, mn: 0.3, mx: 0.3, ft: minute, fv: 0.3, lt: minute, lv: 0.3, fl: 0, ot: 1,
    device_id: 1, site_id: 1, indicator: 'water.pipe_pressure', unit: 'MPa' })));
  const params: unknown[] = [[], 'Asia/Shanghai', sums];
  const sql = MINUTES.replace('BY_IDS', byIdsWhere('$1', undefined, params));
  return (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
}

t.test('a fold probes each stored bucket by its whole key, on an analysed table and on one never analysed', async (t) => {
  const db = await migratedPostgres(t);
  if (!db) return;
  await db.query('ALTER TABLE rollup SET (autovacuum_enabled = false)');
  await db.query(FILL(1000, { '1m': '2026-12-04 03:00Z', '1h': '2026-12-04 03:00Z', '1d': '2026-12-03 16:00Z' }, '2026-12-04 03:05Z'));
  const points = Array.from({ length: 1000 }, (_, i) => i + 1);
  for (const analysed of [false, true]) {
    if (analysed) await db.query('ANALYZE rollup');
    const plan = await foldPlans(db, points, '2026-12-04T03:06:00Z');
    for (const iv of ['1m', '1h', '1d']) {
      const what = `${iv}${analysed ? ' (analysed)' : ' (never analysed)'}`;
      // Either index serves: both hold (point_id, interval, bucket), and each probe names all three (an equality, not a range).
      const probe = new RegExp(`Index Scan using rollup_\\w+ on rollup r\\w*\\b[^\\n]*\\n\\s*Index Cond: ([^\\n]*"interval" = '${iv}'[^\\n]*)`).exec(plan)?.[1] ?? '';
      t.ok(/\(point_id = /.test(probe) && /\(bucket = /.test(probe), `${what}: each bucket probed by its whole key (${probe || 'no index probe'})`);
    }
    t.notMatch(plan, /Seq Scan on rollup/, `${analysed ? 'analysed' : 'never analysed'}: no sequential scan of rollup`);
  }
});
