// Packed hours (hub/store/pack.ts packOpenHours) on PostgreSQL and PGlite: the open days' readings older than the
// hour horizon move into packs and out of their partition, and nothing a reader of `observation` sees changes; late
// data and replays around the horizon are deduplicated exactly once; the horizon of the dedup trigger never drops
// below a packed reading. One store per engine.
import t, { type Test } from 'tap';
import type { SqlDriver } from '../driver.ts';
import { openPostgres } from '../postgres.ts';
import { openPglite } from '../pglite.ts';
import { migrate } from '../migrate.ts';
import { COLUMNS, commitBatch, queryLatest, queryObservations } from '../observations.ts';
import type { ObservationRow } from '../rows.ts';
import { row } from './observation-row.ts';
import { maintainPartitions, partitionName } from '../partitions.ts';
import { packOpenHours } from '../pack.ts';
import { runMaintenance } from '../maintenance.ts';
import { packHoursAfterOf } from '../upgrade.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const D = Date.UTC(2026, 11, 3); // today
const Y = D - DAY; // yesterday: not packed whole yet (pack_closed_days 1)
const NOW = D + 10 * HOUR + 20 * MIN;


t.test('store.pack_hours_after as the upkeep option', async (t) => {
  t.equal(packHoursAfterOf({}), HOUR, 'default: hours that ended an hour ago');
  t.equal(packHoursAfterOf({ pack_hours_after: 6 }), 6 * HOUR);
  t.equal(packHoursAfterOf({ pack_hours_after: null }), false, 'null: whole days only');
  t.equal(packHoursAfterOf({ pack_closed_days: null }), false, 'never packing days never packs hours');
});

t.test('PostgreSQL', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const d = await freshDatabase();
  t.teardown(() => d.drop());
  await suite(t, await openPostgres(d.url, 4));
});

t.test('PGlite', async (t) => suite(t, await openPglite()));

async function suite(t: Test, db: SqlDriver) {
  t.teardown(() => db.close());
  await migrate(db);
  await maintainPartitions(db, { nowMs: Y, daysAhead: 2 });
  const commit = (rows: ObservationRow[]) => commitBatch(db, { adapter: 'test', receivedAtMs: NOW, rows, quarantine: [] });
  const all = async () => (await db.query(`SELECT ${COLUMNS} FROM observation ORDER BY observation.id`)).rows;
  const plain = async (name: string) => (await db.query<{ t: Date }>(`SELECT time AS t FROM ${name} ORDER BY time`)).rows.map((r) => r.t.getTime());
  const trigger = async (name: string) => (await db.query<{ def: string }>(
    `SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = 'observation_packed_dedup'`, [name])).rows[0]?.def;
  const today = partitionName('rtd', D), yesterday = partitionName('rtd', Y);

  // Five points every 5 minutes from yesterday noon to a minute ago; rare columns on some readings.
  const rows: ObservationRow[] = [];
  for (let ms = Y + 12 * HOUR; ms < NOW; ms += 5 * MIN) {
    for (let p = 1; p <= 5; p++) {
      const k = (ms - Y) / MIN;
      rows.push(row(p, ms, p * 1000 + k, k % 55 === 0 ? { warnings: ['a,b', 'say "hi"'], messageId: `m-${k}`, rawValue: k, rawUnit: 'kPa', flags: ['unit_converted'] } : {}));
    }
  }
  for (let i = 0; i < rows.length; i += 250) await commit(rows.slice(i, i + 250));
  const before = await all();
  const day = () => queryObservations(db, { pointIds: [2], kind: 'rtd', fromMs: NOW - DAY, toMs: NOW + MIN, limit: 10_000 });
  const dayBefore = await day();
  const latestBefore = await queryLatest(db, { pointIds: [1, 2, 3, 4, 5] });
  t.equal(dayBefore.length, rows.filter((r) => r.pointId === 2 && r.timeMs >= NOW - DAY).length, "one point's last 24 h: a reading every 5 minutes");
  t.ok(dayBefore.length > 250);

  const horizon = D + 9 * HOUR;
  const packed = await packOpenHours(db, { nowMs: NOW, afterMs: HOUR, sliceMs: 1 });
  const inY = rows.filter((r) => r.timeMs < D).length, inD = rows.filter((r) => r.timeMs >= D && r.timeMs < horizon).length;
  t.same(packed, [{ name: yesterday, n: inY }, { name: today, n: inD }], 'yesterday packed whole, today up to 09:00 (the last whole hour that ended an hour ago)');
  t.same(await plain(yesterday), [], 'yesterday is emptied');
  t.same(await plain(today), rows.filter((r) => r.timeMs >= horizon).map((r) => r.timeMs), 'today keeps its readings from 09:00 on');
  t.notMatch(await trigger(yesterday), /WHEN/, "yesterday's dedup trigger takes every reading");
  t.match(await trigger(today), /WHEN \(\(?new\."?time"? < '2026-12-03 09:00:00\+00'/i, "today's only those before the horizon");
  const packs = await db.query<{ point_id: number; lo: Date; hi: Date; n: number }>(`SELECT point_id, lo, hi, n FROM observation_pack ORDER BY point_id, lo`);
  t.equal(packs.rows.length, 10, 'a pack per point for yesterday and one for today (the slices were one point each)');
  t.same(await all(), before, 'observation reads exactly the same rows, every column');
  t.same(await day(), dayBefore, "one point's last 24 h is unchanged");
  t.same(await queryLatest(db, { pointIds: [1, 2, 3, 4, 5] }), latestBefore, '/latest unchanged');

  t.test('late data and replays around the horizon', async (t) => {
    const packedReading = row(1, D + 8 * HOUR, 1), plainReading = row(1, D + 9 * HOUR + 30 * MIN, 2);
    const lateNew = row(1, D + 8 * HOUR + 30_000, 3), current = row(1, NOW, 4);
    const late = [packedReading, plainReading, lateNew, current];
    const r = await commit(late);
    t.same([...r.keys()].sort(), [`1|rtd|${D + 8 * HOUR + 30_000}`, `1|rtd|${NOW}`], 'only the two new readings are stored: a packed and a plain one are duplicates');
    t.equal((await commit(late)).size, 0, 'a replay stores nothing');
    const withLate = await all();
    t.equal(withLate.length, before.length + 2);
    t.same(withLate.filter((x) => x.point_id === 1 && (x.time as Date).getTime() === D + 8 * HOUR).map((x) => x.value), [before.find((x) => x.point_id === 1 && (x.time as Date).getTime() === D + 8 * HOUR)!.value],
      'the packed reading is there once, with its first value');

    // An hour later: 09:00–10:00 and the late reading are packed; still every reading once.
    const next = await packOpenHours(db, { nowMs: NOW + HOUR, afterMs: HOUR });
    t.same(next.map((p) => p.name), [today]);
    t.equal(next[0]!.n, rows.filter((r) => r.timeMs >= horizon && r.timeMs < horizon + HOUR).length + 1, "the next hour's readings and the late one");
    t.match(await trigger(today), /2026-12-03 10:00:00\+00/, 'the trigger moves on to 10:00');
    t.same(await all(), withLate, 'the same rows again');
    t.equal((await commit([...late, row(2, D + 9 * HOUR + 55 * MIN, 0)])).size, 0, 'a replay after the second pack stores nothing');

    // The clock goes back an hour, with a late reading before that earlier horizon: it is packed, and the trigger stays
    // above every packed reading (09:55 here), not at the earlier horizon (09:00).
    t.equal((await commit([row(3, D + 8 * HOUR + 10 * MIN + 1, 5)])).size, 1);
    const back = await packOpenHours(db, { nowMs: NOW, afterMs: HOUR });
    t.same(back, [{ name: today, n: 1 }], 'the late reading packed');
    t.equal((await commit([row(2, D + 9 * HOUR + 55 * MIN, 0), row(4, D + 9 * HOUR + 30 * MIN, 0)])).size, 0,
      'readings packed at 09:00–10:00 are still duplicates');
    t.equal((await all()).length, withLate.length + 1);
    t.same(await packOpenHours(db, { nowMs: NOW + HOUR, afterMs: HOUR }), [], 'nothing left to pack: nothing done');
  });

  t.test('the hourly upkeep packs hours only when asked, and never when days are never packed', async (t) => {
    const later = NOW + 3 * HOUR;
    t.same((await runMaintenance(db, { retention: {}, daysAhead: 0, now: () => later })).packedHours, [], 'not asked');
    t.same((await runMaintenance(db, { retention: {}, daysAhead: 0, now: () => later, packAfterMs: false, packHoursAfterMs: HOUR })).packedHours, [], 'days never packed');
    const n = (await all()).length;
    const r = await runMaintenance(db, { retention: {}, daysAhead: 0, now: () => later, packHoursAfterMs: HOUR });
    t.same(r.packedHours, [today], 'asked: up to 12:00');
    t.same(await plain(today), [], 'every reading is before the horizon: none left plain');
    t.equal((await all()).length, n, 'nothing lost or doubled');
  });
}
