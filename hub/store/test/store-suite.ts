// One store suite, two engines (MQTT.js abstract_store style): the builder opens a fresh, empty store.
import type { Test } from 'tap';
import type { SqlDriver } from '../driver.ts';
import { migrate } from '../migrate.ts';
import { commitBatch, repeatsPointKind, queryObservations, queryLatest, queryQuarantine, readCheckpoint, COLUMNS } from '../observations.ts';
import type { Queryable } from '../driver.ts';
import type { ObservationRow } from '../rows.ts';
import { RegistryService } from '../../registry/service.ts';
import { catalogueByCode } from '../../registry/catalogue.ts';

const T0 = Date.UTC(2026, 10, 25, 2, 0, 0);

function row(pointId: number, deviceId: number, siteId: number, i: number, over: Partial<ObservationRow> = {}): ObservationRow {
  return {
    pointId, deviceId, siteId, indicator: 'water.pipe_pressure', kind: 'rtd', timeMs: T0 + i * 60_000, value: 0.1 + i / 1000,
    avg: null, min: null, max: null, cou: null, unit: 'MPa', sourceFlag: 'N', flags: i % 2 ? ['unit_converted'] : [], warnings: [],
    messageId: `m${i}`, rawValue: null, rawUnit: null, ...over,
  };
}


/** Rows where observation_latest and a recomputation from observation differ (either side); [] when equal. */
export async function latestMismatch(db: Queryable): Promise<unknown[]> {
  const r = await db.query(`
    WITH want AS (SELECT DISTINCT ON (point_id, kind) point_id, kind, time, id FROM observation ORDER BY point_id, kind, time DESC, id DESC),
         have AS (SELECT point_id, kind, time, id FROM observation_latest)
    SELECT 'missing' AS side, * FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM have) a
    UNION ALL SELECT 'extra', * FROM (SELECT * FROM have EXCEPT ALL SELECT * FROM want) b LIMIT 20`);
  return r.rows;
}

export function storeSuite(t: Test, open: () => Promise<SqlDriver>) {
  let db: SqlDriver;
  let reg: RegistryService;
  let p1: { id: number; dev: number; site: number };
  let p2: { id: number; dev: number; site: number };

  t.before(async () => {
    db = await open();
    t.same(await migrate(db), ['001_init.sql', '002_delivery.sql', '003_text_sanitised.sql', '004_latest.sql', '005_rollups.sql', '006_partitions.sql', '007_time_spans.sql', '008_compact_rows.sql', '009_alarms.sql', '010_uploads.sql', '011_access.sql', '012_alarms_more.sql', '013_packed_days.sql', '014_reports.sql', '015_alarm_seen.sql', '017_latest_sparse.sql', '018_outbox_ids_uncompressed.sql', '019_view_tag.sql'], 'fresh store gets the migrations, in order');
    t.same(await migrate(db), [], 'migrations are applied once');
    reg = new RegistryService(db, catalogueByCode());
    await reg.reload();
    await reg.apply({
      sites: [{ code: 'S1', name: 'site one', domain: 'water' }],
      devices: [{ code: 'D1', site: 'S1' }, { code: 'D2', site: 'S1' }],
      points: [{ code: 'P1', device: 'D1', indicator: 'water.pipe_pressure' }, { code: 'P2', device: 'D2', indicator: 'water.pipe_pressure' }],
    });
    const e1 = reg.registry.points.get('P1')!, e2 = reg.registry.points.get('P2')!;
    p1 = { id: e1.id, dev: e1.device.id, site: e1.device.site.id };
    p2 = { id: e2.id, dev: e2.device.id, site: e2.device.site.id };
  });
  t.teardown(async () => { await db.close(); });

  t.test('commit writes observations, one outbox row, quarantine and checkpoint together', async (t) => {
    const rows = Array.from({ length: 100 }, (_, i) => row(p1.id, p1.dev, p1.site, i));
    const ids = await commitBatch(db, {
      adapter: 'test', receivedAtMs: T0 + 1e7, rows,
      quarantine: [{ reason: 'UNKNOWN_POINT', message: 'nope', field: '/point', record: { point: 'X', time: 1 }, textSanitised: false }],
      checkpoint: { key: 'cursor', value: { id: 100 } },
    });
    t.equal(ids.size, 100, 'every row inserted and its id returned');
    const ob = await db.query<{ count: number; n: number }>('SELECT count, cardinality(ref_ids) AS n FROM outbox');
    t.same(ob.rows, [{ count: 100, n: 100 }], 'one outbox row naming all 100');
    t.same(await readCheckpoint(db, 'test', 'cursor'), { id: 100 });
    const q = await queryQuarantine(db, { limit: 10 });
    t.equal(q.length, 1);
    t.equal(q[0]!.reason, 'UNKNOWN_POINT');
    t.same(q[0]!.record, { point: 'X', time: 1 });
  });

  t.test('dedup on point+kind+time: a second commit of the same rows inserts nothing and adds no outbox row', async (t) => {
    const rows = Array.from({ length: 100 }, (_, i) => row(p1.id, p1.dev, p1.site, i, { value: 9 }));
    const ids = await commitBatch(db, { adapter: 'test', receivedAtMs: T0 + 2e7, rows, quarantine: [] });
    t.equal(ids.size, 0);
    const n = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation');
    t.equal(n.rows[0]!.n, '100');
    const ob = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox');
    t.equal(ob.rows[0]!.n, '1');
    const first = await queryObservations(db, { pointIds: [p1.id], limit: 1 });
    t.equal(first[0]!.value, 0.1, 'first write wins');
    // same time, other kind is a different observation
    const hour = await commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows: [row(p1.id, p1.dev, p1.site, 0, { kind: 'hour', avg: 1, min: 0.5, max: 2, cou: 10 })], quarantine: [] });
    t.equal(hour.size, 1);
  });

  t.test('each returned id is the stored id of its own reading: all new, some duplicates, rows out of time order', async (t) => {
    const stored = async () => new Map((await db.query<{ id: string; time: Date; kind: string }>('SELECT id::text AS id, time, kind FROM observation WHERE point_id = $1', [p2.id]))
      .rows.map((r) => [`${p2.id}|${r.kind}|${r.time.getTime()}`, r.id]));
    // Times shuffled, two kinds: input order is neither time nor kind order.
    const order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4];
    const fresh = order.map((i) => row(p2.id, p2.dev, p2.site, 2000 + i, { kind: i % 3 ? 'rtd' : 'min', avg: 1, value: i }));
    const all = await commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows: fresh, quarantine: [] });
    t.same([...all.entries()].sort(), [...(await stored()).entries()].sort(), 'all new: every key maps to its row\'s stored id');
    t.same(all.rows, fresh, 'rows stored, in input order');
    // Half of these were stored above; the new ones sit between them.
    const mixed = [10, 4, 11, 7, 12, 0].map((i) => row(p2.id, p2.dev, p2.site, 2000 + i, { kind: i % 3 ? 'rtd' : 'min', avg: 1, value: i }));
    const some = await commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows: mixed, quarantine: [] });
    const now = await stored();
    t.same([...some.keys()].sort(), [10, 11, 12].map((i) => `${p2.id}|${i % 3 ? 'rtd' : 'min'}|${T0 + (2000 + i) * 60_000}`).sort(), 'only the new ones are returned');
    for (const [k, id] of some) t.equal(id, now.get(k), `${k}: its stored id`);
    t.same(some.rows.map((r) => r.value), [10, 11, 12], 'rows stored, in input order');
    // Unkeyed: which rows are new, nothing else.
    const unkeyed = await commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows: [13, 10, 14].map((i) => row(p2.id, p2.dev, p2.site, 2000 + i, { value: i })), quarantine: [], keyed: false });
    t.same(unkeyed.rows.map((r) => r.value), [13, 14], 'unkeyed: the new rows');
    t.equal(unkeyed.size, 0, 'unkeyed: no ids');
    // By position (what the pipeline reads): an id per input row, null where the identity was stored already.
    const byRow = [15, 13, 16].map((i) => row(p2.id, p2.dev, p2.site, 2000 + i, { value: i }));
    const placed = await commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows: byRow, quarantine: [], keyed: 'rows' });
    const after = await stored();
    t.same(placed.idOf, [after.get(`${p2.id}|rtd|${T0 + 2015 * 60_000}`), null, after.get(`${p2.id}|rtd|${T0 + 2016 * 60_000}`)], 'by position: ids of the new rows, null for the stored one');
    t.ok(placed.idOf[0] && placed.idOf[2], 'both new rows have an id');
    t.same(placed.rows.map((r) => r.value), [15, 16], 'by position: the new rows');
    t.equal(placed.size, 0, 'by position: not keyed by identity');
    await db.query('DELETE FROM observation WHERE point_id = $1', [p2.id]);
    await db.query('DELETE FROM observation_latest WHERE point_id = $1', [p2.id]);
  });

  t.test('new readings go in without arbitration; a stored one fails that attempt whole, the batch commits arbitrated, and its source is arbitrated until 8 clean batches', async (t) => {
    // The statements a commit runs (the batch statement only), as the store saw them: arbitrated or not, and failed how.
    const seen: Array<{ arbitrated: boolean; failed?: string }> = [];
    const spy = Object.create(db, {
      query: {
        value: async (sql: string, params?: unknown[]) => {
          if (!sql.startsWith('WITH ins')) return db.query(sql, params);
          const s: { arbitrated: boolean; failed?: string } = { arbitrated: sql.includes('ON CONFLICT (point_id, kind, time) DO NOTHING') };
          seen.push(s);
          try { return await db.query(sql, params); } catch (e) { s.failed = (e as { code?: string }).code; throw e; }
        },
      },
    }) as SqlDriver;
    const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
    const at = (i: number, value = i) => row(p2.id, p2.dev, p2.site, 3000 + i, { value });
    const commit = (rows: ObservationRow[]) => commitBatch(spy, { adapter: 'optimist', receivedAtMs: T0, rows, quarantine: [], keyed: 'rows' });

    t.same((await commit([at(0), at(1), at(2)])).idOf.map((x) => x !== null), [true, true, true]);
    t.same(seen.splice(0), [{ arbitrated: false }], 'new readings: one statement, no arbitration');

    const outboxBefore = await count('SELECT count(*)::text AS n FROM outbox');
    // Reading 1 is stored (with value 1); 3 and 4 are new. The first attempt fails on 1 and must leave nothing behind.
    const mixed = await commit([at(3), at(1, 99), at(4)]);
    t.same(seen.splice(0), [{ arbitrated: false, failed: '23505' }, { arbitrated: true }], 'a stored reading: the plain insert fails, the arbitrated one commits');
    t.same(mixed.idOf.map((x) => x !== null), [true, false, true], 'the outcome is the arbitrated statement\'s: the stored reading is a duplicate');
    t.same(mixed.rows.map((r) => r.value), [3, 4]);
    t.equal(await count('SELECT count(*)::text AS n FROM observation WHERE point_id = $1', [p2.id]), 5, 'five readings stored, none twice');
    t.same((await queryObservations(db, { pointIds: [p2.id], fromMs: T0 + 3001 * 60_000, toMs: T0 + 3001 * 60_000 + 1, limit: 5 })).map((r) => r.value), [1], 'first write wins');
    t.equal(await count('SELECT count(*)::text AS n FROM outbox'), outboxBefore + 1, 'one outbox entry for the batch, none for the failed attempt');
    t.same(await latestMismatch(db), [], 'observation_latest equals a recomputation');

    for (let i = 5; i < 5 + 8; i++) await commit([at(i)]);
    t.same(seen.splice(0), Array.from({ length: 8 }, () => ({ arbitrated: true })), 'the next 8 batches of that source are arbitrated');
    await commitBatch(spy, { adapter: 'another', receivedAtMs: T0, rows: [at(13)], quarantine: [] });
    t.same(seen.splice(0), [{ arbitrated: false }], 'another source is not');
    await commit([at(14)]);
    t.same(seen.splice(0), [{ arbitrated: false }], 'after 8 clean batches the source goes in without arbitration again');
    await commit([at(14), at(15)]);
    await commit([at(16)]);
    t.same(seen.splice(0), [{ arbitrated: false, failed: '23505' }, { arbitrated: true }, { arbitrated: true }], 'and a stored reading starts it over');
    t.same(await latestMismatch(db), []);
    await db.query('DELETE FROM observation WHERE point_id = $1', [p2.id]);
    await db.query('DELETE FROM observation_latest WHERE point_id = $1', [p2.id]);
  });

  t.test('text values survive array encoding whatever they contain', async (t) => {
    const nasty = ['a"b,c\\d{e} f', 'NULL', '', '中文,逗号', "it's"];
    const rows = nasty.map((m, i) => row(p2.id, p2.dev, p2.site, 1000 + i, { messageId: m, rawUnit: m, rawValue: i + 0.5, value: i === 0 ? null : 1e-7 * i }));
    const ids = await commitBatch(db, { adapter: 'a"dapter', receivedAtMs: T0, rows, quarantine: [] });
    t.equal(ids.size, nasty.length);
    const back = await queryObservations(db, { pointIds: [p2.id], fromMs: T0 + 1000 * 60_000, limit: 10 });
    t.same(back.map((r) => r.message_id), nasty);
    t.same(back.map((r) => r.raw_unit), nasty);
    t.same(back.map((r) => r.value), [null, 1e-7, 2e-7, 3e-7, 4e-7]);
    t.equal(back[0]!.adapter, 'a"dapter');
    // Undo this test's rows, their latest rows too (observation_latest is only written by commits, never by a DELETE).
    await db.query('DELETE FROM observation WHERE point_id = $1', [p2.id]);
    await db.query('DELETE FROM observation_latest WHERE point_id = $1', [p2.id]);
  });

  t.test('a failing statement rolls the whole batch back', async (t) => {
    const before = (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n;
    const rows = [row(p2.id, p2.dev, p2.site, 500)];
    await t.rejects(commitBatch(db, {
      adapter: 'test', receivedAtMs: T0, rows,
      // reason is NOT NULL: the quarantine insert fails after the observations were written
      quarantine: [{ reason: null as unknown as string, message: 'm', field: null, record: {}, textSanitised: false }],
    }));
    const after = (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n;
    t.equal(after, before, 'no observation of the failed batch remains');
    t.same(await queryObservations(db, { pointIds: [p2.id], limit: 10 }), []);
  });

  t.test('queries: filters, (time,id) cursor pages, latest per point', async (t) => {
    await commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows: Array.from({ length: 30 }, (_, i) => row(p2.id, p2.dev, p2.site, i, { value: i })), quarantine: [] });
    const all: string[] = [];
    let after: { timeMs: number; id: string } | undefined;
    for (;;) {
      const page = await queryObservations(db, { pointIds: [p2.id], after, limit: 7 });
      if (!page.length) break;
      all.push(...page.map((r) => String(r.value)));
      const last = page[page.length - 1]!;
      after = { timeMs: last.time.getTime(), id: last.id };
    }
    t.same(all, Array.from({ length: 30 }, (_, i) => String(i)), 'pages cover every row once, in time order');
    const window = await queryObservations(db, { pointIds: [p2.id], fromMs: T0 + 10 * 60_000, toMs: T0 + 20 * 60_000, limit: 100 });
    t.same(window.map((r) => r.value), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 'from inclusive, to exclusive');
    t.equal((await queryObservations(db, { siteIds: [p2.site], kind: 'hour', limit: 100 })).length, 1);
    t.equal((await queryObservations(db, { indicators: ['gas.pipe_pressure'], limit: 100 })).length, 0);
    const latest = await queryLatest(db, {});
    t.same(latest.map((r) => [r.point_id, r.value]).sort(), [[p1.id, 0.1 + 99 / 1000], [p2.id, 29]].sort(), 'latest rtd per point');
    const r0 = window[0]!;
    t.ok(r0.time instanceof Date && r0.received_at instanceof Date, 'times come back as Date');
    t.same(r0.flags, [], 'empty flags array');
    t.same((await queryObservations(db, { pointIds: [p2.id], limit: 2 }))[1]!.flags, ['unit_converted'], 'flags array round-trips');
  });

  t.test('latest table: newer only, late data, duplicates, kinds, many readings of one point in one batch', async (t) => {
    const e = reg.registry.points.get('P2')!;
    const p = { id: e.id, dev: e.device.id, site: e.device.site.id };
    const latestOf = async (kind: string) => (await db.query<{ id: string; time: Date; value: number; message_id: string }>(
      `SELECT o.id::text AS id, o.time, o.value, o.message_id FROM observation_latest l
       JOIN observation o ON o.id = l.id AND o.kind = l.kind AND o.time = l.time WHERE l.point_id = $1 AND l.kind = $2`, [p.id, kind])).rows;
    const commit = (rows: ObservationRow[]) => commitBatch(db, { adapter: 'latest', receivedAtMs: T0, rows, quarantine: [] });
    const base = 5000;
    // Many readings of one point in one batch, out of order: the newest of them wins.
    await commit([3, 7, 1, 5].map((i) => row(p.id, p.dev, p.site, base + i, { value: i })));
    t.same((await latestOf('rtd')).map((r) => r.value), [7], 'newest reading of the batch');
    // Late data (older than the latest) is stored but does not regress the latest.
    const late = await commit([row(p.id, p.dev, p.site, base + 6, { value: 6 }), row(p.id, p.dev, p.site, base + 2, { value: 2 })]);
    t.equal(late.size, 2, 'late readings stored');
    t.same((await latestOf('rtd')).map((r) => r.value), [7], 'late readings leave the latest alone');
    // A duplicate of the latest reading (same identity, other value) inserts nothing and changes nothing.
    const before = await latestOf('rtd');
    t.equal((await commit([row(p.id, p.dev, p.site, base + 7, { value: 99, messageId: 'dup' })])).size, 0);
    t.same(await latestOf('rtd'), before, 'duplicate leaves the latest row as it was');
    // Newer data replaces it, with every column.
    await commit([row(p.id, p.dev, p.site, base + 9, { value: 9, messageId: 'newest' })]);
    t.same((await latestOf('rtd')).map((r) => [r.value, r.message_id]), [[9, 'newest']], 'newer reading replaces it');
    // Several kinds: one latest row per (point, kind), each independent.
    await commit([
      row(p.id, p.dev, p.site, base + 20, { kind: 'min', value: 20, avg: 2, min: 1, max: 3, cou: 4 }),
      row(p.id, p.dev, p.site, base + 10, { kind: 'min', value: 10, avg: 2, min: 1, max: 3, cou: 4 }),
      row(p.id, p.dev, p.site, base + 8, { kind: 'rtd', value: 8 }),
    ]);
    t.same((await latestOf('min')).map((r) => r.value), [20], 'min kind has its own latest');
    t.same((await latestOf('rtd')).map((r) => r.value), [9], 'rtd latest unchanged by an older rtd in a mixed batch');
    t.same((await queryLatest(db, { pointIds: [p.id], kind: 'min' })).map((r) => r.value), [20], 'queryLatest reads it per kind');
    // Equal time with a higher id happens only when the old row was deleted and the reading stored again: the
    // row that exists wins.
    await db.query('DELETE FROM observation WHERE point_id = $1 AND kind = $2 AND time = to_timestamp($3 / 1000.0)', [p.id, 'rtd', T0 + (base + 9) * 60_000]);
    await commit([row(p.id, p.dev, p.site, base + 9, { value: 19, messageId: 'again' })]);
    t.same((await latestOf('rtd')).map((r) => [r.value, r.message_id]), [[19, 'again']], 'tie on time: higher id (the stored row) wins');
    // Whatever happened, the table equals a recomputation from the observations.
    t.same(await latestMismatch(db), [], 'observation_latest equals DISTINCT ON over observation');
    // The same output as the history query, column for column (what the API presents).
    const fromTable = await queryLatest(db, {});
    const fromHistory = (await db.query(`SELECT DISTINCT ON (point_id) ${COLUMNS} FROM observation WHERE kind = 'rtd' ORDER BY point_id, time DESC, observation.id DESC`)).rows;
    t.same(fromTable, fromHistory, 'queryLatest returns exactly what the history query did');
    await db.query('DELETE FROM observation WHERE point_id = $1 AND time >= to_timestamp($2 / 1000.0)', [p.id, T0 + base * 60_000]);
    await db.query('DELETE FROM observation_latest WHERE point_id = $1', [p.id]);
    await db.query(`INSERT INTO observation_latest (point_id, kind, time, id) SELECT DISTINCT ON (point_id, kind) point_id, kind, time, id FROM observation WHERE point_id = $1 ORDER BY point_id, kind, time DESC, id DESC`, [p.id]);
  });

  t.test('latest table, random batches: late, repeated, out of order, two kinds, points new mid-way', async (t) => {
    // The embedded engine writes the latest rows through a join and inserts the new ones; PostgreSQL upserts
    // (observations.ts): both must equal a recomputation after every batch, whatever the batches hold.
    for (const code of ['R1', 'R2', 'R3']) await reg.put('points', code, { device: 'D1', indicator: 'water.pipe_pressure', field: code });
    const pts = ['P1', 'P2', 'R1', 'R2', 'R3'].map((c) => { const e = reg.registry.points.get(c)!; return { id: e.id, dev: e.device.id, site: e.device.site.id }; });
    let seed = 12345;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const base = 20_000;
    const sent = new Set<string>();
    const shapes = { repeating: 0, once: 0 }; // the embedded engine's two statements: with and without DISTINCT ON
    const [a, b2] = pts;
    t.same([[row(a!.id, a!.dev, a!.site, 1), row(b2!.id, b2!.dev, b2!.site, 1)], [row(a!.id, a!.dev, a!.site, 1), row(a!.id, a!.dev, a!.site, 2)],
      [row(a!.id, a!.dev, a!.site, 1), row(b2!.id, b2!.dev, b2!.site, 1, { kind: 'min' })], [row(a!.id, a!.dev, a!.site, 1)], []].map(repeatsPointKind),
    [false, true, true, false, false], 'repeatsPointKind: a point twice, or two kinds, repeat; distinct points of one kind do not');
    for (let b = 0; b < 40; b++) {
      // Early batches touch only the first points: the others come new to the table later.
      const reach = Math.min(pts.length, 2 + Math.floor(b / 10));
      const rows = Array.from({ length: 1 + rand(12) }, () => {
        const p = pts[rand(reach)]!;
        const i = base + rand(30) + Math.floor(b / 4);
        return rand(4) === 0 ? row(p.id, p.dev, p.site, i, { kind: 'min', value: i, avg: 1, min: 0, max: 2, cou: 3 }) : row(p.id, p.dev, p.site, i, { value: b });
      });
      await commitBatch(db, { adapter: 'latest-random', receivedAtMs: T0, rows, quarantine: [] });
      shapes[repeatsPointKind(rows) ? 'repeating' : 'once']++;
      for (const r of rows) if (r.pointId !== pts[0]!.id && r.pointId !== pts[1]!.id) sent.add(`${r.pointId}/${r.kind}`);
      const off = await latestMismatch(db);
      if (off.length) { t.same(off, [], `batch ${b}: observation_latest equals DISTINCT ON over observation`); return; }
    }
    const fresh = pts.slice(2).map((p) => p.id);
    const n = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM observation_latest WHERE point_id = ANY($1::int[])`, [fresh]);
    t.equal(Number(n.rows[0]!.n), sent.size, `the points new to the table: one row per point and kind sent (${sent.size})`);
    t.same(await latestMismatch(db), [], 'after 40 random batches, observation_latest equals DISTINCT ON over observation');
    t.ok(shapes.repeating >= 5 && shapes.once >= 5, `batches repeating a (point, kind) and batches naming each once: ${JSON.stringify(shapes)}`);
    const ids = fresh;
    await db.query(`DELETE FROM observation WHERE point_id = ANY($1::int[]) OR (point_id = ANY($2::int[]) AND time >= to_timestamp($3 / 1000.0))`, [ids, [pts[0]!.id, pts[1]!.id], T0 + base * 60_000]);
    await db.query(`DELETE FROM observation_latest WHERE point_id = ANY($1::int[])`, [pts.map((p) => p.id)]);
    await db.query(`INSERT INTO observation_latest (point_id, kind, time, id) SELECT DISTINCT ON (point_id, kind) point_id, kind, time, id FROM observation WHERE point_id = ANY($1::int[]) ORDER BY point_id, kind, time DESC, id DESC`, [pts.map((p) => p.id)]);
    t.same(await latestMismatch(db), [], 'cleaned up: the earlier tests\' rows are the latest again');
  });

  t.test('latest with an upper time bound answers "as of" from history', async (t) => {
    const to = T0 + 10 * 60_000;
    const got = await queryLatest(db, { pointIds: [p2.id], toMs: to });
    t.same(got.map((r) => r.value), [9], 'newest before `to`');
    t.same((await queryLatest(db, { pointIds: [p2.id], fromMs: T0 + 29 * 60_000 })).map((r) => r.value), [29], 'from alone: the latest');
    t.same(await queryLatest(db, { pointIds: [p2.id], fromMs: T0 + 30 * 60_000 }), [], 'from after the latest: none');
  });

  t.test('an outbox entry of 1,000 ids is stored uncompressed (migration 018) and names exactly the rows stored', async (t) => {
    const storage = await db.query<{ s: string }>("SELECT attstorage::text AS s FROM pg_attribute WHERE attrelid = 'outbox'::regclass AND attname = 'ref_ids'");
    t.same(storage.rows, [{ s: 'e' }], 'ref_ids: external storage (out of line, no compression)');
    const rows = Array.from({ length: 1000 }, (_, i) => row(p2.id, p2.dev, p2.site, 60_000 + i));
    const put = await commitBatch(db, { adapter: 'test', receivedAtMs: T0, rows, quarantine: [], keyed: 'rows' });
    t.equal(put.rows.length, 1000);
    const entry = (await db.query<{ size: number; ids: string[] }>('SELECT pg_column_size(ref_ids) AS size, ref_ids::text[] AS ids FROM outbox WHERE id = $1', [put.entry])).rows[0]!;
    // 1,000 bigints are 8,024 bytes as an array; pglz would have made them about 3,300.
    t.ok(entry.size >= 8000, `stored as is: ${entry.size} bytes`);
    t.same(entry.ids, put.idOf, 'the entry reads back the ids of the batch, in order');
  });

  t.test('registry persists and refuses to delete what is referenced', async (t) => {
    await t.rejects(reg.remove('devices', 'D1'), { code: 'REGISTRY_CONFLICT' });
    await t.rejects(reg.remove('points', 'P1'), { code: 'REGISTRY_CONFLICT' }, 'point with observations');
    await reg.put('points', 'P3', { device: 'D2', indicator: 'water.leak_noise', field: 'noise' });
    await reg.remove('points', 'P3');
    t.notOk(reg.registry.points.has('P3'));
    await t.rejects(reg.put('points', 'P4', { device: 'D2', indicator: 'water.nope' }), { code: 'REGISTRY_INVALID' });
    await t.rejects(reg.put('points', 'P4', { device: 'D2', indicator: 'water.pipe_pressure', source_unit: 'm' }), { code: 'REGISTRY_INVALID', message: /cannot convert/ });
  });

  t.test('migration 004 on a store with history fills observation_latest from it', async (t) => {
    // Back to a store as the previous release left it: observations, no latest table.
    await db.query('DROP TABLE observation_latest');
    await db.query("DELETE FROM schema_migration WHERE name = '004_latest.sql'");
    t.same(await migrate(db), ['004_latest.sql'], 'the upgrade applies 004');
    const n = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation_latest');
    t.ok(Number(n.rows[0]!.n) >= 3, `${n.rows[0]!.n} latest rows`);
    t.same(await latestMismatch(db), [], 'observation_latest equals DISTINCT ON over observation');
  });
}
