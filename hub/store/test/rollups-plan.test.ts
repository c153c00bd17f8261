// The roller's hour and day statements read the finer buckets of each touched (point, bucket) through the rollup key,
// whatever the planner believes about the table. With the planner's default guess for a range of a parameter
// (a fifth of a percent of the table per probe), a plain join looked dearer than a hash join over the whole table:
// at 59 M rollup rows one roller step read 9 GB and took 20 s. A day of minutes of 200 points is enough for a statement
// that leaves the planner that choice to take it (and fail here).
import t from 'tap';
import { HOURS, DAYS } from '../rollups.ts';
import { migratedPostgres } from '../../../test/helpers/plans.ts';

t.test('hours and days probe the rollup key per touched bucket on an analysed table', async (t) => {
  const db = await migratedPostgres(t);
  if (!db) return;
  // A day of minute buckets, ten days of hour and day buckets, of 200 points, analysed.
  await db.query(`INSERT INTO rollup (point_id, interval, bucket, device_id, site_id, indicator, unit, count, sum, min, max,
      first_time, first_value, last_time, last_value, flagged, on_time, filled)
    SELECT p, iv, b, 1, 1, 'water.pipe_pressure', 'MPa', 1, 0.3, 0.3, 0.3, b, 0.3, b, 0.3, 0, 1, 1
    FROM generate_series(1, 200) AS p,
         (VALUES ('1m', interval '1 minute', timestamptz '2026-12-03 16:00Z'), ('1h', interval '1 hour', timestamptz '2026-11-24 16:00Z'),
                 ('1d', interval '1 day', timestamptz '2026-11-24 16:00Z')) AS s(iv, step, since),
         LATERAL generate_series(s.since, timestamptz '2026-12-04 15:59Z', s.step) AS b`);
  await db.query('ANALYZE rollup');
  const points = Array.from({ length: 10_000 }, (_, i) => (i % 200) + 1);
  const at = points.map(() => new Date(Date.UTC(2026, 11, 4, 3, 7)));
  for (const [name, sql] of [['HOURS', HOURS], ['DAYS', DAYS]] as const) {
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [points, at, 'Asia/Shanghai'])).rows.map((r) => r['QUERY PLAN']).join('\n');
    t.notMatch(plan, /Seq Scan on rollup/, `${name}: no sequential scan of rollup`);
    t.match(plan, /Index Scan using rollup_pkey on rollup/, `${name}: the finer buckets come through the rollup key`);
  }
});
