// Packed days (migration 013) on PostgreSQL and PGlite: packing a closed partition changes nothing a reader of `observation`
// sees; late data into a packed day is deduplicated against the packs; /latest, retention and deletes through the
// view still work. One store for the file.
import t, { type Test } from 'tap';
import type { SqlDriver } from '../driver.ts';
import { openPostgres } from '../postgres.ts';
import { openPglite } from '../pglite.ts';
import { migrate } from '../migrate.ts';
import { COLUMNS, commitBatch, queryLatest, queryObservations, type ObservationFilter } from '../observations.ts';
import type { ObservationRow } from '../rows.ts';
import { row } from './observation-row.ts';
import { applyRetention, maintainPartitions, partitionName } from '../partitions.ts';
import { packClosed } from '../pack.ts';
import { formatStatus, storeStatus } from '../cli.ts';
import { runMaintenance } from '../maintenance.ts';
import { INTERVALS, rebuildRollups, recomputeFor } from '../rollups.ts';
import { rawRollups, storedRollups } from '../../../test/helpers/rollups.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';
import { answer, type StaContext } from '../../sta/query.ts';
import { createHistoryReader } from '../../delivery/history.ts';
import { parseOptions } from '../../sta/options.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);
const D1 = Date.UTC(2026, 10, 30); // a closed day


t.test('PostgreSQL', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const d = await freshDatabase();
  t.teardown(() => d.drop());
  await packSuite(t, await openPostgres(d.url, 4));
});

t.test('PGlite', async (t) => packSuite(t, await openPglite()));

async function packSuite(t: Test, db: SqlDriver) {
  t.teardown(() => db.close());
  await migrate(db);
  const commit = (rows: ObservationRow[]) => commitBatch(db, { adapter: 'test', receivedAtMs: NOW, rows, quarantine: [] });
  const all = async () => (await db.query(`SELECT ${COLUMNS} FROM observation ORDER BY observation.id`)).rows;
  await maintainPartitions(db, { nowMs: D1, daysAhead: 2 });
  // Two points over two closed days, every 10 min; rare columns on a few readings; one point silent after day 1.
  const rows: ObservationRow[] = [];
  for (let m = 0; m < 2 * 1440; m += 10) {
    rows.push(row(1, D1 + m * 60_000, m / 7, m % 70 === 0 ? { warnings: ['lenient_decode'], messageId: `msg-${m}`, rawValue: m, rawUnit: 'kPa', flags: ['unit_converted'] } : {}));
    if (m < 1440) rows.push(row(2, D1 + m * 60_000, m % 50 === 0 ? null : -m));
  }
  // Warnings no pack may split or merge: commas, quotes, braces, backslashes, the word NULL, an empty one, spaces, CJK.
  const AWKWARD = ['a,b', 'say "hi"', '{x,y}', 'back\\slash', 'NULL', '', ' spaced ', '数据,异常'];
  rows.push(row(2, D1 + 3 * 60_000, 1, { warnings: AWKWARD }), row(2, D1 + 4 * 60_000, 2, { warnings: ['one, two'] }));
  // Point 3: stored under site 2 on day 1, site 1 on day 2 (a point moved): a site filter keeps only some of its packed readings.
  for (let m = 0; m < 2 * 1440; m += 30) rows.push(row(3, D1 + m * 60_000, m, { siteId: m < 1440 ? 2 : 1 }));
  for (let i = 0; i < rows.length; i += 200) await commit(rows.slice(i, i + 200));
  await db.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, adapter, received_at, warnings)
    VALUES (2, 1, 1, 'water.pipe_pressure', 'rtd', to_timestamp($1 / 1000.0), 7, 'MPa', 'sql', now(), $2::text[])`, [D1 + 5 * 60_000, ['via,view', '"q"']]);
  const before = await all();
  const latestBefore = await queryLatest(db, { pointIds: [1, 2] });
  const pageBefore = await queryObservations(db, { pointIds: [1], kind: 'rtd', fromMs: D1 + 20 * 3_600_000, toMs: D1 + 30 * 3_600_000, limit: 1000 });
  // Every page the API may ask for, read before packing, to compare after: whole city from the start, by cursor;
  // a site filter that leaves out part of a packed point (the horizon overcounts and the page reads on); "as of".
  const pages = async (f: Omit<ObservationFilter, 'limit' | 'after'>, limit: number) => {
    const out: unknown[][] = [];
    let after: ObservationFilter['after'];
    for (;;) {
      const p = await queryObservations(db, { ...f, after, limit });
      out.push(p.map((r) => r.id));
      if (p.length < limit) return out;
      after = { timeMs: p[p.length - 1]!.time.getTime(), id: p[p.length - 1]!.id };
    }
  };
  const history = async () => {
    const out: string[][] = [];
    for await (const page of createHistoryReader(db).read({ kind: 'rtd', from: new Date(D1 + 3_600_000), to: new Date(D1 + DAY + 7_200_000), pageSize: 200 })) {
      out.push(page.map((o) => `${o.time}|${o.value}`));
    }
    return out;
  };
  const readsBefore = {
    city: await pages({}, 97),
    site: await pages({ siteIds: [1], pointIds: [1, 2, 3] }, 50),
    firstOfSite2: await queryObservations(db, { siteIds: [2], pointIds: [3], limit: 5 }),
    asOf: await Promise.all([D1 + 3_600_000, D1 + DAY + 5, D1 + 2 * DAY, NOW].map((toMs) => queryLatest(db, { pointIds: [1, 2, 3], toMs }))),
    asOfSite: await queryLatest(db, { siteIds: [2], pointIds: [3], toMs: NOW }),
    history: await history(),
  };
  // "As of" per point through observation_latest answers as DISTINCT ON over the history did (its SQL before packs).
  const distinctOn = async (toMs: number, site?: number) => (await db.query(`SELECT DISTINCT ON (point_id) ${COLUMNS} FROM observation
    WHERE point_id = ANY('{1,2,3}'::int[]) AND kind = 'rtd' AND time < to_timestamp($1 / 1000.0) ${site ? `AND site_id = ${site}` : ''}
    ORDER BY point_id, time DESC, observation.id DESC`, [toMs])).rows;
  t.same(readsBefore.asOf, await Promise.all([D1 + 3_600_000, D1 + DAY + 5, D1 + 2 * DAY, NOW].map((toMs) => distinctOn(toMs))), '"as of" equals DISTINCT ON over the rows');
  t.same(readsBefore.asOfSite, await distinctOn(NOW, 2), '"as of" with a stored-site filter too');
  const sc: StaContext = { db, scope: undefined, catalogue: '[]', base: 'http://hub/sta/v1.1' };
  const packedId = before.find((r) => r.point_id === 1 && (r.time as Date).getTime() === D1 + 7 * 3_600_000)!.id as string;
  const STA: Array<[string, Record<string, string>]> = [
    ['Observations', { $top: '7', $skip: '3' }],
    ['Observations', { $orderby: 'phenomenonTime desc', $top: '5' }],
    ['Observations', { $filter: `phenomenonTime ge ${new Date(D1 + 3_600_000).toISOString()} and phenomenonTime lt ${new Date(D1 + 2 * 3_600_000).toISOString()}`, $top: '500' }],
    ['Observations', { $filter: `not (resultTime gt ${new Date(D1 + 60_000).toISOString()}) or id eq ${packedId}` }],
    [`Observations(${packedId})`, {}],
    ['Observations', { $count: 'true', $top: '1' }],
  ];
  const sta = () => Promise.all(STA.map(([path, o]) => answer(sc, path, parseOptions(o), `http://hub/sta/v1.1/${path}`)));
  const staBefore = await sta();

  const packed = await packClosed(db, { nowMs: NOW, afterMs: DAY });
  t.same(packed.map((p) => p.name), [partitionName('rtd', D1), partitionName('rtd', D1 + DAY)], 'both closed days packed');
  t.equal(packed.reduce((a, p) => a + p.n, 0), rows.length + 1, 'every reading packed (one written through the view)');
  t.equal(Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM observation_data`)).rows[0]!.n), 0, 'no plain rows left');
  t.same(await all(), before, 'observation reads exactly the same rows, every column');
  t.same(await queryLatest(db, { pointIds: [1, 2] }), latestBefore, '/latest answers from the packs (point 2 silent since day 1)');
  t.same(await queryObservations(db, { pointIds: [1], kind: 'rtd', fromMs: D1 + 20 * 3_600_000, toMs: D1 + 30 * 3_600_000, limit: 1000 }), pageBefore,
    'a time page across the two packed days is unchanged');
  const awkward = (await all()).filter((r) => r.point_id === 2 && [3, 4, 5].includes(((r.time as Date).getTime() - D1) / 60_000)).map((r) => r.warnings);
  t.same(awkward, [AWKWARD, ['one, two'], ['via,view', '"q"']], 'warnings come back from the pack whole: commas, quotes, braces, backslashes, NULL, empty');
  t.same({
    city: await pages({}, 97),
    site: await pages({ siteIds: [1], pointIds: [1, 2, 3] }, 50),
    firstOfSite2: await queryObservations(db, { siteIds: [2], pointIds: [3], limit: 5 }),
    asOf: await Promise.all([D1 + 3_600_000, D1 + DAY + 5, D1 + 2 * DAY, NOW].map((toMs) => queryLatest(db, { pointIds: [1, 2, 3], toMs }))),
    asOfSite: await queryLatest(db, { siteIds: [2], pointIds: [3], toMs: NOW }),
    history: await history(),
  }, readsBefore, 'cursor pages of the whole city and of a site (a moved point), "as of" reads and a history replay are unchanged');
  const st = await storeStatus(db, { rtd: null }, NOW);
  const dayRows = (d: number) => before.filter((r) => (r.time as Date).getTime() >= d && (r.time as Date).getTime() < d + DAY).length;
  for (const d of [D1, D1 + DAY]) {
    const p = st.partitions.find((x) => x.name === partitionName('rtd', d))!;
    t.same([p.rows, p.packedRows], [dayRows(d), dayRows(d)], `store status counts ${p.name}'s packed readings`);
    const empty = st.partitions.find((x) => x.name === partitionName('rtd', D1 + 2 * DAY))!;
    t.ok(p.bytes > empty.bytes + 2000 && p.oldestMs === d && p.newestMs! < d + DAY, `with its packs' size (${p.bytes} B, an empty partition ${empty.bytes} B) and time span`);
  }
  t.same([st.total.rows, st.total.packed_rows], [before.length, before.length], 'status totals: every reading, all packed');
  t.match(formatStatus(st), `about ${before.length.toLocaleString('en')} observations (${before.length.toLocaleString('en')} of them packed)`);
  t.same(await sta(), staBefore, 'SensorThings: time pages both ways, time and id filters, an Observation by id, $count: unchanged');

  t.test('late data into a packed day: duplicates skipped, new readings stored, replay idempotent', async (t) => {
    const late = [row(1, D1 + 600_000, 999), row(1, D1 + 601_000, 5), row(2, D1 + DAY - 60_000, 6)];
    const first = await commit(late);
    t.same([...first.keys()].sort(), [`1|rtd|${D1 + 601_000}`, `2|rtd|${D1 + DAY - 60_000}`], 'the packed reading is a duplicate; two new ones stored');
    t.equal((await commit(late)).size, 0, 'a replay stores nothing');
    const rowsNow = await all();
    t.equal(rowsNow.length, before.length + 2);
    const kept = rowsNow.filter((r) => r.point_id === 1 && (r.time as Date).getTime() === D1 + 600_000);
    t.same(kept.map((r) => r.value), [10 / 7], 'the packed reading is there once, with its value (first write wins)');
    // Packing again takes in the late rows as a second pack of the day; still nothing doubled.
    await packClosed(db, { nowMs: NOW, afterMs: DAY });
    t.equal((await all()).length, before.length + 2, 'repacked: same rows');
    t.equal((await commit(late)).size, 0, 'and a replay after the repack stores nothing');
  });

  t.test('delete through the view removes a packed reading', async (t) => {
    const n = (await all()).length;
    await db.query(`DELETE FROM observation WHERE point_id = 2 AND kind = 'rtd' AND time = to_timestamp($1 / 1000.0)`, [D1 + 10 * 60_000]);
    t.equal((await all()).length, n - 1);
    t.equal((await commit([row(2, D1 + 10 * 60_000, 42)])).size, 1, 'the deleted identity may be stored again');
  });

  t.test('rollups over packed days equal a recomputation from the raw readings, late data included', async (t) => {
    const ZONE = 'Asia/Shanghai';
    const same = async (what: string) => {
      for (const iv of INTERVALS) t.same(await storedRollups(db, iv), await rawRollups(db, iv, ZONE), `${iv} rollups equal a GROUP BY of observation (${what})`);
    };
    await rebuildRollups(db, ZONE, D1 - DAY, D1 + 3 * DAY);
    await same('rebuilt over packed days');
    // A late reading inside a packed minute (point 1 has a packed reading at D1 + 20 min): its minute is re-aggregated
    // from the packed reading and the new one.
    const r = await commit([row(1, D1 + 20 * 60_000 + 5_000, 123)]);
    t.equal(r.size, 1);
    await db.transaction((tx) => recomputeFor(tx, [...r.values()], ZONE));
    await same('after late data into a packed minute');
    const minute = (await storedRollups(db, '1m')).find((b) => b.point_id === 1 && b.bucket === new Date(D1 + 20 * 60_000).toISOString())!;
    t.same([minute.count, minute.max], [2, 123], 'the minute holds the packed reading and the late one');
  });

  t.test('the hourly upkeep packs a day once it has been closed a day', async (t) => {
    const D3 = D1 + 2 * DAY;
    await commit([row(1, D3 + 60_000, 1), row(1, D3 + 120_000, 2)]);
    const n = (await all()).length;
    const early = await runMaintenance(db, { retention: {}, daysAhead: 0, now: () => D3 + DAY + 3_600_000 });
    t.same(early.packed, [partitionName('rtd', D1)], 'the reading stored again into day 1 is packed; day 3, closed an hour ago, is not');
    const r = await runMaintenance(db, { retention: {}, daysAhead: 0, now: () => D3 + 2 * DAY });
    t.same(r.packed, [partitionName('rtd', D3)], 'day 3 packed a day after it closed');
    t.equal((await all()).length, n, 'nothing lost or doubled');
  });

  t.test('retention drops a packed day with its packs', async (t) => {
    const dropped = await applyRetention(db, { rtd: 1, min: null, hour: null, day: null }, D1 + 2 * DAY);
    t.same(dropped, [partitionName('rtd', D1)]);
    const left = await all();
    t.ok(left.length > 0 && left.every((r) => (r.time as Date).getTime() >= D1 + DAY), 'only the later days are left');
  });
}
