// Packed days (migration 013): a closed time partition's rows become one observation_pack row per point and kind,
// the readings as arrays in time order; the partition is truncated and keeps taking late data, deduplicated against
// the packs by a trigger. `observation` reads both. Each pack names its time span (lo, hi): reads that may reach old
// days bound it (packBounds) so PostgreSQL reads only the packs they need.
//
// Packed hours: a day partition still open (today's, or yesterday's before it is packed whole) has its readings older
// than an hour horizon packed the same way, a slice of points at a time, and deleted from it (packOpenHours). In an
// open partition every minute's readings of the whole city lie between two readings of one point, so a point's day
// there is a heap page per reading; packed, it is a pack per hour. The dedup trigger then fires only for readings
// older than the horizon (its WHEN clause): the current minute's inserts do not run it.
import type { Queryable, SqlDriver } from './driver.ts';
import { KIND_GRANULARITY, listPartitionNames, parsePartitionName, tableExists, underLock } from './partitions.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// The packs of a set of plain rows (`from`: a table or a CTE with observation_data's columns), one per point and kind.
const some = (col: string, expr = col) => `CASE WHEN count(${col}) > 0 THEN array_agg(${expr} ORDER BY time) END`;
const PACK_ROWS = (from: string) => `INSERT INTO observation_pack (point_id, kind, lo, hi, n, id_lo, id_hi, ids, times, received, vals, tags, avgs, mins, maxs, cous, raws, msgs, warns)
        SELECT point_id, kind, min(time), max(time), count(*), min(id), max(id), array_agg(id ORDER BY time), array_agg(time ORDER BY time),
               array_agg(received_at ORDER BY time), array_agg(value ORDER BY time), array_agg(tag ORDER BY time),
               ${some('avg')}, ${some('min')}, ${some('max')}, ${some('cou')}, ${some('raw_value')}, ${some('message_id')},
               ${some('warnings', 'warnings::text')}
        FROM ${from} GROUP BY point_id, kind
        RETURNING n`;

/** The partition's dedup trigger: 'all' (a packed day), 'before' (packed hours: WHEN on the time), or none. */
async function dedupTrigger(tx: Queryable, name: string): Promise<'all' | 'before' | undefined> {
  const r = await tx.query<{ all: boolean }>(`SELECT tgqual IS NULL AS all FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = 'observation_packed_dedup'`, [name]);
  return r.rows.length ? (r.rows[0]!.all ? 'all' : 'before') : undefined;
}

/** A partition's rows into packs, then the partition emptied and given the dedup trigger. Returns the readings packed. */
export async function packPartition(db: SqlDriver, name: string): Promise<number> {
  if (!parsePartitionName(name)) throw new Error(`${name} is not a time partition of observation_data`);
  return underLock(db, async (tx) => {
    if (!(await tableExists(tx, name))) return 0;
    // Inserts into the partition (late data) wait until the packs are committed; reads go on.
    await tx.query(`LOCK TABLE ${name} IN SHARE ROW EXCLUSIVE MODE`);
    const r = await tx.query<{ n: number }>(`WITH p AS (${PACK_ROWS(name)})
      SELECT coalesce(sum(n), 0)::int AS n FROM p`);
    await tx.query(`TRUNCATE ${name}`);
    // A partition with packed hours has the trigger for readings before their horizon: now it takes every reading.
    if ((await dedupTrigger(tx, name)) !== 'all') {
      await tx.query(`CREATE OR REPLACE TRIGGER observation_packed_dedup BEFORE INSERT ON ${name} FOR EACH ROW EXECUTE FUNCTION observation_packed_dedup()`);
    }
    return r.rows[0]!.n;
  });
}

export interface PackOpenOptions {
  nowMs: number;
  /** Pack the readings of whole hours that ended at least this long before `nowMs`. */
  afterMs: number;
  /**
   * Partitions whose range ended this long ago are packed whole (packClosed, the same run): left alone here. Default a
   * day.
   */
  closedAfterMs?: number;
  /** Aim of one slice's transaction, in ms (inserts into the partition wait for it). Default 250. */
  sliceMs?: number;
  /** Points in the first slice (then sized by `sliceMs`). Default 64. */
  slicePoints?: number;
  onPacked?: (name: string, n: number) => void;
}

/**
 * Pack the readings of every open day partition (rtd, min) older than the hour horizon: whole hours that ended at
 * least `afterMs` ago. Returns the partitions with readings packed, and how many.
 */
export async function packOpenHours(db: SqlDriver, o: PackOpenOptions): Promise<Array<{ name: string; n: number }>> {
  const horizon = Math.floor((o.nowMs - o.afterMs) / HOUR_MS) * HOUR_MS;
  const closedBy = o.nowMs - (o.closedAfterMs ?? DAY_MS);
  const out: Array<{ name: string; n: number }> = [];
  for (const name of await listPartitionNames(db)) {
    const p = parsePartitionName(name);
    if (!p || KIND_GRANULARITY[p.kind] !== 'day' || p.fromMs >= horizon || p.toMs <= closedBy) continue;
    // A day wholly behind the horizon is packed whole (its last hours, and then the trigger takes every reading).
    const n = p.toMs <= horizon ? await packWholeIfPlain(db, name) : await packBefore(db, name, p, horizon, o.sliceMs ?? 250, o.slicePoints ?? 64);
    if (n) { o.onPacked?.(name, n); out.push({ name, n }); }
  }
  // The new packs' times lie past the statistics' last bucket: PostgreSQL would then think a recent time range holds
  // almost no packs and read them by time (observation_pack_time) for one point's day, every pack of those hours.
  if (out.length) await db.exec('ANALYZE observation_pack');
  return out;
}

async function packWholeIfPlain(db: SqlDriver, name: string): Promise<number> {
  return (await db.query(`SELECT 1 FROM ${name} LIMIT 1`)).rows.length ? packPartition(db, name) : 0;
}

/**
 * The readings of partition `name` older than `beforeMs` into packs and out of the partition. First the dedup trigger
 * is set for readings older than the horizon (never lowered: older than every pack of the partition), so a reading
 * for a slice already packed is checked against its packs; then slices of points, each in its own transaction under
 * the partition lock (its inserts wait, as for packPartition), sized to take about `sliceMs`; then the partition is
 * vacuumed, so the next hours' rows reuse the room.
 */
async function packBefore(db: SqlDriver, name: string, p: { kind: string; fromMs: number; toMs: number }, beforeMs: number, sliceMs: number, firstWidth: number): Promise<number> {
  const bounds = await underLock(db, async (tx) => {
    if (!(await tableExists(tx, name)) || (await dedupTrigger(tx, name)) === 'all') return undefined;
    const r = (await tx.query<{ lo: number | null; hi: number | null; packed: Date | null; plain: boolean }>(`SELECT
        (SELECT min(point_id) FROM ${name}) AS lo, (SELECT max(point_id) FROM ${name}) AS hi,
        (SELECT max(hi) FROM observation_pack WHERE kind = $1 AND hi >= to_timestamp($2 / 1000.0) AND hi < to_timestamp($3 / 1000.0)) AS packed,
        EXISTS (SELECT 1 FROM ${name} WHERE time < to_timestamp($4 / 1000.0)) AS plain`, [p.kind, p.fromMs, p.toMs, beforeMs])).rows[0]!;
    if (!r.plain) return undefined;
    const horizon = Math.max(beforeMs, r.packed ? r.packed.getTime() + 1 : 0);
    await tx.query(`CREATE OR REPLACE TRIGGER observation_packed_dedup BEFORE INSERT ON ${name} FOR EACH ROW
      WHEN (NEW.time < '${new Date(horizon).toISOString()}'::timestamptz) EXECUTE FUNCTION observation_packed_dedup()`);
    return { lo: r.lo!, hi: r.hi! };
  });
  if (!bounds) return 0;
  let n = 0;
  let width = firstWidth;
  // `last` inclusive and at most the partition's highest point id: a bound past it could leave int4's range.
  for (let at = bounds.lo, last = at; at <= bounds.hi; at = last + 1) {
    const t0 = performance.now();
    last = Math.min(at + width - 1, bounds.hi);
    n += await underLock(db, async (tx) => {
      await tx.query(`LOCK TABLE ${name} IN SHARE ROW EXCLUSIVE MODE`);
      const r = await tx.query<{ n: number }>(`WITH d AS (
          DELETE FROM ${name} WHERE point_id >= $1 AND point_id <= $2 AND time < to_timestamp($3 / 1000.0) RETURNING *
        ), p AS (${PACK_ROWS('d')})
        SELECT coalesce(sum(n), 0)::int AS n FROM p`, [at, last, beforeMs]);
      return r.rows[0]!.n;
    });
    const ms = performance.now() - t0;
    width = Math.max(1, Math.min(width * 4, Math.round((width * sliceMs) / Math.max(ms, 1))));
  }
  await db.exec(`VACUUM (ANALYZE) ${name}`);
  return n;
}

/**
 * Pack every time partition whose whole range ended at least `afterMs` before `nowMs` and that holds rows (never
 * packed, or late data since). Returns what was packed.
 */
export async function packClosed(db: SqlDriver, opts: { nowMs: number; afterMs?: number; onPacked?: (name: string, n: number) => void }): Promise<Array<{ name: string; n: number }>> {
  const afterMs = opts.afterMs ?? DAY_MS;
  const out: Array<{ name: string; n: number }> = [];
  for (const name of await listPartitionNames(db)) {
    const p = parsePartitionName(name);
    if (!p || p.toMs > opts.nowMs - afterMs) continue;
    const n = await packWholeIfPlain(db, name);
    if (!n) continue;
    opts.onPacked?.(name, n);
    out.push({ name, n });
  }
  return out;
}

/**
 * SQL bounding the packs a read of `observation` may touch to those overlapping [lo, hi] (SQL expressions; either
 * may be undefined): true for every plain row (its span is -infinity … infinity), an index condition on the packs.
 * `alias` is the view's alias, if any.
 */
export function packBounds(lo: string | undefined, hi: string | undefined, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  const w: string[] = [];
  if (lo !== undefined) w.push(`${a}pack_hi >= ${lo}`);
  if (hi !== undefined) w.push(`${a}pack_lo <= ${hi}`);
  return w.length ? w.join(' AND ') : 'true';
}

/**
 * An instant as timestamptz text for packHorizon, or undefined outside years 1–9999 (or not a time): then no such
 * bound on the packs counted, which may then take in packs the read leaves out (the reader reads on past the bound).
 */
export function isoOf(ms: number | undefined): string | undefined {
  const d = ms === undefined ? undefined : new Date(ms);
  const y = d?.getUTCFullYear() ?? Number.NaN;
  return y >= 1 && y <= 9999 ? d!.toISOString() : undefined;
}

export interface HorizonQuery {
  pointIds?: number[];
  kind?: string;
  /** The range asked (timestamptz text, exact): from (inclusive), to (exclusive). */
  from?: string;
  to?: string;
  /** Rows at or before this instant are behind the reader already (a cursor's time, a previous window's bound). */
  past?: string;
  /** How many rows the reader wants. */
  need: number;
  /** Newest first (a bound from below) instead of oldest first (a bound from above). */
  desc?: boolean;
}

/**
 * Where the first `need` rows of `observation` in time order must end, read from the packs' own counts without
 * unpacking any: the packs of the points and kind asked, taken in time order until they hold `need` readings inside
 * the range. A pack wholly inside counts its `n`; one reaching out of the range on one side still holds a reading
 * inside, at its other end, and counts 1. So at least `need` rows lie before the returned instant (after it, for
 * `desc`): bounding the read by it changes none of its first `need` rows, and it reads only the packs up to there.
 * Undefined when the packs hold fewer: every pack in range is then less than `need` readings' worth. A reader that
 * also filters on what a row was stored with (its site, device, indicator) may find fewer rows than that inside the
 * bound: it reads on past the bound (queryObservations does). Timestamps are timestamptz text, exact.
 */
export async function packHorizon(db: Queryable, q: HorizonQuery): Promise<string | undefined> {
  const params: unknown[] = [];
  const bind = (v: unknown, cast: string) => { params.push(v); return `$${params.length}::${cast}`; };
  const w: string[] = [];
  if (q.pointIds) w.push(`point_id = ANY(${bind(q.pointIds, 'int[]')})`);
  if (q.kind !== undefined) w.push(`kind = ${bind(q.kind, 'text')}`);
  // Inside the range, as a time: lower(x) and upper(x) (`past` is behind the reader: below it, or above for desc).
  const from = q.from === undefined ? undefined : bind(q.from, 'timestamptz');
  const to = q.to === undefined ? undefined : bind(q.to, 'timestamptz');
  const past = q.past === undefined ? undefined : bind(q.past, 'timestamptz');
  const lower = (x: string) => [from && `${x} >= ${from}`, !q.desc && past && `${x} > ${past}`].filter(Boolean).join(' AND ') || 'true';
  const upper = (x: string) => [to && `${x} < ${to}`, q.desc && past && `${x} < ${past}`].filter(Boolean).join(' AND ') || 'true';
  // Some reading inside: the last one (hi) or the first (lo). Implied, and an index condition: the edge ordered by.
  w.push(`((${lower('hi')} AND ${upper('hi')}) OR (${lower('lo')} AND ${upper('lo')}))`, q.desc ? upper('lo') : lower('hi'));
  const need = bind(q.need, 'bigint');
  // Each pack counted holds at least one reading: `need` packs are always enough to look at.
  const [edge, order, pick] = q.desc ? ['lo', 'lo DESC', 'max'] : ['hi', 'hi', 'min'];
  const r = await db.query<{ u: string | null }>(`SELECT CASE WHEN max(c) >= ${need} THEN (${pick}(e) FILTER (WHERE c >= ${need}))::text END AS u
    FROM (SELECT e, sum(k) OVER (ORDER BY ${order.replace(edge, 'e')} ROWS UNBOUNDED PRECEDING) AS c
          FROM (SELECT ${edge} AS e, CASE WHEN ${lower('lo')} AND ${upper('hi')} THEN n ELSE 1 END AS k
                FROM observation_pack WHERE ${w.join(' AND ')} ORDER BY ${order} LIMIT ${need}) p) q`, params);
  return r.rows[0]?.u ?? undefined;
}

/**
 * SQL bounding the packs a read by ids may touch to those whose id range meets [lo, hi] (SQL expressions of bigint):
 * implied by `id = ANY(…)` for every row, an index condition on the packs (migration 013's GiST on the id range).
 */
export function packIdBounds(lo: string, hi: string, alias = ''): string {
  return `${alias ? `${alias}.` : ''}pack_ids && int8range(${lo}, ${hi}, '[]')`;
}

/**
 * A read of `observation` that orders and limits, as the first rows of each half of the view merged: the plain rows
 * (`observation_plain`, read in index order) and the packed ones (`observation_packed`, bounded by `where`), each
 * ordered and limited to `offset + limit`, then ordered and cut again. The same rows as the read of the whole view,
 * which PostgreSQL plans as a sort of every plain row in range (it does not merge a UNION ALL whose other half must
 * be sorted). `from(view)` is the FROM clause over one half, with the view as `alias`; `pick` what each half passes
 * on (default all of the view's columns); `where` and `order` name `alias`, which is also the merged rows' name.
 */
export function splitRead(o: { alias: string; select: string; pick?: string; from?: (view: string) => string; where: string; order: string; limit: string; offset?: string }): string {
  const k = o.offset ? `${o.limit}::bigint + ${o.offset}::bigint` : o.limit;
  const from = o.from ?? ((view: string) => `${view} ${o.alias}`);
  const half = (view: string) => `(SELECT ${o.pick ?? `${o.alias}.*`} FROM ${from(view)} WHERE ${o.where} ORDER BY ${o.order} LIMIT ${k})`;
  return `SELECT ${o.select} FROM (${half('observation_plain')} UNION ALL ${half('observation_packed')}) AS ${o.alias}
    ORDER BY ${o.order} LIMIT ${o.limit}${o.offset ? ` OFFSET ${o.offset}` : ''}`;
}
