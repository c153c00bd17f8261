// Rollups on a real store (run on PGlite and PostgreSQL by rollups.test.ts): the roller's minute/hour/day buckets equal
// a GROUP BY over the raw rows, late data re-aggregates, a replay changes nothing, days follow the hub's zone.
import type { Test } from 'tap';
import pino from 'pino';
import type { SqlDriver } from '../driver.ts';
import { migrate } from '../migrate.ts';
import { commitBatch, rebuildLatest } from '../observations.ts';
import type { ObservationRow } from '../rows.ts';
import { recomputeFor, queryAggregates, rebuildRollups, rollStep, INTERVALS } from '../rollups.ts';
import { pruneOutbox } from '../../delivery/store.ts';
import { createRoller, heldRows } from '../../rollups/roller.ts';
import { RegistryService } from '../../registry/service.ts';
import { catalogueByCode } from '../../registry/catalogue.ts';
import { rawRollups, storedRollups } from '../../../test/helpers/rollups.ts';

const ZONE = 'Asia/Shanghai';
// 2026-11-25 15:50 UTC = 23:50 in Shanghai: the data runs across the zone's midnight (16:00 UTC), not UTC's.
const T0 = Date.UTC(2026, 10, 25, 15, 50, 0);

type P = { id: number; dev: number; site: number };
function row(p: P, timeMs: number, value: number | null, over: Partial<ObservationRow> = {}): ObservationRow {
  return {
    pointId: p.id, deviceId: p.dev, siteId: p.site, indicator: 'water.pipe_pressure', kind: 'rtd', timeMs, value,
    avg: null, min: null, max: null, cou: null, unit: 'MPa', sourceFlag: 'N', flags: [], warnings: [], messageId: null,
    rawValue: null, rawUnit: null, ...over,
  };
}

export function rollupsSuite(t: Test, open: () => Promise<SqlDriver>) {
  let db: SqlDriver;
  const pts: P[] = [];
  const roller = () => createRoller(db, { zone: ZONE }, pino({ level: 'silent' }));
  const commit = (rows: ObservationRow[]) => commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows, quarantine: [] });
  const same = async (t: Test, what: string) => {
    for (const iv of INTERVALS) t.same(await storedRollups(db, iv), await rawRollups(db, iv, ZONE), `${iv} rollups equal a GROUP BY of the raw rows (${what})`);
  };

  t.before(async () => {
    db = await open();
    await migrate(db);
    const reg = new RegistryService(db, catalogueByCode());
    await reg.reload();
    await reg.apply({
      sites: [{ code: 'S1', name: 'site one', domain: 'water' }],
      devices: [{ code: 'D1', site: 'S1' }],
      points: ['P1', 'P2', 'P3'].map((code) => ({ code, device: 'D1', indicator: 'water.pipe_pressure' })),
    });
    for (const c of ['P1', 'P2', 'P3']) { const e = reg.registry.points.get(c)!; pts.push({ id: e.id, dev: e.device.id, site: e.device.site.id }); }
  });
  t.teardown(async () => { await db.close(); });

  t.test('minute, hour and day rollups equal a recomputation from raw; only rtd readings with a value count', async (t) => {
    // 40 minutes of P1 and P2, a reading every 20 s, in batches of 30; P2 every 7th is flagged one way or another.
    const rows: ObservationRow[] = [];
    for (let i = 0; i < 120; i++) {
      rows.push(row(pts[0]!, T0 + i * 20_000, Math.sin(i) * 10));
      rows.push(row(pts[1]!, T0 + i * 20_000, i % 11 === 0 ? null : i / 3, {
        sourceFlag: i % 14 === 0 ? 'D' : 'N', flags: i % 7 === 3 ? ['out_of_range'] : i % 5 === 0 ? ['unit_converted', 'late'] : [],
      }));
    }
    for (let i = 0; i < rows.length; i += 30) await commit(rows.slice(i, i + 30));
    // A source-sent hourly aggregate stays an observation: it is not a derived rollup input.
    await commit([row(pts[0]!, T0 + 600_000, 99, { kind: 'hour', avg: 99, min: 1, max: 200, cou: 10 })]);
    const r = roller();
    await r.catchUp();
    await same(t, 'after catch-up');
    t.same((await r.status()).lag_seconds, 0, 'no lag once caught up');
    const days = await storedRollups(db, '1d');
    t.same([...new Set(days.map((d) => d.bucket))], ['2026-11-24T16:00:00.000Z', '2026-11-25T16:00:00.000Z'], 'day buckets start at Shanghai midnight (16:00 UTC)');
    const p2 = (await storedRollups(db, '1h')).filter((b) => b.point_id === pts[1]!.id);
    t.ok(p2.every((b) => b.flagged > 0) && p2.reduce((a, b) => a + b.count, 0) === 120 - 11, 'flagged counted; null values left out');
    const one = await queryAggregates(db, { interval: '1h', pointIds: [pts[0]!.id], limit: 10 });
    t.equal(one.length, 2, 'two hours of P1 (23:50–00:30 Shanghai)');
    t.equal(one[0]!.count, 30, '10 minutes × 3 readings before midnight');
    t.equal(one[0]!.first_value, 0, 'first is the first reading (sin 0)');
  });

  t.test('a late reading re-aggregates its minute, hour and day', async (t) => {
    const before = (await storedRollups(db, '1d')).find((b) => b.point_id === pts[0]!.id)!;
    // 23:50:05 Shanghai: inside an existing minute, before the first reading of the day.
    await commit([row(pts[0]!, T0 - 5_000, -50), row(pts[0]!, T0 + 5_000, 500, { sourceFlag: 'C' })]);
    await roller().catchUp();
    await same(t, 'after late data');
    const after = (await storedRollups(db, '1d')).find((b) => b.point_id === pts[0]!.id)!;
    t.equal(after.count, before.count + 2, 'day count grew by the two late readings');
    t.equal(after.min, -50);
    t.equal(after.max, 500);
    t.equal(after.first_value, -50, 'first moved to the earlier late reading');
    t.equal(after.flagged, before.flagged + 1, 'calibration flag C counts as flagged');
  });

  t.test('replay over the same outbox entries is idempotent', async (t) => {
    const snapshot = await Promise.all(INTERVALS.map((iv) => storedRollups(db, iv)));
    await db.query(`UPDATE rollup_cursor SET outbox_id = 0 WHERE name = 'rollup'`);
    await roller().catchUp();
    t.same(await Promise.all(INTERVALS.map((iv) => storedRollups(db, iv))), snapshot, 'every bucket unchanged after a full replay');
    // And a replay of one entry inside a transaction (what a crash before the cursor commit leads to).
    const ids = (await db.query<{ ids: string[] }>('SELECT ref_ids::text[] AS ids FROM outbox ORDER BY outbox.id LIMIT 1')).rows[0]!.ids;
    await db.transaction((tx) => recomputeFor(tx, ids, ZONE));
    await same(t, 'after a partial replay');
  });

  t.test('rows loaded by SQL, bypassing commit: rebuildRollups and rebuildLatest bring the derived tables up to date', async (t) => {
    const p = pts[1]!;
    // Two days after T0 (new buckets) and one reading before everything P2 has (must not become its latest).
    await db.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, source_flag, adapter, received_at)
      SELECT $1, $2, $3, 'water.pipe_pressure', 'rtd', t, extract(minute FROM t)::float8, 'MPa', 'N', 'sql', now()
      FROM generate_series(to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0), interval '7 minutes') AS t`,
    [p.id, p.dev, p.site, T0 + 2 * 86_400_000, T0 + 2 * 86_400_000 + 5 * 3_600_000]);
    await db.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, source_flag, adapter, received_at)
      VALUES ($1, $2, $3, 'water.pipe_pressure', 'rtd', to_timestamp($4 / 1000.0), -1, 'MPa', 'N', 'sql', now())`, [p.id, p.dev, p.site, T0 - 86_400_000]);
    const minutes = await rebuildRollups(db, ZONE, T0 - 86_400_000, T0 + 3 * 86_400_000);
    t.ok(minutes >= 43, `${minutes} minute buckets written`);
    await same(t, 'after rebuilding from SQL-loaded rows');
    t.equal(await rebuildRollups(db, ZONE, T0 - 86_400_000, T0 + 3 * 86_400_000), 0, 'a second rebuild changes nothing');
    await rebuildLatest(db);
    const latest = async (sql: string) => (await db.query<{ p: number; k: string; id: string }>(sql)).rows.map((r) => `${r.p}|${r.k}|${r.id}`).sort();
    t.same(await latest('SELECT point_id AS p, kind AS k, id::text AS id FROM observation_latest'),
      await latest('SELECT DISTINCT ON (point_id, kind) point_id AS p, kind AS k, id::text AS id FROM observation ORDER BY point_id, kind, time DESC, id DESC'),
      'observation_latest equals a recomputation');
  });

  t.test('the outbox pruner keeps what the roller has not read', async (t) => {
    await commit([row(pts[2]!, T0, 1)]);
    const max = (await db.query<{ m: string }>('SELECT max(id)::text AS m FROM outbox')).rows[0]!.m;
    await pruneOutbox(db, [], 0);
    const left = (await db.query<{ id: string }>('SELECT id::text AS id FROM outbox')).rows.map((r) => r.id);
    t.same(left, [max], 'entries the roller read went; the unread one stays');
    await roller().catchUp();
    await pruneOutbox(db, [], 0);
    t.equal((await db.query('SELECT 1 FROM outbox')).rows.length, 0, 'once read it may go');
  });

  t.test('a backlog left once ingest has stopped is worked off without the duty cycle\'s pauses', async (t) => {
    const p = pts[2]!;
    // Two backlogs of 20 entries (one step each: stepSize 50, batches of 50). The first is rolled by catchUp(), steps
    // back to back: the time one step takes, times 20. The second by the roller's loop at duty 0.05, which pauses 19×
    // each step while batches keep being committed: nothing is committed meanwhile, so it must go as fast.
    const backlog = async (dayMs: number) => {
      for (let b = 0; b < 20; b++) await commit(Array.from({ length: 50 }, (_, i) => row(p, T0 + dayMs + (b * 50 + i) * 60_000, i)));
    };
    const slow = () => createRoller(db, { zone: ZONE, duty: 0.05, stepSize: 50, pollMs: 20 }, pino({ level: 'silent' }));
    await backlog(10 * 86_400_000);
    let t0 = performance.now();
    await slow().catchUp();
    const backToBack = performance.now() - t0;
    await backlog(20 * 86_400_000);
    const r = slow();
    t0 = performance.now();
    await r.start();
    while ((await r.status()).lag_seconds > 0 && performance.now() - t0 < 60_000) await new Promise((res) => setTimeout(res, 10));
    const looped = performance.now() - t0;
    await r.stop();
    t.ok(looped < 3 * backToBack + 500, `the loop caught up in ${looped.toFixed(0)} ms; back to back ${backToBack.toFixed(0)} ms (with a pause of 19× each step: about ${(20 * backToBack).toFixed(0)} ms)`);
    await same(t, 'after both backlogs');
  });

  t.test('folded or recomputed, in any order of arrival: every bucket equals a recomputation (shuffled, late, repeated, replayed)', async (t) => {
    // A step folds the readings it can prove new to a bucket (all later than its last) and recomputes the others: here
    // readings of three points, mostly in order, some swapped across batches and steps, some very late, some sent
    // twice, flagged and null ones, committed in batches of 1-40 and rolled in steps of 1-120 observations at random
    // moments, most batches summed from the rows held in memory and the rest read back; twice a round the cursor goes
    // back over entries already rolled (a replay). After each round, every
    // minute, hour and day bucket must equal a GROUP BY of the raw rows. Starts at 23:00 Shanghai: days cross midnight.
    let seed = 20261205;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const pick = (n: number) => Math.floor(rand() * n);
    const base = Date.UTC(2027, 0, 10, 15, 0);
    const maxOutbox = async () => (await db.query<{ m: string }>('SELECT coalesce(max(id), 0)::text AS m FROM outbox')).rows[0]!.m;
    let folded = 0, summed = 0;
    // Most batches are also handed to the step as this process's held rows (summed in memory, not read back).
    const held = heldRows({ minReadingsPerSum: 0 }); // whatever the sums save
    const sums = held.sums.bind(held);
    held.sums = (entries, timelyS) => { const r = sums(entries, timelyS); summed += r?.observations ?? 0; return r; };
    for (let round = 0; round < 3; round++) {
      const readings: ObservationRow[] = [];
      for (let k = 0; k < 400; k++) {
        for (const p of pts) {
          const timeMs = base + round * 3 * 3_600_000 + k * 23_000 + p.id * 1_000;
          const r = rand();
          readings.push(row(p, timeMs, r < 0.03 ? null : Math.round((Math.sin(k / 7 + p.id) * 50 + 50) * 1000) / 1000, r > 0.95 ? { sourceFlag: 'D' } : r > 0.9 ? { flags: ['out_of_range'] } : {}));
        }
      }
      // Swaps within 300 positions (across batches and steps), a few moved to the end (late by hours), a few repeated.
      for (let i = 0; i < readings.length; i++) {
        if (rand() < 0.15) { const j = Math.min(readings.length - 1, i + 1 + pick(300)); [readings[i], readings[j]] = [readings[j]!, readings[i]!]; }
      }
      for (let i = 0; i < 30; i++) readings.push(readings.splice(pick(readings.length - 1), 1)[0]!);
      for (let i = 0; i < 20; i++) readings.push(readings[pick(readings.length)]!);
      const replayAt = new Set([pick(readings.length), pick(readings.length)]);
      for (let i = 0; i < readings.length;) {
        const n = 1 + pick(40);
        // Received up to 10 minutes after the batch's first reading: some on time, some not (report_setting).
        const receivedAtMs = readings[i]!.timeMs + pick(600) * 1000;
        const res = await commitBatch(db, { adapter: 'test', receivedAtMs, rows: readings.slice(i, i + n), quarantine: [] });
        if (res.entry !== null && rand() < 0.7) held.add(res.entry, { rows: res.rows, receivedAtMs, length: res.rows.length });
        i += n;
        if (rand() < 0.4) {
          const safe = await maxOutbox();
          for (let s = 0, steps = 1 + pick(3); s < steps; s++) {
            const r = await rollStep(db, safe, ZONE, 1 + pick(120), 'rollup', held);
            folded += r.observations;
            if (r.caughtUp) break;
          }
        }
        if ([...replayAt].some((x) => x < i && x >= i - n)) {
          // Back over some entries already rolled (and maybe over entries of the rounds before).
          await roller().catchUp();
          const back = (await db.query<{ id: string }>('SELECT id::text AS id FROM outbox ORDER BY outbox.id DESC OFFSET $1 LIMIT 1', [1 + pick(30)])).rows[0]?.id ?? '0';
          await db.query(`UPDATE rollup_cursor SET outbox_id = $1::bigint WHERE name = 'rollup'`, [back]);
        }
      }
      await roller().catchUp();
      await same(t, `round ${round + 1}`);
    }
    t.ok(folded > 0 && summed > 0, `${folded} observations rolled in single steps, ${summed} of them summed from held rows`);
  });

  // Only where two transactions can be open at once: one PGlite is one connection.
  t.test('a roller that finds another rolling up forgets what it held up to that one\'s cursor', async (t) => {
    if (db.kind !== 'postgres') { t.pass('PostgreSQL only'); return; }
    const held = heldRows({ minReadingsPerSum: 0 });
    const res = await commit([row(pts[0]!, T0 + 90 * 86_400_000, 1)]);
    held.add(res.entry!, { rows: res.rows, receivedAtMs: T0, length: res.rows.length });
    await roller().catchUp(); // another process's roller took it: the cursor is past it
    t.ok(held.has(res.entry!), 'still held here');
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let locked!: () => void;
    const holding = new Promise<void>((r) => { locked = r; });
    const other = db.transaction(async (tx) => { await tx.query(`SELECT 1 FROM rollup_cursor WHERE name = 'rollup' FOR UPDATE`); locked(); await gate; });
    await holding;
    const safe = (await db.query<{ m: string }>('SELECT max(id)::text AS m FROM outbox')).rows[0]!.m;
    const step = await rollStep(db, safe, ZONE, 100, 'rollup', held);
    release();
    await other;
    t.equal(step.busy, true, 'the step found the cursor taken');
    t.notOk(held.has(res.entry!), 'and forgot the batch the other had rolled');
  });

  t.test('hours follow the zone too: a half-hour zone has hours starting at :30 UTC', async (t) => {
    const p = pts[2]!;
    const res = await commit([0, 10, 40, 70].map((m) => row(p, Date.UTC(2026, 0, 1, 0, m), m)));
    await db.transaction((tx) => recomputeFor(tx, [...res.values()], 'Asia/Kolkata'));
    const hours = (await queryAggregates(db, { interval: '1h', pointIds: [p.id], fromMs: Date.UTC(2025, 11, 31), toMs: Date.UTC(2026, 0, 2), limit: 10 })).map((h) => [h.bucket.toISOString(), h.count]);
    t.same(hours, [['2025-12-31T23:30:00.000Z', 2], ['2026-01-01T00:30:00.000Z', 2]], 'India (UTC+5:30) hours');
    const day = await queryAggregates(db, { interval: '1d', pointIds: [p.id], fromMs: Date.UTC(2025, 11, 31), toMs: Date.UTC(2026, 0, 2), limit: 10 });
    t.same(day.map((d) => d.bucket.toISOString()), ['2025-12-31T18:30:00.000Z'], 'India day starts 18:30 UTC');
    // Liberia kept UTC−0:44:30 until 1972: its minutes then started at :30 s past UTC's. 12:00:10 and 12:00:40 UTC are
    // 11:15:40 and 11:16:10 local, two minutes.
    const old = await commit([10, 40].map((s) => row(p, Date.UTC(1971, 5, 1, 12, 0, s), s)));
    await db.transaction((tx) => recomputeFor(tx, [...old.values()], 'Africa/Monrovia'));
    const minutes = await queryAggregates(db, { interval: '1m', pointIds: [p.id], fromMs: Date.UTC(1971, 5, 1), toMs: Date.UTC(1971, 5, 2), limit: 10 });
    t.same(minutes.map((m) => [m.bucket.toISOString(), m.count]), [['1971-06-01T11:59:30.000Z', 1], ['1971-06-01T12:00:30.000Z', 1]], 'a minute of a zone whose offset had seconds');
  });
}
