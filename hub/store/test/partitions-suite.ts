// Time partitions, retention, `store status` and the in-place upgrade of a pre-006 store, on both engines.
import type { Test } from 'tap';
import type { SqlDriver } from '../driver.ts';
import { migrate } from '../migrate.ts';
import { commitBatch, queryObservations } from '../observations.ts';
import type { ObservationRow } from '../rows.ts';
import { maintainPartitions, listPartitions, applyRetention, retentionPlan, partitionName, parsePartitionName } from '../partitions.ts';
import { moveLegacy } from '../legacy.ts';
import { commitToday } from '../../../bench/lib/today-layout.ts';
import { storeStatus, formatStatus } from '../cli.ts';
import { byIdsWhere, spanOf, SPAN_COLS, type SpanRow } from '../time-span.ts';
import { withLiterals } from '../../../test/helpers/plans.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);

function row(pointId: number, kind: string, timeMs: number, value = 1): ObservationRow {
  return {
    pointId, deviceId: 1, siteId: 1, indicator: 'water.pipe_pressure', kind, timeMs, value,
    avg: null, min: null, max: null, cou: null, unit: 'MPa', sourceFlag: 'N', flags: [], warnings: [],
    messageId: null, rawValue: null, rawUnit: null,
  };
}
const count = async (db: SqlDriver, table: string) => Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
const names = async (db: SqlDriver) => (await listPartitions(db)).map((p) => p.name);

export function partitionsSuite(t: Test, open: () => Promise<SqlDriver>) {
  t.test('partition names round-trip', async (t) => {
    t.equal(partitionName('rtd', Date.UTC(2026, 0, 5, 13)), 'observation_rtd_p20260105');
    t.equal(partitionName('hour', Date.UTC(2026, 0, 5)), 'observation_hour_p202601');
    t.equal(partitionName('day', Date.UTC(2026, 6, 5)), 'observation_day_p2026');
    t.same(parsePartitionName('observation_hour_p202612'), { kind: 'hour', fromMs: Date.UTC(2026, 11, 1), toMs: Date.UTC(2027, 0, 1) });
    t.equal(parsePartitionName('observation_rtd_default'), undefined);
    t.equal(parsePartitionName('observation_rtd_p202612'), undefined, 'a month name is no rtd partition');
  });

  t.test('partitions ahead, out-of-window readings commit, and move out of DEFAULT', async (t) => {
    const db = await open();
    t.teardown(() => db.close());
    await migrate(db);
    t.same((await moveLegacy(db)).done, true, 'a fresh store has nothing to move');
    const m = await maintainPartitions(db, { nowMs: NOW, daysAhead: 2 });
    t.same(m.created, ['observation_rtd_p20261203', 'observation_rtd_p20261204', 'observation_rtd_p20261205'], 'rtd: today and 2 days ahead');
    t.same((await maintainPartitions(db, { nowMs: NOW, daysAhead: 2 })).created, [], 'a second run finds them made');
    // Other kinds get partitions ahead once written lately; their first rows wait in DEFAULT until then.
    await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows: [row(2, 'min', NOW), row(2, 'hour', NOW), row(2, 'day', NOW)], quarantine: [] });
    const m1 = await maintainPartitions(db, { nowMs: NOW, daysAhead: 2 });
    t.same(m1.created, [
      'observation_min_p20261203', 'observation_min_p20261204', 'observation_min_p20261205',
      'observation_hour_p202612', 'observation_day_p2026',
    ], 'min by day, hour by month, day by year');
    t.equal(m1.movedFromDefault, 3);
    await db.query('DELETE FROM observation WHERE point_id = 2');

    // 2019, ten days ago, next year: none has a partition. Every commit succeeds.
    const odd = [NOW - 2500 * DAY, NOW - 10 * DAY, NOW + 400 * DAY];
    const ids = await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows: [...odd.map((ms) => row(1, 'rtd', ms)), row(1, 'rtd', NOW), row(1, 'hour', NOW - 800 * DAY)], quarantine: [] });
    t.equal(ids.size, 5, 'every reading committed');
    t.equal(await count(db, 'observation_rtd_default'), 3, 'out-of-window rtd readings wait in the DEFAULT partition');
    t.equal(await count(db, 'observation_hour_default'), 1);
    const again = await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows: odd.map((ms) => row(1, 'rtd', ms, 2)), quarantine: [] });
    t.equal(again.size, 0, 'dedup holds in the DEFAULT partition');

    const m2 = await maintainPartitions(db, { nowMs: NOW, daysAhead: 2 });
    t.equal(m2.movedFromDefault, 4, 'the waiting rows move into their new partitions');
    t.ok(m2.created.includes(partitionName('rtd', NOW - 10 * DAY)) && m2.created.includes(partitionName('rtd', NOW + 400 * DAY)));
    t.ok(m2.created.includes(partitionName('hour', NOW - 800 * DAY)));
    t.equal(await count(db, 'observation_rtd_default') + await count(db, 'observation_hour_default'), 0);
    t.equal(await count(db, 'observation'), 5, 'nothing lost, nothing doubled');
    const back = await queryObservations(db, { pointIds: [1], limit: 10 });
    t.same(back.map((r) => r.id).sort(), [...ids.values()].sort(), 'ids kept through the move');
    const dup = await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows: odd.map((ms) => row(1, 'rtd', ms, 3)), quarantine: [] });
    t.equal(dup.size, 0, 'dedup holds after the move');
  });

  t.test('retention drops exactly the expired partitions, whole', async (t) => {
    const db = await open();
    t.teardown(() => db.close());
    await migrate(db);
    // rtd on each of the last 6 days, min 3 days ago, hour 3 years ago
    const rows = [0, 1, 2, 3, 4, 5].map((d) => row(1, 'rtd', NOW - d * DAY));
    rows.push(row(1, 'min', NOW - 3 * DAY), row(1, 'hour', NOW - 1100 * DAY), row(1, 'day', NOW - 1100 * DAY));
    await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows, quarantine: [] });
    await maintainPartitions(db, { nowMs: NOW, daysAhead: 1 });
    const retention = { rtd: 3, min: 3, hour: null, day: null };
    // now − 3 days = 11-30 10:00: a partition goes when its whole day is older: 11-29 and before (not 11-30).
    const expect = ['observation_min_p20261130', 'observation_rtd_p20261128', 'observation_rtd_p20261129'];
    t.same(await retentionPlan(db, retention, NOW), expect.filter((n) => n !== 'observation_min_p20261130'), 'the plan');
    const status = await storeStatus(db, retention, NOW);
    t.same(status.next_retention_drops, ['observation_rtd_p20261128', 'observation_rtd_p20261129'], 'status tells what the next run drops');
    const text = formatStatus(status);
    t.match(text, /observation_rtd_p20261128 \*/);
    t.match(text, /next retention run drops 2 partition\(s\)/);
    t.match(text, /retention: rtd 3 d, min 3 d, hour kept, day kept/);
    const p = status.partitions.find((x) => x.name === 'observation_rtd_p20261201')!;
    t.equal(p.rows, 1);
    t.equal(p.oldestMs, NOW - 2 * DAY);
    t.ok(p.bytes > 0);
    const dropped = await applyRetention(db, retention, NOW);
    t.same(dropped, ['observation_rtd_p20261128', 'observation_rtd_p20261129']);
    const left = await names(db);
    t.notOk(left.some((n) => dropped.includes(n)));
    t.ok(left.includes('observation_rtd_p20261130') && left.includes('observation_min_p20261130'), 'the partly expired day stays');
    t.ok(left.includes(partitionName('hour', NOW - 1100 * DAY)), 'hour kept');
    t.equal(await count(db, 'observation'), 7, 'two rtd rows gone with their partitions');
    t.same(await applyRetention(db, retention, NOW), [], 'a second run drops nothing');
  });

  t.test('reads by id stay within the time span of their batch (outbox and delivery batches record it)', async (t) => {
    const db = await open();
    t.teardown(() => db.close());
    await migrate(db);
    for (let d = 0; d < 10; d++) await maintainPartitions(db, { nowMs: NOW - d * DAY, daysAhead: 0 });
    const times = [NOW - 2 * DAY + 3_600_000, NOW - DAY - 3_600_000];
    const ids = [...(await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows: times.map((ms, i) => row(1 + i, 'rtd', ms)), quarantine: [] })).values()];
    const ob = (await db.query<SpanRow>(`SELECT ${SPAN_COLS} FROM outbox ORDER BY id DESC LIMIT 1`)).rows;
    t.same([ob[0]!.lo_ms, ob[0]!.hi_ms], times, 'the outbox entry records the min and max time of its observations');
    const span = spanOf(ob)!;
    const plan = async (withSpan: boolean) => {
      const params: unknown[] = [ids];
      const sql = `SELECT id FROM observation WHERE ${byIdsWhere('$1', withSpan ? span : undefined, params)}`;
      const text = (await db.query<Record<string, string>>(`EXPLAIN (COSTS OFF) ${withLiterals(sql, params)}`)).rows.map((r) => Object.values(r)[0]).join('\n');
      return new Set(text.match(/observation_rtd_p\d{8}/g) ?? []);
    };
    t.same([...await plan(true)].sort(), ['observation_rtd_p20261201', 'observation_rtd_p20261202'], 'with the span: only the two days the batch touched');
    t.ok((await plan(false)).size >= 10, 'without it: every rtd partition');
    const params: unknown[] = [ids];
    t.equal((await db.query(`SELECT id FROM observation WHERE ${byIdsWhere('$1', span, params)}`, params)).rows.length, 2, 'and the read finds both');
    t.equal(spanOf([...ob, { lo: null, hi: null, lo_ms: null, hi_ms: null }]), undefined, 'an entry from before 007 has no span: the read is unbounded');
  });

  t.test('in-place upgrade of a store made by 001–003: chunks, stop, resume, ids kept', async (t) => {
    const db = await open();
    t.teardown(() => db.close());
    t.same(await migrate(db, { until: '003_text_sanitised.sql' }), ['001_init.sql', '002_delivery.sql', '003_text_sanitised.sql']);
    // A store release 0.1 left behind: its own commit statement (bench/lib/today-layout.ts), 10 batches of 10 over 5 days and 2 kinds.
    const before = new Map<string, string>();
    for (let b = 0; b < 10; b++) {
      const rows = Array.from({ length: 10 }, (_, i) => row(1 + (i % 3), i % 4 === 0 ? 'hour' : 'rtd', NOW - (b % 5) * DAY - (b * 10 + i) * 60_000, b * 10 + i));
      for (const [k, id] of await commitToday(db, rows, 't', NOW)) before.set(id, k);
    }
    t.equal(before.size, 100);
    const refs = (await db.query<{ ids: string[] }>('SELECT ref_ids::text[] AS ids FROM outbox ORDER BY id')).rows.flatMap((r) => r.ids);
    t.equal(refs.length, 100);

    t.same(await migrate(db), ['004_latest.sql', '005_rollups.sql', '006_partitions.sql', '007_time_spans.sql', '008_compact_rows.sql', '009_alarms.sql', '010_uploads.sql', '011_access.sql', '012_alarms_more.sql', '013_packed_days.sql', '014_reports.sql', '015_alarm_seen.sql', '017_latest_sparse.sql', '018_outbox_ids_uncompressed.sql', '019_view_tag.sql'], 'the upgrade applies on top of 001–003');
    t.equal(await count(db, 'observation_legacy'), 100, 'rows wait in the legacy table');
    const progress: number[] = [];
    const part = await moveLegacy(db, { chunk: 15, maxChunks: 3, onProgress: (p) => progress.push(p.moved) });
    t.same(progress, [15, 30, 45], 'progress per chunk');
    t.same({ moved: part.moved, remaining: part.remaining, done: part.done }, { moved: 45, remaining: 55, done: false }, 'stopped after 3 chunks (as if killed)');
    t.equal(await count(db, 'observation_legacy') + await count(db, 'observation'), 100, 'each row in exactly one table');

    const rest = await moveLegacy(db, { chunk: 15 });
    t.same({ moved: rest.moved, done: rest.done }, { moved: 55, done: true }, 'resumed where it stopped');
    t.equal((await db.query<{ r: string | null }>(`SELECT to_regclass('observation_legacy')::text AS r`)).rows[0]!.r, null, 'legacy table dropped');
    const after = await db.query<{ id: string; k: string }>(`SELECT id::text AS id, point_id || '|' || kind || '|' || (extract(epoch FROM time) * 1000)::bigint AS k FROM observation`);
    t.equal(after.rows.length, 100, 'every row moved exactly once');
    t.same(new Map(after.rows.map((r) => [r.id, r.k])), before, 'ids and identities preserved');
    const found = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM observation WHERE id = ANY($1::bigint[])', [refs]);
    t.equal(found.rows[0]!.n, 100, 'outbox ref_ids still name them');
    t.equal(await count(db, 'observation_rtd_default') + await count(db, 'observation_hour_default'), 0, 'moved rows went straight into their partitions');
    const fresh = await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows: [row(9, 'rtd', NOW)], quarantine: [] });
    t.ok(BigInt([...fresh.values()][0]!) > BigInt([...before.keys()].sort((a, b) => Number(BigInt(b) - BigInt(a)))[0]!), 'new ids continue after the old ones');
    const dup = await commitBatch(db, { adapter: 't', receivedAtMs: NOW, rows: [row(1, 'hour', NOW)], quarantine: [] });
    t.equal(dup.size, 0, 'dedup covers the moved rows');
  });

  t.test('compact rows: a store made by 006–007 (wide partitioned rows) moves into 008, and reads back the same', async (t) => {
    const db = await open();
    t.teardown(() => db.close());
    await migrate(db, { until: '007_time_spans.sql' });
    // What a 007 hub wrote: every column of the wide row in use somewhere (flags, warnings, raw unit, message id,
    // the aggregate columns of a minute row, a NULL value), two devices, two adapters.
    await db.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
        source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit)
      SELECT 1 + g % 3, 1 + g % 2, 7, 'water.pipe_pressure', CASE WHEN g % 5 = 0 THEN 'min' ELSE 'rtd' END,
             to_timestamp(${NOW / 1000} - g * 60), CASE WHEN g % 7 = 0 THEN NULL ELSE g / 10.0 END,
             CASE WHEN g % 5 = 0 THEN g / 10.0 END, CASE WHEN g % 5 = 0 THEN g / 20.0 END, CASE WHEN g % 5 = 0 THEN g / 5.0 END,
             CASE WHEN g % 5 = 0 THEN 10 END, 'MPa', CASE WHEN g % 4 = 0 THEN 'D' ELSE 'N' END,
             CASE WHEN g % 3 = 0 THEN '{out_of_range}'::text[] ELSE '{}' END, CASE WHEN g % 6 = 0 THEN ARRAY['CRC lenient', 'a "q", comma'] ELSE '{}' END,
             CASE WHEN g % 2 = 0 THEN 'hj212' ELSE 'http' END, CASE WHEN g % 2 = 0 THEN 'QN' || g END,
             to_timestamp(${NOW / 1000} - g * 60 + 5), CASE WHEN g % 4 = 1 THEN g * 100.0 END, CASE WHEN g % 4 = 1 THEN 'kPa' END
      FROM generate_series(1, 240) g`);
    const cols = `id::text AS id, point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit, source_flag, flags,
      warnings, adapter, message_id, received_at, raw_value, raw_unit`;
    const before = (await db.query(`SELECT ${cols} FROM observation ORDER BY id`)).rows;
    t.equal(before.length, 240);

    t.same(await migrate(db), ['008_compact_rows.sql', '009_alarms.sql', '010_uploads.sql', '011_access.sql', '012_alarms_more.sql', '013_packed_days.sql', '014_reports.sql', '015_alarm_seen.sql', '017_latest_sparse.sql', '018_outbox_ids_uncompressed.sql', '019_view_tag.sql'], 'the upgrade applies 008');
    t.equal(await count(db, 'observation_v6'), 240, 'the wide rows wait in observation_v6');
    const part = await moveLegacy(db, { chunk: 50, maxChunks: 2 });
    t.same({ moved: part.moved, done: part.done }, { moved: 100, done: false }, 'stopped after 2 chunks (as if killed)');
    t.equal(await count(db, 'observation_v6') + await count(db, 'observation_data'), 240, 'each row in exactly one table');
    t.same((await moveLegacy(db, { chunk: 50 })).done, true, 'resumed and finished');
    t.equal((await db.query<{ r: string | null }>(`SELECT to_regclass('observation_v6')::text AS r`)).rows[0]!.r, null, 'observation_v6 dropped');

    const after = (await db.query(`SELECT ${cols} FROM observation ORDER BY id`)).rows;
    t.same(after, before, 'the view reads every column of every row as the wide table held it');
    const tags = await count(db, 'observation_tag');
    t.ok(tags > 1 && tags <= 2 * 2 * 2 * 2 * 2, `the repeated part is stored once per combination (${tags} tags for 240 rows)`);

    // New rows: the hub's commit finds the same tags, and a row written through the view gets one too.
    const fresh = await commitBatch(db, { adapter: 'hj212', receivedAtMs: NOW, rows: [{ ...row(1, 'rtd', NOW + 60_000), deviceId: 1, siteId: 7 }], quarantine: [] });
    t.equal(fresh.size, 1);
    await db.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, adapter, received_at)
      VALUES (2, 2, 7, 'water.pipe_pressure', 'rtd', to_timestamp(${(NOW + 120_000) / 1000}), 1.5, 'MPa', 'sql', now())`);
    const two = (await db.query<{ adapter: string; site_id: number; flags: string[]; warnings: string[]; source_flag: string }>(
      `SELECT adapter, site_id, flags, warnings, source_flag FROM observation WHERE time > to_timestamp(${NOW / 1000}) ORDER BY time`)).rows;
    t.same(two, [
      { adapter: 'hj212', site_id: 7, flags: [], warnings: [], source_flag: 'N' },
      { adapter: 'sql', site_id: 7, flags: [], warnings: [], source_flag: 'N' },
    ], 'inserted through commitBatch and through the view: read back whole');
    await db.query(`DELETE FROM observation WHERE adapter = 'sql'`);
    t.equal(await count(db, 'observation_data'), 241, 'a delete through the view removes the row');
  });
}
