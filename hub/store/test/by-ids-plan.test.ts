// Reads of observations by id (the roller's step, the alarm evaluator's, a delivery batch) name their ids as a list.
// With the list alone, PostgreSQL guessed those ids a share of the partition: a roller step of 50,000 ids then read
// the whole partition (950,000 other rows passed over in a 1 M-row upload, twice the step's time). With the ids'
// range beside the list, a run of the sequence is read as that range of the id index and joined to the list, and a
// sparse list is still probed id by id. Either way, exactly the listed rows come back.
import t from 'tap';
import { byIdsWhere, idBounds, SPAN_COLS, type SpanRow } from '../time-span.ts';
import { migratedPostgres, withLiterals } from '../../../test/helpers/plans.ts';

t.test('idBounds compares ids as numbers, not as text', async (t) => {
  t.same(idBounds(['9', '10', '8', '100', '11']), ['8', '100']);
  t.same(idBounds(['42']), ['42', '42']);
  t.same(idBounds([7, 12, 3]), ['3', '12'], 'numbers too');
});

t.test('a run of ids reads the id index as a range; a sparse list probes it; both find exactly their rows', async (t) => {
  const db = await migratedPostgres(t);
  if (!db) return;
  // 100 points × 1,000 minutes, all in one partition (the default one: no daily partition is made for 2026-01-01).
  await db.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, source_flag, adapter, received_at)
    SELECT p, 1, 1, 'water.pipe_pressure', 'rtd', timestamptz '2026-01-01 00:00Z' + m * interval '1 minute', m, 'MPa', 'N', 'sql', now()
    FROM generate_series(0, 999) AS m, generate_series(1, 100) AS p`);
  await db.query('ANALYZE');
  const all = (await db.query<{ id: string }>('SELECT id::text AS id FROM observation ORDER BY observation.id')).rows.map((r) => r.id);
  t.equal(all.length, 100_000);

  const read = async (ids: string[]) => {
    const span = (await db.query<SpanRow>(`SELECT ${SPAN_COLS} FROM (SELECT min(time) AS min_time, max(time) AS max_time FROM observation WHERE id = ANY($1::bigint[])) s`, [ids])).rows[0]!;
    const params: unknown[] = [ids];
    const where = byIdsWhere('$1', span.lo === null ? undefined : { lo: span.lo, hi: span.hi! }, params);
    const sql = `SELECT id::text AS id FROM observation WHERE ${where} ORDER BY observation.id`;
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${withLiterals(sql, params)}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    const rows = (await db.query<{ id: string }>(sql, params)).rows.map((r) => r.id);
    return { plan, rows };
  };

  // A roller step: the last 5,000 rows, one in ten left out (another process's batch, or a batch of other kinds).
  const run = all.slice(-5_000).filter((_, i) => i % 10 !== 3);
  const dense = await read(run);
  t.notMatch(dense.plan, /Seq Scan on observation_rtd/, 'a run of ids: no sequential scan of the partition');
  t.match(dense.plan, /Index Cond: \(\(id >= /, 'the id index is read as the range of the run');
  t.notMatch(dense.plan, /= ANY/, 'and the list joined to it, not tested element by element');
  t.same(dense.rows, run, 'exactly the listed rows, not the others in their range');

  // Every id of a range (consecutive batches, nothing else committed between them): the range alone.
  const whole = all.slice(-5_000);
  const ranged = await read(whole);
  t.match(ranged.plan, /Index Cond: \(\(id >= /, 'a whole range of ids: the id index read as the range');
  t.notMatch(ranged.plan, /= ANY|unnest/, 'without the list');
  t.same(ranged.rows, whole, 'exactly the listed rows');

  // A sparse list: every 50th row of the table.
  const sparse = all.filter((_, i) => i % 50 === 0);
  const probed = await read(sparse);
  t.match(probed.plan, /id = ANY/, 'a sparse list is probed id by id');
  t.notMatch(probed.plan, /Seq Scan on observation_rtd/, 'and not by reading the partition');
  t.same(probed.rows, sparse, 'exactly the listed rows');

  const params: unknown[] = [[]];
  t.same((await db.query(`SELECT id FROM observation WHERE ${byIdsWhere('$1', undefined, params)}`, params)).rows, [], 'an empty list: no row, no error');
});
