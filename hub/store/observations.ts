// Committing batches and reading observations back. The SQL is plain PostgreSQL, shared by PGlite.
import type { Queryable, SqlDriver } from './driver.ts';
import { identityKey, type ObservationRow, type QuarantineRow } from './rows.ts';
import { tagIdsOf } from './tags.ts';
import { isoOf, packBounds, packHorizon, splitRead } from './pack.ts';
import { float8ArrayBinary, int4ArrayBinary, numArray, textArray } from './array-literals.ts';
import { BARE_PICK, bareColumns, withTags, type BareObservationRow } from './tag-reads.ts';
import { arbitrationOf } from './arbitration.ts';

/** PostgreSQL's SQLSTATE for a unique index that already holds the key. */
const UNIQUE_VIOLATION = '23505';

// The batch insert of observations: column arrays through unnest(), one round trip whatever the batch's size.
const INSERT_UNNEST = `
  INSERT INTO observation_data (point_id, tag, kind, time, value, avg, min, max, cou, warnings, message_id, received_at, raw_value)
  SELECT u.p, u.g, u.k, to_timestamp(u.t / 1000.0), u.v, u.a, u.mn, u.mx, u.c,
         CASE WHEN u.w = '' THEN NULL ELSE u.w::text[] END, u.m, to_timestamp($13 / 1000.0), u.rv
  FROM unnest($1::int[], $2::int[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[],
              $9::float8[], $10::text[], $11::text[], $12::float8[])
       AS u(p, g, k, t, v, a, mn, mx, c, w, m, rv)`;

/**
 * The batch insert with the identity's dedup: a reading already stored is skipped (ON CONFLICT DO NOTHING). bench/ingest
 * measures the raw store rate with exactly this, and prints the rate of {@link INSERT_NEW_OBSERVATIONS} beside it.
 */
export const INSERT_OBSERVATIONS = `${INSERT_UNNEST}
  ON CONFLICT (point_id, kind, time) DO NOTHING`;

/**
 * The same insert without arbitration: it fails (23505) on a reading already stored. ON CONFLICT checks the identity
 * index before each row, takes a speculative-insertion lock and writes one more WAL record to confirm the row: on
 * PostgreSQL 15 that is about a third of the insert's cost (5 µs a row of 15–19). A batch of new readings, the usual
 * case, does not need it: commitBatch tries this first and arbitrates only after a conflict (optimistic below).
 */
export const INSERT_NEW_OBSERVATIONS = INSERT_UNNEST;

/** observation_latest takes a row only when it is newer by (time, id) than the one it has. */
const LATEST_UPSERT = `  ON CONFLICT (point_id, kind) DO UPDATE SET time = excluded.time, id = excluded.id
  WHERE (l.time, l.id) < (excluded.time, excluded.id)`;

// The same insert, plus the batch's outbox row and the latest-value rows, in one statement: one round trip per
// batch, and observation_latest can never disagree with a committed batch.
// lt: from the rows actually inserted (duplicates are not), the newest per (point, kind); it replaces the stored
// latest only when newer by (time, id) — late data never regresses it; an equal time with a higher id is only
// possible when the old row was deleted and the reading stored again, and then the new row is the one that
// exists. DISTINCT ON sorts by (point_id, kind), so every batch locks latest rows in the same order: two hub
// processes never deadlock on them.
const INSERT_AND_OUTBOX = (arbitrate: boolean) => `ins AS (${arbitrate ? INSERT_OBSERVATIONS : INSERT_NEW_OBSERVATIONS}
  RETURNING id, point_id, kind, time
), ob AS (
  INSERT INTO outbox (topic, ref_ids, count, min_time, max_time)
  SELECT 'observation', array_agg(id ORDER BY id), count(*), min(time), max(time) FROM ins HAVING count(*) > 0
  RETURNING id, ref_ids, count
)`;
const INSERT_ROWS = (arbitrate: boolean) => `${INSERT_AND_OUTBOX(arbitrate)}, lt AS (
  INSERT INTO observation_latest AS l (point_id, kind, time, id)
  SELECT DISTINCT ON (point_id, kind) point_id, kind, time, id FROM ins ORDER BY point_id, kind, time DESC, id DESC
${LATEST_UPSERT})`;
// The embedded engine runs one transaction at a time, so no two batches ever write latest rows together: one MERGE
// (PostgreSQL 17's, in a WITH) updates the rows it finds through a single join and inserts the (point, kind) pairs new
// to the table. In the engine that is cheaper than ON CONFLICT's arbitration row by row, and than an UPDATE join
// followed by an anti-join for the new pairs: the batch statement 14.3–15.3 ms per 1,000 rows against 15.5–16.7 for
// the two joins and 16.7–17.1 for the upsert (the plain insert 10.8–12.5; docs/store.md). A batch that names each
// (point, kind) at most once (`repeats` false: the usual gateway batch, one reading per point) skips DISTINCT ON's
// sort. MERGE needs that: a target row matched twice is an error. PostgreSQL keeps the upsert: there batches run side
// by side, the upsert takes their rows' locks in (point, kind) order (a join's order is the plan's), and PostgreSQL
// 15 and 16 take no MERGE in a WITH.
const INSERT_ROWS_ONE_WRITER = (arbitrate: boolean, repeats: boolean) => `${INSERT_AND_OUTBOX(arbitrate)}, lt AS (
  MERGE INTO observation_latest AS l
  USING (${repeats ? 'SELECT DISTINCT ON (point_id, kind) point_id, kind, time, id FROM ins ORDER BY point_id, kind, time DESC, id DESC' : 'SELECT point_id, kind, time, id FROM ins'}) n
  ON l.point_id = n.point_id AND l.kind = n.kind
  WHEN MATCHED AND (l.time, l.id) < (n.time, n.id) THEN UPDATE SET time = n.time, id = n.id
  WHEN NOT MATCHED THEN INSERT (point_id, kind, time, id) VALUES (n.point_id, n.kind, n.time, n.id))`;
// One bigint[] aligned with the rows: the new id, or NULL where the identity already existed; and the outbox entry.
// When every row was new (the usual batch) that array is the outbox entry's: the ids come from the sequence in the
// order the rows are inserted, which is the order unnest() gives them, so sorted by id they are in input order. Only a
// batch with duplicates pays for the join that places the NULLs (a subquery in the CASE runs only when reached).
const RETURN_IDS = `SELECT CASE WHEN ob.count = cardinality($1::int[]) THEN ob.ref_ids ELSE (
  SELECT array_agg(ins.id ORDER BY x.n) FROM unnest($1::int[], $3::text[], $4::float8[]) WITH ORDINALITY AS x(p, k, t, n)
  LEFT JOIN ins ON ins.point_id = x.p AND ins.kind = x.k AND ins.time = to_timestamp(x.t / 1000.0)) END::text AS ids,
  ob.id::text AS entry
FROM (SELECT) one LEFT JOIN ob ON true`;

// $t: the received time, $a: the adapter, $n…: the quarantine's arrays.
const INSERT_QUARANTINE = (t: number, a: number, n: number) => `q AS (
  INSERT INTO quarantine (received_at, adapter, reason, message, field, record, text_sanitised)
  SELECT to_timestamp($${t} / 1000.0), $${a}, u.r, u.m, u.f, u.rec::jsonb, u.ts
  FROM unnest($${n}::text[], $${n + 1}::text[], $${n + 2}::text[], $${n + 3}::text[], $${n + 4}::boolean[]) AS u(r, m, f, rec, ts)
)`;

// A counted checkpoint gets, beside its value, what the statement stored: `accepted` (rows ins returned) and
// `duplicates` (the readings offered minus those).
const UPSERT_CHECKPOINT = (a: number, n: number, counted: boolean, withRows: boolean) => `cp AS (
  INSERT INTO adapter_checkpoint (adapter, key, value)
  SELECT $${a}, $${n}, ${!counted ? `$${n + 1}::jsonb` : `$${n + 1}::jsonb || jsonb_build_object('accepted', c.n, 'duplicates', $${n + 2}::int - c.n)
  FROM (SELECT ${withRows ? 'count(*)::int AS n FROM ins' : '0 AS n'}) c`}
  ON CONFLICT (adapter, key) DO UPDATE SET value = excluded.value, updated_at = now()
)`;

export interface CommitInput {
  adapter: string;
  receivedAtMs: number;
  rows: ObservationRow[];
  quarantine: QuarantineRow[];
  /**
   * The adapter's checkpoint, committed with the batch. With `counted`, its value (an object) also gets the batch's
   * outcome as the store decided it: `accepted`, the observations newly inserted, and `duplicates`, `counted.offered`
   * (the readings that reached the store, repeats within the batch included) minus that.
   */
  checkpoint?: { key: string; value: unknown; counted?: { offered: number } };
  /**
   * How the result names the new ids: true (default) keyed by identity; 'rows' only by position (`idOf`, aligned with
   * `rows`: what the pipeline reads, without a key string per row); false not at all, only which rows are new (`rows`).
   */
  keyed?: boolean | 'rows';
}

const TEXT_COLS = new Set([2, 9, 10]);
const INT_COLS = new Set([0, 1]);

/**
 * Parameters of INSERT_OBSERVATIONS: column arrays for unnest(), one round trip per batch whatever its size. `store`
 * is the handle whose tag cache serves (hub/store/tags.ts); `db` runs the rare tag lookups, outside any transaction.
 * `numbers`: the number columns as binary arrays (for pg, the default on PostgreSQL) or as text literals (PGlite).
 */
export async function observationParams(db: Queryable, store: object, rows: ObservationRow[], adapter: string, receivedAtMs: number,
  numbers: 'binary' | 'text' = (store as Partial<SqlDriver>).kind === 'postgres' ? 'binary' : 'text'): Promise<unknown[]> {
  const tags = await tagIdsOf(db, store, rows, adapter);
  const n = rows.length;
  const cols = Array.from({ length: 12 }, () => new Array<unknown>(n));
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    cols[0]![i] = r.pointId; cols[1]![i] = tags[i]; cols[2]![i] = r.kind; cols[3]![i] = r.timeMs; cols[4]![i] = r.value;
    cols[5]![i] = r.avg; cols[6]![i] = r.min; cols[7]![i] = r.max; cols[8]![i] = r.cou;
    cols[9]![i] = r.warnings.length ? textArray(r.warnings) : ''; cols[10]![i] = r.messageId; cols[11]![i] = r.rawValue;
  }
  // pg sends a Buffer in binary: numbers go as their bytes (array-literals.ts); PGlite reads text literals.
  const binary = numbers === 'binary';
  return [...cols.map((c, j) => (TEXT_COLS.has(j) ? textArray(c) : !binary ? numArray(c) : INT_COLS.has(j) ? int4ArrayBinary(c) : float8ArrayBinary(c))), receivedAtMs];
}

/**
 * `repeats`: some (point, kind) comes more than once among the rows (only the embedded engine's statement asks).
 * `arbitrate`: the rows are inserted with ON CONFLICT DO NOTHING (else a reading already stored fails the statement).
 */
type Shape = { rows: boolean; repeats: boolean; arbitrate: boolean; quarantine: boolean; checkpoint: 'plain' | 'counted' | undefined };

/**
 * Parameter numbers of a batch statement's shape: with rows, $1–$12 their columns and $13 the received time (as
 * INSERT_OBSERVATIONS); then the received time (when only the quarantine needs it), the adapter, the quarantine's 5
 * arrays, the checkpoint's key, value and count offered. Only what the shape uses: PostgreSQL refuses a parameter no
 * statement names (it cannot tell its type).
 */
/**
 * What commitBatch stored: the store id of each new observation by identity key (a Map), and beside it the batch's
 * outbox entry and the rows it names (the alarm evaluator takes them from memory instead of reading them back).
 */
export class Inserted extends Map<string, string> {
  /** The outbox entry naming the new observations (null: nothing new). */
  entry: string | null = null;
  /** The rows stored, in input order (duplicates left out). */
  readonly rows: ObservationRow[] = [];
  /** With `keyed: 'rows'`: the store id of each input row, null where its identity was already stored. */
  readonly idOf: Array<string | null> = [];
  /** The batch's plain insert met a reading already stored, and the batch was committed again with arbitration. */
  retried = false;
}

function layout(s: Shape) {
  let n = s.rows ? 14 : 1;
  const time = s.rows ? 13 : s.quarantine ? n++ : 0;
  const adapter = s.quarantine || s.checkpoint ? n++ : 0;
  const quarantine = s.quarantine ? (n += 5) - 5 : 0;
  const checkpoint = s.checkpoint ? n : 0;
  return { time, adapter, quarantine, checkpoint };
}

/** The batch statement for a shape and engine (48 of them, each built once). */
const statements = new Map<string, string>();
function batchStatement(s: Shape, kind: SqlDriver['kind']): string {
  const key = `${s.rows}/${kind === 'pglite' && s.repeats}/${s.rows && s.arbitrate}/${s.quarantine}/${s.checkpoint}/${kind}`;
  let sql = statements.get(key);
  if (sql === undefined) {
    const at = layout(s);
    const ctes = s.rows ? [kind === 'pglite' ? INSERT_ROWS_ONE_WRITER(s.arbitrate, s.repeats) : INSERT_ROWS(s.arbitrate)] : [];
    if (s.quarantine) ctes.push(INSERT_QUARANTINE(at.time, at.adapter, at.quarantine));
    if (s.checkpoint) ctes.push(UPSERT_CHECKPOINT(at.adapter, at.checkpoint, s.checkpoint === 'counted', s.rows));
    sql = `WITH ${ctes.join(', ')}\n${s.rows ? RETURN_IDS : 'SELECT NULL::text AS ids'}`;
    statements.set(key, sql);
  }
  return sql;
}

/**
 * Whether some (point, kind) may come more than once among the rows. Exact when they share one kind (the usual batch:
 * each point once); a batch mixing kinds counts as repeating, which only costs it the sort.
 */
export function repeatsPointKind(rows: readonly ObservationRow[]): boolean {
  if (rows.length < 2) return false;
  const kind = rows[0]!.kind;
  const seen = new Set<number>();
  for (const r of rows) {
    if (r.kind !== kind || seen.has(r.pointId)) return true;
    seen.add(r.pointId);
  }
  return false;
}

/**
 * Commit observations (dedup by identity), their outbox entry and latest values, quarantined records and the
 * adapter's checkpoint in ONE statement: a statement is its own transaction, so they commit together or not at all,
 * with no BEGIN/COMMIT round trips, and the latest rows it locks are released as soon as it commits instead of after
 * the hub's event loop gets round to sending COMMIT: batches in flight on the same points wait less. Returns the
 * store id of each newly inserted observation by identity key.
 *
 * The rows go in optimistically (no arbitration, hub/store/arbitration.ts) unless their adapter recently sent a
 * reading already stored. When a row is already stored, the statement fails on it, having committed nothing (the
 * insert runs first, before any latest row is locked), and runs again with arbitration: the outcome is the same.
 */
export async function commitBatch(db: SqlDriver, input: CommitInput): Promise<Inserted> {
  const { rows, quarantine, checkpoint } = input;
  const shape: Shape = {
    rows: rows.length > 0, repeats: db.kind === 'pglite' && repeatsPointKind(rows), quarantine: quarantine.length > 0,
    arbitrate: rows.length > 0 && arbitrationOf(db).needed(input.adapter),
    checkpoint: checkpoint && (checkpoint.counted ? 'counted' : 'plain'),
  };
  if (!shape.rows && !shape.quarantine && !shape.checkpoint) return new Inserted();
  const at = layout(shape);
  const params: unknown[] = shape.rows ? await observationParams(db, db, rows, input.adapter, input.receivedAtMs) : [];
  if (at.time && !shape.rows) params.push(input.receivedAtMs);
  if (at.adapter) params.push(input.adapter);
  if (shape.quarantine) {
    params.push(quarantine.map((x) => x.reason), quarantine.map((x) => x.message), quarantine.map((x) => x.field),
      quarantine.map((x) => JSON.stringify(x.record ?? null) ?? 'null'), quarantine.map((x) => x.textSanitised));
  }
  if (checkpoint) {
    params.push(checkpoint.key, JSON.stringify(checkpoint.value));
    if (checkpoint.counted) params.push(checkpoint.counted.offered);
  }
  let res, retried = false;
  try {
    res = await db.query<{ ids: string | null; entry?: string | null }>(batchStatement(shape, db.kind), params);
  } catch (e) {
    if (!shape.rows || shape.arbitrate || (e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
    arbitrationOf(db).conflicted(input.adapter);
    shape.arbitrate = retried = true;
    res = await db.query<{ ids: string | null; entry?: string | null }>(batchStatement(shape, db.kind), params);
  }
  const inserted = new Inserted();
  inserted.entry = res.rows[0]!.entry ?? null;
  inserted.retried = retried;
  if (!shape.rows) return inserted;
  const ids = res.rows[0]!.ids!;
  if (shape.arbitrate) arbitrationOf(db).arbitrated(input.adapter, ids.includes('NULL'));
  if (input.keyed === false) {
    // Only which rows are new: read off the array text ({12,NULL,13}) without a string per element.
    for (let i = 0, at = 1; i < rows.length; i++) {
      if (ids.charCodeAt(at) !== 0x4e /* N: NULL */) inserted.rows.push(rows[i]!);
      at = ids.indexOf(',', at) + 1;
    }
    return inserted;
  }
  const each = ids.slice(1, -1).split(',');
  if (input.keyed === 'rows') {
    for (let i = 0; i < each.length; i++) {
      const id = each[i]!;
      if (id === 'NULL') { inserted.idOf.push(null); continue; }
      inserted.idOf.push(id);
      inserted.rows.push(rows[i]!);
    }
    return inserted;
  }
  for (let i = 0; i < each.length; i++) {
    if (each[i] === 'NULL') continue;
    const r = rows[i]!;
    inserted.set(identityKey(r.pointId, r.kind, r.timeMs), each[i]!);
    inserted.rows.push(r);
  }
  return inserted;
}

/**
 * Bring observation_latest up to date with every stored observation (after rows were loaded by SQL, bypassing
 * commitBatch): the same newer-only rule as the insert, so it never moves a latest row back. With `sinceMs`, only
 * rows from that instant on are read (the newest rows of a bulk load: a point with none there keeps its latest row).
 */
export async function rebuildLatest(db: Queryable, opts: { sinceMs?: number } = {}): Promise<void> {
  const since = opts.sinceMs === undefined ? '' : 'WHERE time >= to_timestamp($1 / 1000.0)';
  await db.query(`INSERT INTO observation_latest AS l (point_id, kind, time, id)
    SELECT DISTINCT ON (point_id, kind) point_id, kind, time, id FROM observation_data ${since} ORDER BY point_id, kind, time DESC, id DESC
    ${LATEST_UPSERT}`, opts.sinceMs === undefined ? [] : [opts.sinceMs]);
}

export async function readCheckpoint(db: Queryable, adapter: string, key: string): Promise<unknown> {
  const r = await db.query<{ value: unknown }>('SELECT value FROM adapter_checkpoint WHERE adapter = $1 AND key = $2', [adapter, key]);
  return r.rows[0]?.value;
}

export interface ObservationFilter {
  pointIds?: number[];
  deviceIds?: number[];
  siteIds?: number[];
  indicators?: string[];
  kind?: string;
  fromMs?: number;
  toMs?: number;
  /** exclusive lower bound (time, id) for cursor pagination */
  after?: { timeMs: number; id: string };
  limit: number;
}

export interface StoredObservationRow {
  id: string; point_id: number; device_id: number; site_id: number; indicator: string; kind: string; time: Date;
  value: number | null; avg: number | null; min: number | null; max: number | null; cou: number | null; unit: string;
  source_flag: string; flags: string[]; warnings: string[]; adapter: string; message_id: string | null; received_at: Date;
  raw_value: number | null; raw_unit: string | null;
}

// `id` is output as text: ORDER BY must name observation.id (a bare `id` would sort the text alias: 1, 10, 2 …).
export const COLUMNS = `id::text AS id, point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
  source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit`;

function where(f: Omit<ObservationFilter, 'limit' | 'after'>, params: unknown[]): string[] {
  const w: string[] = [];
  const add = (sql: (n: string) => string, v: unknown) => { params.push(v); w.push(sql(`$${params.length}`)); };
  if (f.pointIds) add((n) => `point_id = ANY(${n}::int[])`, f.pointIds);
  if (f.deviceIds) add((n) => `device_id = ANY(${n}::int[])`, f.deviceIds);
  if (f.siteIds) add((n) => `site_id = ANY(${n}::int[])`, f.siteIds);
  if (f.indicators) add((n) => `indicator = ANY(${n}::text[])`, f.indicators);
  if (f.kind) add((n) => `kind = ${n}`, f.kind);
  let lo: string | undefined, hi: string | undefined;
  if (f.fromMs !== undefined) add((n) => `time >= ${(lo = `to_timestamp(${n} / 1000.0)`)}`, f.fromMs);
  if (f.toMs !== undefined) add((n) => `time < ${(hi = `to_timestamp(${n} / 1000.0)`)}`, f.toMs);
  // Packed days (migration 013): only the packs overlapping the range are read.
  if (lo !== undefined || hi !== undefined) w.push(packBounds(lo, hi));
  return w;
}

/**
 * A page of observations in (time, id) order. Packed days (migration 013) are read only as far as the page can reach:
 * packHorizon() tells from the packs' counts where its rows must end, and the read is bounded there (a page of the
 * whole city from the start of history reads the first day's packs, not every pack). When the rows' own columns
 * (site, device, indicator as stored) leave fewer than that inside the bound, the page reads on from it.
 */
export async function queryObservations(db: Queryable, f: ObservationFilter): Promise<StoredObservationRow[]> {
  const iso = isoOf;
  const out: StoredObservationRow[] = [];
  let past: string | undefined;
  for (let round = 0; ; round++) {
    const need = f.limit - out.length;
    // Each further round looks further ahead: a filter that keeps few packed readings is not read a pack at a time.
    const upTo = await packHorizon(db, {
      pointIds: f.pointIds, kind: f.kind, from: iso(f.fromMs), to: iso(f.toMs), past: past ?? iso(f.after?.timeMs), need: need * 2 ** Math.min(round, 20),
    });
    out.push(...await pageWithin(db, f, need, past, upTo));
    if (upTo === undefined || out.length >= f.limit) return out;
    past = upTo;
  }
}

/** The page's rows after `past` (exclusive) and up to `upTo` (inclusive), both timestamptz text, each optional. */
async function pageWithin(db: Queryable, f: ObservationFilter, limit: number, past: string | undefined, upTo: string | undefined): Promise<StoredObservationRow[]> {
  const params: unknown[] = [];
  const w = where(f, params);
  if (f.after) {
    params.push(f.after.timeMs, f.after.id);
    // The row comparison alone is no index condition; the time bound it implies lets a point's pages range-scan
    // the (point_id, kind, time) index from the cursor on.
    w.push(`(time, id) > (to_timestamp($${params.length - 1} / 1000.0), $${params.length}::bigint)`, `time >= to_timestamp($${params.length - 1} / 1000.0)`,
      packBounds(`to_timestamp($${params.length - 1} / 1000.0)`, undefined));
  }
  if (past !== undefined) { params.push(past); w.push(`time > $${params.length}::timestamptz`, `pack_hi > $${params.length}::timestamptz`); }
  if (upTo !== undefined) { params.push(upTo); w.push(`time <= $${params.length}::timestamptz`, packBounds(undefined, `$${params.length}::timestamptz`)); }
  params.push(limit);
  // Plain rows and packed ones each in order, then merged: the plain rows by their time or identity index. Each row
  // names its tag, whose columns come from the hub's cache (tag-reads.ts): without a filter on what rows were stored
  // with, PostgreSQL joins no tag at all.
  const sql = splitRead({
    alias: 'observation', select: bareColumns('observation'), pick: BARE_PICK('observation'),
    where: w.length ? w.join(' AND ') : 'true', order: 'time, observation.id', limit: `$${params.length}`,
  });
  return withTags(db, (await db.query<BareObservationRow>(sql, params)).rows);
}

/**
 * The stored row a latest-value row (alias `l`: point_id, kind, time, id) names, by identity: from observation_data,
 * or, for a point silent since its partition was packed (migration 013), from its pack. Columns as observation_data's
 * (id, time, received_at, value, point_id, tag, kind, avg, min, max, cou, raw_value, message_id, warnings); one row
 * or none. For a LATERAL per latest row (/v1/observations/latest, SensorThings' latest Observation of a Datastream).
 */
export function latestRowOf(l: string): string {
  return `(SELECT od.id, od.time, od.received_at, od.value, od.point_id, od.tag, od.kind, od.avg, od.min, od.max, od.cou,
                 od.raw_value, od.message_id, od.warnings
          FROM observation_data od WHERE od.point_id = ${l}.point_id AND od.kind = ${l}.kind AND od.time = ${l}.time AND od.id = ${l}.id OFFSET 0)
         UNION ALL
         (SELECT u.id, u.time, u.received_at, u.value, pk.point_id, u.tag, pk.kind, u.avg, u.min, u.max, u.cou, u.raw, u.msg, u.warn::text[]
          FROM observation_pack pk
          CROSS JOIN LATERAL unnest(pk.ids, pk.times, pk.received, pk.vals, pk.tags, pk.avgs, pk.mins, pk.maxs, pk.cous, pk.raws, pk.msgs, pk.warns)
            AS u(id, time, received_at, value, tag, avg, min, max, cou, raw, msg, warn)
          WHERE pk.point_id = ${l}.point_id AND pk.kind = ${l}.kind AND pk.hi >= ${l}.time AND pk.lo <= ${l}.time AND u.time = ${l}.time AND u.id = ${l}.id)
         LIMIT 1`;
}

/**
 * The newest observation of each point (of one kind, rtd by default). Read from observation_latest (one row per
 * point and kind: no scan of history), except with an upper time bound ("as of" a past instant), which only the
 * history can answer. A lower bound alone is the same on both: the newest since `from` is the newest, or none.
 */
export async function queryLatest(db: Queryable, f: Omit<ObservationFilter, 'limit' | 'after'>): Promise<StoredObservationRow[]> {
  const params: unknown[] = [];
  const w = where({ ...f, kind: f.kind ?? 'rtd' }, params);
  // The latest table names each point's row by its identity (point, kind, time) and id: a nested loop, one probe of
  // the identity index per point in its own partition (run-time pruning on kind and time). Inside the LATERAL, bare column names are observation's.
  const latest = (narrow = true) => {
    params.push(f.kind ?? 'rtd');
    const lw = [`l.kind = $${params.length}`];
    if (f.pointIds) { params.push(f.pointIds); lw.push(`l.point_id = ANY($${params.length}::int[])`); }
    if (!narrow) return lw.join(' AND ');
    // Site, device and indicator narrow the latest rows through the registry first (as the API's filters do), so
    // only those points are probed; each probed row must still match by what it was stored with (w, below).
    const reg: string[] = [];
    if (f.siteIds) { params.push(f.siteIds); reg.push(`d.site_id = ANY($${params.length}::int[])`); }
    if (f.deviceIds) { params.push(f.deviceIds); reg.push(`p.device_id = ANY($${params.length}::int[])`); }
    if (f.indicators) { params.push(f.indicators); reg.push(`p.indicator = ANY($${params.length}::text[])`); }
    if (reg.length) lw.push(`l.point_id IN (SELECT p.id FROM point p JOIN device d ON d.id = p.device_id WHERE ${reg.join(' AND ')})`);
    return lw.join(' AND ');
  };
  // One probe per latest row: its observation_data row by identity, then its tag by primary key. Through the view the
  // planner hash-joined the whole tag table on every probe (it expects a row per partition), so the probe spells the
  // view's columns out over the two tables (the same list as migration 008's view; store tests compare the two), and
  // OFFSET 0 keeps each LATERAL a per-row probe.
  const sql = f.toMs === undefined
    ? `SELECT ${COLUMNS} FROM (
         SELECT od.id, od.point_id, t.device_id, t.site_id, t.indicator, od.kind, od.time, od.value, od.avg, od.min, od.max, od.cou,
                t.unit, t.source_flag, t.flags, coalesce(od.warnings, '{}'::text[]) AS warnings, t.adapter, od.message_id,
                od.received_at, od.raw_value, t.raw_unit, '-infinity'::timestamptz AS pack_lo, 'infinity'::timestamptz AS pack_hi
         FROM observation_latest l
         CROSS JOIN LATERAL (${latestRowOf('l')}) od
         CROSS JOIN LATERAL (SELECT * FROM observation_tag t WHERE t.id = od.tag OFFSET 0) t
         WHERE ${latest()}) observation
       WHERE ${w.join(' AND ')} ORDER BY point_id`
    // "As of": every point with rows of the kind (or those asked), its stored columns filtered as the rows were stored.
    : asOf(w, latest(false), `to_timestamp($${params.push(f.toMs)} / 1000.0)`);
  return (await db.query<StoredObservationRow>(sql, params)).rows;
}

/**
 * "As of" a past instant: per point that has rows of the kind (observation_latest lists them), its newest row before
 * `to` matching `w`, each a backward index probe. Packed days (migration 013): `h` is the end of the point's newest
 * pack wholly before `to`, which holds a reading at `h`; so the newest row is after `h` (a plain row, or in a pack
 * reaching past `h`: usually the one day holding `to`), else at `h` (that pack), else, only when the row filters
 * (stored site, device, indicator) leave none there, before it: each tried in turn, the next only when the one
 * before found nothing.
 */
function asOf(w: string[], latest: string, to: string): string {
  const bounded = (range: string) => `SELECT * FROM observation WHERE point_id = l.point_id AND kind = l.kind AND ${w.join(' AND ')} AND ${range}
    ORDER BY time DESC, observation.id DESC LIMIT 1`;
  return `SELECT ${COLUMNS} FROM (SELECT observation.* FROM observation_latest l
    CROSS JOIN LATERAL (SELECT coalesce(max(q.hi), '-infinity') AS h FROM observation_pack q WHERE q.point_id = l.point_id AND q.kind = l.kind AND q.hi < ${to}) hp
    CROSS JOIN LATERAL ((${bounded('time > hp.h AND pack_hi > hp.h')}) UNION ALL (${bounded('time = hp.h AND pack_hi >= hp.h AND pack_lo <= hp.h')})
                        UNION ALL (${bounded('time < hp.h AND pack_lo < hp.h')}) LIMIT 1) observation
    WHERE ${latest}) observation ORDER BY point_id`;
}

export interface QuarantineQuery {
  reason?: string; afterId?: string; ids?: string[]; limit: number; includeReplayed?: boolean;
  /** Only entries whose record names one of these point codes, or (naming no point) one of these device codes. */
  visible?: { points: string[]; devices: string[] };
}

export async function queryQuarantine(db: Queryable, q: QuarantineQuery) {
  const params: unknown[] = [];
  const w: string[] = [];
  if (!q.includeReplayed) w.push('replayed_at IS NULL');
  if (q.reason) { params.push(q.reason); w.push(`reason = $${params.length}`); }
  if (q.afterId) { params.push(q.afterId); w.push(`id > $${params.length}::bigint`); }
  if (q.ids) { params.push(q.ids); w.push(`id = ANY($${params.length}::bigint[])`); }
  if (q.visible) {
    params.push(q.visible.points, q.visible.devices);
    w.push(`CASE WHEN jsonb_typeof(record) = 'object' AND record ? 'point' THEN record->>'point' = ANY($${params.length - 1}::text[])
      ELSE jsonb_typeof(record) = 'object' AND record->>'device' = ANY($${params.length}::text[]) END`);
  }
  params.push(q.limit);
  const sql = `SELECT id::text AS id, received_at, adapter, reason, message, field, record, text_sanitised, replayed_at FROM quarantine
    ${w.length ? 'WHERE ' + w.join(' AND ') : ''} ORDER BY quarantine.id LIMIT $${params.length}`;
  return (await db.query<{ id: string; received_at: Date; adapter: string; reason: string; message: string; field: string | null; record: unknown; text_sanitised: boolean; replayed_at: Date | null }>(sql, params)).rows;
}
