// Reads of observations select each row's tag id and fill the tag's columns from the hub's cache (tag-reads.ts,
// migration 019). They must give exactly the rows the view gives, column for column, whichever handle wrote the rows
// (this one: its writer taught the cache; another process: the cache asks PostgreSQL), and PostgreSQL must not join
// the tag table for a read that filters on nothing the tag holds.
import t from 'tap';
import type { Test } from 'tap';
import type { Queryable, SqlDriver } from '../driver.ts';
import { migrate } from '../migrate.ts';
import { openPglite } from '../pglite.ts';
import { openPostgres } from '../postgres.ts';
import { COLUMNS, commitBatch, queryObservations } from '../observations.ts';
import type { ObservationRow } from '../rows.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';
import { withLiterals } from '../../../test/helpers/plans.ts';

const T0 = Date.UTC(2026, 10, 25, 2, 0, 0);

/** Readings of points 1–4 whose tags differ in every column a tag holds. */
function rows(from: number, n: number): ObservationRow[] {
  const out: ObservationRow[] = [];
  for (let i = from; i < from + n; i++) {
    const k = i % 4;
    out.push({
      pointId: k + 1, deviceId: 10 + (k >> 1), siteId: 100, indicator: k === 3 ? 'gas.concentration' : 'water.pipe_pressure', kind: 'rtd',
      timeMs: T0 + i * 60_000, value: i / 8, avg: null, min: null, max: null, cou: null, unit: k === 2 ? '°C' : 'MPa',
      sourceFlag: i % 5 === 0 ? 'D' : 'N', flags: [[], ['unit_converted'], ['unit_converted', 'late'], ['旗']][(i >> 2) % 4]!,
      warnings: i % 7 === 0 ? ['time_from_receipt'] : [], messageId: `m${i}`, rawValue: k === 2 ? i : null, rawUnit: k === 2 ? ['kPa', '', '千帕'][i % 3]! : null,
    });
  }
  return out;
}

/** Every query `db` runs from now until the test ends, with its parameters (the same handle: its cache stays its own). */
function spy(t: Test, db: Queryable): Array<{ sql: string; params?: unknown[] }> {
  const seen: Array<{ sql: string; params?: unknown[] }> = [];
  const query = db.query;
  db.query = ((sql: string, params?: unknown[]) => { seen.push({ sql, params }); return query.call(db, sql, params); }) as Queryable['query'];
  t.teardown(() => { db.query = query; });
  return seen;
}

const fromView = async (db: Queryable, where: string, params: unknown[]) =>
  (await db.query(`SELECT ${COLUMNS} FROM observation WHERE ${where} ORDER BY time, observation.id`, params)).rows;

async function suite(t: Test, writer: SqlDriver, readers: Array<[name: string, db: Queryable, tagQueries: number]>) {
  await migrate(writer);
  const rs = rows(0, 240);
  await commitBatch(writer, { adapter: 'http', receivedAtMs: T0, rows: rs.slice(0, 120), quarantine: [] });
  await commitBatch(writer, { adapter: 'opc"ua', receivedAtMs: T0, rows: rs.slice(120), quarantine: [] });
  // A row written by SQL through the view: its tag is made by PostgreSQL, never seen by any writer of the hub.
  await writer.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, source_flag, flags, adapter, received_at, raw_unit)
    VALUES (1, 77, 100, 'water.pipe_pressure', 'rtd', to_timestamp($1 / 1000.0), 1, 'MPa', 'N', '{"a b","c,d"}', 'sql', now(), NULL)`, [T0 + 500 * 60_000]);

  for (const [name, db, tagQueries] of readers) {
    await t.test(`read by ${name}: the view's rows, column for column`, async (t) => {
      const seen = spy(t, db);
      for (const point of [1, 2, 3, 4]) {
        const got = await queryObservations(db, { pointIds: [point], kind: 'rtd', fromMs: T0, toMs: T0 + 1000 * 60_000, limit: 1000 });
        t.same(got, await fromView(db, 'point_id = $1', [point]), `point ${point}`);
        t.ok(got.length >= 60, `point ${point} has its rows`);
      }
      const bySite = await queryObservations(db, { siteIds: [100], limit: 1000 });
      t.same(bySite, await fromView(db, 'site_id = $1', [100]), 'a filter on what rows were stored with');
      t.same(bySite.find((r) => r.device_id === 77)?.flags, ['a b', 'c,d'], 'the tag PostgreSQL made, flags quoted and all');
      t.equal(seen.filter((q) => /FROM observation_tag\b/.test(q.sql)).length, tagQueries, 'tags asked for');
      const again = seen.length;
      await queryObservations(db, { pointIds: [1], kind: 'rtd', limit: 1000 });
      t.notOk(seen.slice(again).some((q) => /FROM observation_tag\b/.test(q.sql)), 'tags read once are not asked for again');
    });
  }

  await t.test('rows share their tag\'s flags, which no reader can change', async (t) => {
    const [a, b] = await queryObservations(writer, { pointIds: [2], kind: 'rtd', fromMs: T0 + 120 * 60_000, toMs: T0 + 1000 * 60_000, limit: 2 });
    t.throws(() => { (a!.flags as string[]).push('x'); }, TypeError);
    t.throws(() => { (b!.flags as string[]).push('x'); }, TypeError);
    t.same((await fromView(writer, 'point_id = 2', [])).map((r: any) => r.flags).flat().filter((f: string) => f === 'x'), []);
  });
}

t.test('PGlite', async (t) => {
  const db = await openPglite();
  t.teardown(() => db.close());
  await suite(t, db, [['the handle that wrote them (only the tag made by SQL is new to it)', db, 1]]);
  // A transaction's client is a handle of its own: its cache starts empty, as another process's would.
  await db.transaction((tx) => readCold(t, tx));
});

async function readCold(t: Test, db: Queryable) {
  const seen = spy(t, db);
  const got = await queryObservations(db, { pointIds: [1, 2, 3, 4], kind: 'rtd', limit: 1000 });
  t.equal(seen.filter((q) => /FROM observation_tag\b/.test(q.sql)).length, 1, 'a cold handle asks for its tags once');
  t.same(got, await fromView(db, 'point_id = ANY($1::int[])', [[1, 2, 3, 4]]), 'a cold handle reads the same rows');
}

t.test('PostgreSQL', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const fresh = await freshDatabase();
  t.teardown(() => fresh.drop());
  const writer = await openPostgres(fresh.url, 2), other = await openPostgres(fresh.url, 2);
  t.teardown(async () => { await writer.close(); await other.close(); });
  await suite(t, writer, [
    ['the handle that wrote them (only the tag made by SQL is new to it)', writer, 1],
    ['another handle, as another process (a query for each read that meets tags new to it: points 1 and 2 share theirs)', other, 3],
  ]);

  await t.test('one point\'s day does not join the tag table', async (t) => {
    const seen = spy(t, writer);
    await queryObservations(writer, { pointIds: [3], kind: 'rtd', fromMs: T0, toMs: T0 + 86_400_000, limit: 10_000 });
    const read = seen.find((q) => /observation_plain/.test(q.sql))!;
    t.ok(read, 'the read ran');
    const plan = (await writer.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${withLiterals(read.sql, read.params ?? [])}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    t.notMatch(plan, /observation_tag/, 'no join with observation_tag');
    t.match(plan, /observation_rtd/, 'the partition is read');
  });
});
