// Derived rollups (migration 005), kept up to date by the roller from the outbox: minute ← raw rtd observations,
// hour ← minute rollups, day ← hour rollups; buckets on the hub zone's boundaries.
//
// A step folds its new readings into their buckets where it can prove they are not in them yet, and recomputes a
// bucket from what it summarises where it cannot. A bucket holds readings up to its last_time: when every new reading
// of a bucket is later than that, none of them is in it (a reading in the bucket is at most last_time), and adding
// them (count + n, least/greatest, the new last) gives what a recomputation would. In-order ingest, the usual case, is
// folded: only the new rows are read, and an hour is not re-read minute by minute. A late reading, a replay of
// entries already rolled (on purpose, or their rows were in a recomputation) or a bucket rolled before migration 014
// (no on_time, filled) are recomputed, as every bucket was before: so a late reading re-aggregates its bucket and a
// replay changes nothing. The same holds one level up: an hour folds the new readings of its folded minutes when
// they are all later than its own last_time; an hour with a recomputed minute that changed is recomputed from its
// minutes (HOURS), and likewise days.
import type { Queryable, SqlDriver } from './driver.ts';
import { readBackAll, takeOutbox } from './outbox-follow.ts';
import { byIdsWhere, type TimeSpan } from './time-span.ts';

export type RollupInterval = '1m' | '1h' | '1d';
export const INTERVALS: RollupInterval[] = ['1m', '1h', '1d'];

/**
 * A reading counts as flagged when its source did not call it normal (HJ 212 flag other than N: stopped,
 * maintenance, manual, fault, calibration, over limit, communication abnormal) or the hub found its value suspect
 * (out_of_range, future_time, uncertain, bad). Findings about form, not value (unit_converted,
 * finer_than_resolution, late, text_sanitised), do not flag it. docs/store.md states the same rule.
 */
export const SUSPECT_FLAGS = ['out_of_range', 'future_time', 'uncertain', 'bad'] as const;
const FLAGGED = `(o.source_flag <> 'N' OR o.flags && '{${SUSPECT_FLAGS.join(',')}}'::text[])`;
// Migration 014 (reports, docs/reports.md): readings received within the configured delay of their data time, and
// the buckets one level down holding data (an hour's minutes, a day's hours; 1 on a minute). A finer bucket rolled
// before 014 has no on_time: the coarser one then has none either (unknown, not 0).
const ON_TIME = `count(*) FILTER (WHERE o.received_at <= o.time + (SELECT make_interval(secs => timely_within_s) FROM report_setting))`;
const ON_TIME_UP = 'CASE WHEN count(r.on_time) = count(*) THEN sum(r.on_time) END';

const COLS = `point_id, interval, bucket, device_id, site_id, indicator, unit, count, sum, min, max,
  first_time, first_value, last_time, last_value, flagged, on_time, filled`;
// A bucket whose recomputation equals what is stored is not rewritten and not returned, so the buckets above it are
// not recomputed either: a replay, or a duplicate-only batch, costs reads only.
const UPSERT = `ON CONFLICT (point_id, interval, bucket) DO UPDATE SET device_id = excluded.device_id,
  site_id = excluded.site_id, indicator = excluded.indicator, unit = excluded.unit, count = excluded.count,
  sum = excluded.sum, min = excluded.min, max = excluded.max, first_time = excluded.first_time,
  first_value = excluded.first_value, last_time = excluded.last_time, last_value = excluded.last_value,
  flagged = excluded.flagged, on_time = excluded.on_time, filled = excluded.filled
  WHERE (rollup.count, rollup.sum, rollup.min, rollup.max, rollup.first_time, rollup.first_value, rollup.last_time,
         rollup.last_value, rollup.flagged, rollup.device_id, rollup.site_id, rollup.indicator, rollup.unit, rollup.on_time, rollup.filled)
    IS DISTINCT FROM (excluded.count, excluded.sum, excluded.min, excluded.max, excluded.first_time, excluded.first_value,
         excluded.last_time, excluded.last_value, excluded.flagged, excluded.device_id, excluded.site_id, excluded.indicator, excluded.unit,
         excluded.on_time, excluded.filled)`;

// Folding: the sums of a step's new readings per bucket (point_id, b, n, s, mn, mx, ft, fv, lt, lv, fl, ot, device_id,
// site_id, indicator, unit; one level up also `fresh`, the finer buckets the fold created).
/** The folded buckets of `source` (columns as above, `created`: the bucket is new) summed up into `unit` buckets. */
const deltasOf = (source: string, unit: 'hour' | 'day') => `SELECT point_id, date_trunc('${unit}', b, $2) AS b, sum(n)::int AS n, sum(s) AS s,
  min(mn) AS mn, max(mx) AS mx, min(ft) AS ft, (array_agg(fv ORDER BY ft))[1] AS fv, max(lt) AS lt, (array_agg(lv ORDER BY lt DESC))[1] AS lv,
  sum(fl)::int AS fl, sum(ot)::int AS ot, count(*) FILTER (WHERE created)::int AS fresh, max(device_id) AS device_id, max(site_id) AS site_id,
  max(indicator) AS indicator, max(unit) AS unit
  FROM ${source} GROUP BY 1, 2`;
// The stored bucket a delta would fold into, probed by the rollup key one delta at a time (LATERAL … OFFSET 0: never
// a join over the whole table, see HOURS). A delta folds when the bucket is new, or when all its readings are later
// than the bucket's last and the bucket knows on_time and filled (rolled since migration 014).
const FOLDABLE = (x: string, iv: RollupInterval) => `SELECT ${x}.*, r.last_time IS NULL AS created,
    (r.last_time IS NULL OR (${x}.ft > r.last_time AND r.on_time IS NOT NULL AND r.filled IS NOT NULL)) AS fold
  FROM ${x} LEFT JOIN LATERAL (SELECT r.last_time, r.on_time, r.filled FROM rollup r
    WHERE r.point_id = ${x}.point_id AND r.interval = '${iv}' AND r.bucket = ${x}.b OFFSET 0) r ON true`;
// A folded delta written: new, or added to the stored bucket. Its first reading is after the bucket's last, so the
// bucket's first stays and its last is the delta's. A minute's `filled` stays 1; an hour's or a day's grows by the
// finer buckets the fold created.
const FOLD = (iv: RollupInterval, source: string) => `INSERT INTO rollup (${COLS})
  SELECT point_id, '${iv}', b, device_id, site_id, indicator, unit, n, s, mn, mx, ft, fv, lt, lv, fl, ot, ${iv === '1m' ? '1' : 'fresh'} FROM ${source} WHERE fold
  ON CONFLICT (point_id, interval, bucket) DO UPDATE SET device_id = greatest(rollup.device_id, excluded.device_id),
    site_id = greatest(rollup.site_id, excluded.site_id), indicator = greatest(rollup.indicator, excluded.indicator),
    unit = greatest(rollup.unit, excluded.unit), count = rollup.count + excluded.count, sum = rollup.sum + excluded.sum,
    min = least(rollup.min, excluded.min), max = greatest(rollup.max, excluded.max), last_time = excluded.last_time,
    last_value = excluded.last_value, flagged = rollup.flagged + excluded.flagged, on_time = rollup.on_time + excluded.on_time,
    filled = ${iv === '1m' ? '1' : 'rollup.filled + excluded.filled'}`;

// The minute of an instant in the hub's zone ($2). Since 1972 every zone's offset from UTC is a whole number of minutes
// (the last that was not, Liberia's, ended in January 1972), so a zone's minute is UTC's: date_bin, arithmetic on the
// instant, instead of date_trunc's conversion to local time and back for every reading (a tenth of a step's time).
const MINUTE_OF = (t: string) => `CASE WHEN ${t} >= timestamptz '1973-01-01 00:00Z' THEN date_bin('1 minute', ${t}, timestamptz '2000-01-01 00:00Z')
  ELSE date_trunc('minute', ${t}, $2) END`;
const FLAGGED_TAG = `(g.source_flag <> 'N' OR g.flags && '{${SUSPECT_FLAGS.join(',')}}'::text[])`;
// $1 observation ids, $2 zone, $3 minute sums made from held rows (JSON, hub/rollups/deltas.ts; '[]': none), then
// byIdsWhere's. The step's rtd readings with a value, summed per (point, minute) (those read and those held, together):
// folded where they can be (FOLDABLE), and the other minutes recomputed from every reading in them, the plain rows
// through the identity index and packed ones (migration 013) only for minutes a pack may cover (none for new data);
// per minute, its readings summed per tag first, so each tag is looked up once. `fv` and `lv` are the first and last
// element of one array_agg (PostgreSQL computes an aggregate written twice once: one ordering of the rows, not two).
// Then the hours and days, in the same statement: folded from the sums of the folded minutes (hours) and hours (days)
// where they can be. Returns the number of minute buckets written and the hours and days left to recompute (HOURS,
// DAYS): those of minutes recomputed with a change, and those that could not fold.
export const MINUTES = `
WITH d0 AS (
  SELECT o.point_id, ${MINUTE_OF('o.time')} AS b, count(*)::int AS n, sum(o.value) AS s, min(o.value) AS mn, max(o.value) AS mx,
         min(o.time) AS ft, (array_agg(o.value ORDER BY o.time))[1] AS fv, max(o.time) AS lt, (array_agg(o.value ORDER BY o.time))[count(*)] AS lv,
         count(*) FILTER (WHERE ${FLAGGED})::int AS fl, ${ON_TIME}::int AS ot,
         max(o.device_id) AS device_id, max(o.site_id) AS site_id, max(o.indicator) AS indicator, max(o.unit) AS unit
  FROM observation o WHERE BY_IDS AND o.kind = 'rtd' AND o.value IS NOT NULL
  GROUP BY 1, 2
  UNION ALL
  SELECT h.* FROM json_to_recordset($3::json) AS h(point_id int, b timestamptz, n int, s float8, mn float8, mx float8, ft timestamptz,
    fv float8, lt timestamptz, lv float8, fl int, ot int, device_id int, site_id int, indicator text, unit text)
), d AS (
  SELECT point_id, b, sum(n)::int AS n, sum(s) AS s, min(mn) AS mn, max(mx) AS mx, min(ft) AS ft, (array_agg(fv ORDER BY ft))[1] AS fv,
         max(lt) AS lt, (array_agg(lv ORDER BY lt DESC))[1] AS lv, sum(fl)::int AS fl, sum(ot)::int AS ot,
         max(device_id) AS device_id, max(site_id) AS site_id, max(indicator) AS indicator, max(unit) AS unit
  FROM d0 GROUP BY 1, 2
), c AS (${FOLDABLE('d', '1m')}
), folded AS (${FOLD('1m', 'c')}
), recomputed AS (
  INSERT INTO rollup (${COLS})
  SELECT c.point_id, '1m', c.b, a.device_id, a.site_id, a.indicator, a.unit, a.count, a.sum, a.min, a.max,
         a.first_time, a.first_value, a.last_time, a.last_value, a.flagged, a.on_time, 1
  FROM c CROSS JOIN LATERAL (
    SELECT max(g.device_id) AS device_id, max(g.site_id) AS site_id, max(g.indicator) AS indicator, max(g.unit) AS unit,
           sum(x.n) AS count, sum(x.s) AS sum, min(x.mn) AS min, max(x.mx) AS max, min(x.ft) AS first_time,
           (array_agg(x.fv ORDER BY x.ft))[1] AS first_value, max(x.lt) AS last_time, (array_agg(x.lv ORDER BY x.lt DESC))[1] AS last_value,
           coalesce(sum(x.n) FILTER (WHERE ${FLAGGED_TAG}), 0) AS flagged, sum(x.ot) AS on_time
    FROM (
      SELECT o.tag, count(*) AS n, sum(o.value) AS s, min(o.value) AS mn, max(o.value) AS mx, min(o.time) AS ft,
             (array_agg(o.value ORDER BY o.time))[1] AS fv, max(o.time) AS lt, (array_agg(o.value ORDER BY o.time DESC))[1] AS lv, ${ON_TIME} AS ot
      FROM (
        SELECT od.tag, od.time, od.value, od.received_at FROM observation_data od
        WHERE od.point_id = c.point_id AND od.kind = 'rtd' AND od.value IS NOT NULL AND od.time >= c.b AND od.time < c.b + interval '1 minute'
        UNION ALL
        SELECT u.tag, u.time, u.value, u.received_at
        FROM observation_pack pk CROSS JOIN LATERAL unnest(pk.times, pk.received, pk.vals, pk.tags) AS u(time, received_at, value, tag)
        WHERE c.b <= (SELECT max(hi) FROM observation_pack WHERE kind = 'rtd')
          AND pk.point_id = c.point_id AND pk.kind = 'rtd' AND pk.hi >= c.b AND pk.lo < c.b + interval '1 minute'
          AND u.value IS NOT NULL AND u.time >= c.b AND u.time < c.b + interval '1 minute'
      ) o GROUP BY o.tag
    ) x LEFT JOIN observation_tag g ON g.id = x.tag
  ) a
  WHERE NOT c.fold AND a.count > 0
  ${UPSERT}
  RETURNING point_id, bucket
),
-- Hours: those of recomputed minutes that changed are recomputed (HOURS, after this statement); the others fold the
-- sums of their folded minutes, or are recomputed when they cannot. Days likewise from the hours.
redo_h AS (SELECT DISTINCT point_id, date_trunc('hour', bucket, $2) AS b FROM recomputed
), hx AS (SELECT * FROM (${deltasOf('c WHERE fold', 'hour')}) x WHERE (point_id, b) NOT IN (SELECT point_id, b FROM redo_h)
), hc AS (${FOLDABLE('hx', '1h')}
), hfolded AS (${FOLD('1h', 'hc')}
), redo_d AS (SELECT DISTINCT point_id, date_trunc('day', b, $2) AS b FROM (SELECT point_id, b FROM redo_h UNION ALL SELECT point_id, b FROM hc WHERE NOT fold) h
), dx AS (SELECT * FROM (${deltasOf('hc WHERE fold', 'day')}) x WHERE (point_id, b) NOT IN (SELECT point_id, b FROM redo_d)
), dc AS (${FOLDABLE('dx', '1d')}
), dfolded AS (${FOLD('1d', 'dc')})
SELECT ((SELECT count(*) FROM c WHERE fold) + (SELECT count(*) FROM recomputed))::int AS minutes,
  h.points AS hour_points, h.buckets AS hours, d.points AS day_points, d.buckets AS days
FROM (SELECT coalesce(array_agg(point_id ORDER BY point_id, b), '{}') AS points, coalesce(array_agg(b ORDER BY point_id, b), '{}') AS buckets
      FROM (SELECT point_id, b FROM redo_h UNION SELECT point_id, b FROM hc WHERE NOT fold) x) h,
     (SELECT coalesce(array_agg(point_id ORDER BY point_id, b), '{}') AS points, coalesce(array_agg(b ORDER BY point_id, b), '{}') AS buckets
      FROM (SELECT point_id, b FROM redo_d UNION SELECT point_id, b FROM dc WHERE NOT fold) x) d`;

// Rolls the `from` buckets named by ($1 point ids, $2 bucket instants) up into `to` buckets. A zone's hour is at most
// 2 h long and its day at most 26 h (DST), so the range bounds the index scan; date_trunc picks the bucket exactly.
// The range is written as bounds on the whole key (point_id, interval, bucket), which only the primary key can scan
// as a range: with plain bounds on bucket, a table never analysed (a new store; PGlite, which has no autovacuum;
// any table after TRUNCATE) got a scan of rollup_bucket (interval, bucket, point_id) for each touched bucket, which
// reads every point's finer buckets of the range (2 h for an hour, 26 h for a day) and keeps one point's: 0.26 ms a
// probe at 1,000 points against the key's 0.004 ms (an hour statement of 1,000 buckets: 277 ms, not 26), growing
// with the number of points.
const rollUp = (from: RollupInterval, to: RollupInterval, unit: 'hour' | 'day', span: string) => `
WITH t AS (
  SELECT DISTINCT u.p AS point_id, date_trunc('${unit}', u.b, $3) AS b FROM unnest($1::int[], $2::timestamptz[]) AS u(p, b)
), agg AS (
  INSERT INTO rollup (${COLS})
  SELECT t.point_id, '${to}', t.b, max(r.device_id), max(r.site_id), max(r.indicator), max(r.unit), sum(r.count), sum(r.sum),
         min(r.min), max(r.max), min(r.first_time), (array_agg(r.first_value ORDER BY r.first_time))[1],
         max(r.last_time), (array_agg(r.last_value ORDER BY r.last_time DESC))[1], sum(r.flagged), ${ON_TIME_UP}, count(*)
  FROM t CROSS JOIN LATERAL (
    SELECT * FROM rollup r WHERE r.point_id = t.point_id AND r.interval = '${from}'
     AND (r.point_id, r.interval, r.bucket) >= (t.point_id, '${from}', t.b)
     AND (r.point_id, r.interval, r.bucket) < (t.point_id, '${from}', t.b + interval '${span}')
     AND date_trunc('${unit}', r.bucket, $3) = t.b OFFSET 0) r
  GROUP BY t.point_id, t.b
  ${UPSERT}
  RETURNING point_id, bucket
)
SELECT point_id, bucket FROM agg`;
export const HOURS = rollUp('1m', '1h', 'hour', '2 hours');
export const DAYS = rollUp('1h', '1d', 'day', '26 hours');

// $1, $2 a time range (epoch ms, on minute boundaries), $3 zone: every minute bucket of it, from its raw rtd rows.
export const MINUTES_OF_RANGE = `
WITH agg AS (
  INSERT INTO rollup (${COLS})
  SELECT o.point_id, '1m', date_trunc('minute', o.time, $3), max(o.device_id), max(o.site_id), max(o.indicator), max(o.unit),
         count(*), sum(o.value), min(o.value), max(o.value), min(o.time), (array_agg(o.value ORDER BY o.time))[1],
         max(o.time), (array_agg(o.value ORDER BY o.time DESC))[1], count(*) FILTER (WHERE ${FLAGGED}), ${ON_TIME}, 1
  FROM observation o
  WHERE o.kind = 'rtd' AND o.value IS NOT NULL AND o.time >= to_timestamp($1 / 1000.0) AND o.time < to_timestamp($2 / 1000.0)
    AND o.pack_hi >= to_timestamp($1 / 1000.0) AND o.pack_lo < to_timestamp($2 / 1000.0)
  GROUP BY o.point_id, date_trunc('minute', o.time, $3)
  ${UPSERT}
  RETURNING point_id
)
SELECT count(*)::int AS n, coalesce(array_agg(DISTINCT point_id), '{}') AS points FROM agg`;

interface Step { minutes: number; hour_points: number[]; hours: Date[]; day_points: number[]; days: Date[] }

/**
 * Bring the minute, hour and day buckets the given observations fall in up to date: folded in where they provably are
 * not in them yet, else recomputed (see the top of this file), so a replay changes nothing. Run inside the caller's
 * transaction. `heldSums`: the minute sums of more observations, made from rows the caller holds (hub/rollups/deltas.ts).
 * Returns the minute buckets written.
 */
export async function recomputeFor(tx: Queryable, observationIds: string[], zone: string, span?: TimeSpan, heldSums = '[]'): Promise<number> {
  if (!observationIds.length && heldSums === '[]') return 0;
  const params: unknown[] = [observationIds, zone, heldSums];
  // One statement folds minutes, hours and days; what could not fold is recomputed after it, hours before days.
  const r = (await tx.query<Step>(MINUTES.replace('BY_IDS', byIdsWhere('$1', span, params)), params)).rows[0]!;
  if (r.hours.length) await tx.query(HOURS, [r.hour_points, r.hours, zone]);
  if (r.days.length) await tx.query(DAYS, [r.day_points, r.days, zone]);
  return r.minutes;
}

// Rebuilding a time range set-based: each stage one INSERT … SELECT … GROUP BY over the whole range (no bucket
// lists through the client). $1, $2 the range (epoch ms, on minute boundaries), $3 zone. Hours (days) are the
// buckets starting in [the one holding $1, the one holding the range's last instant]: every minute (hour) of each is
// read, also those outside the range, so a bucket the range cuts is right too (the next range recomputes it again).
// Only the points whose minutes the range changed ($4, from the minute stage), their minutes (hours) read point by
// point through the primary key, one range probe each: no sort of the range, and no need of rollup_bucket, which a
// bulk load may build afterwards. A point whose minutes did not change keeps hours and days that were right.
const RANGE_LO = (unit: string) => `date_trunc('${unit}', to_timestamp($1 / 1000.0), $3)`;
const RANGE_HI = (unit: string) => `date_trunc('${unit}', to_timestamp($2 / 1000.0) - interval '1 millisecond', $3)`;
const rollUpRange = (from: RollupInterval, to: RollupInterval, unit: 'hour' | 'day', span: string) => `
WITH agg AS (
  INSERT INTO rollup (${COLS})
  SELECT r.point_id, '${to}', date_trunc('${unit}', r.bucket, $3), max(r.device_id), max(r.site_id), max(r.indicator), max(r.unit),
         sum(r.count), sum(r.sum), min(r.min), max(r.max), min(r.first_time), (array_agg(r.first_value ORDER BY r.first_time))[1],
         max(r.last_time), (array_agg(r.last_value ORDER BY r.last_time DESC))[1], sum(r.flagged), ${ON_TIME_UP}, count(*)
  FROM unnest($4::int[]) AS p(id) JOIN rollup r ON r.point_id = p.id AND r.interval = '${from}'
   AND r.bucket >= ${RANGE_LO(unit)} AND r.bucket < ${RANGE_HI(unit)} + interval '${span}'
  WHERE date_trunc('${unit}', r.bucket, $3) <= ${RANGE_HI(unit)}
  GROUP BY r.point_id, date_trunc('${unit}', r.bucket, $3)
  ${UPSERT}
  RETURNING 1
)
SELECT count(*)::int AS n FROM agg`;
export const HOURS_OF_RANGE = rollUpRange('1m', '1h', 'hour', '2 hours');
export const DAYS_OF_RANGE = rollUpRange('1h', '1d', 'day', '26 hours');

/**
 * Recompute every rollup of a time range from the raw rows, one UTC day per transaction (minutes, then hours, then
 * days, each one set-based statement): after observations were loaded by SQL (they have no outbox entries for the
 * roller to follow), or to re-roll after a timezone change. Idempotent, like the roller. Returns the minute buckets
 * written (0 when everything was already right).
 */
export async function rebuildRollups(db: SqlDriver, zone: string, fromMs: number, toMs: number, progress?: (doneToMs: number, minutes: number) => void): Promise<number> {
  const DAY = 86_400_000;
  let minutes = 0;
  for (let a = Math.floor(fromMs / 60_000) * 60_000; a < toMs; ) {
    const b = Math.min(Math.floor(a / DAY) * DAY + DAY, Math.ceil(toMs / 60_000) * 60_000);
    minutes += await db.transaction(async (tx) => {
      // The roller's cursor held meanwhile: a step must not fold readings into a bucket this rebuild is recomputing
      // with them (it would count them twice); it waits, or skips while this runs (SKIP LOCKED).
      await tx.query(`SELECT 1 FROM rollup_cursor WHERE name = 'rollup' FOR UPDATE`);
      // A day of a city is a few million rows to group: sorted in memory, not in temporary files (this transaction only).
      await tx.query("SET LOCAL work_mem = '64MB'");
      const m = (await tx.query<{ n: number; points: number[] }>(MINUTES_OF_RANGE, [a, b, zone])).rows[0]!;
      if (!m.n) return 0;
      await tx.query(HOURS_OF_RANGE, [a, b, zone, m.points]);
      await tx.query(DAYS_OF_RANGE, [a, b, zone, m.points]);
      return m.n;
    });
    progress?.(b, minutes);
    a = b;
  }
  return minutes;
}

/** The roller's cursor row, at the outbox's start when new (entries still in the outbox get rolled up). */
export async function ensureCursor(db: Queryable, name = 'rollup'): Promise<void> {
  await db.query('INSERT INTO rollup_cursor (name, outbox_id) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING', [name]);
}

export interface RollStep {
  entries: number; observations: number; minutes: number; /** the cursor reached safeMax */ caughtUp: boolean;
  /** another process holds the cursor (it is rolling up): nothing done here */ busy?: boolean;
}

/**
 * Batches the caller committed and still holds, by outbox entry (the roller's, hub/rollups/roller.ts): a step sums
 * their minutes from memory instead of reading their rows back.
 */
export interface HeldRows {
  has(entry: string): boolean;
  /** The minute sums of these entries' rows (hub/rollups/deltas.ts), or undefined: read them back. */
  sums(entries: string[], timelyS: number | null): { json: string; observations: number } | undefined;
  /** Done with these entries, and with every entry up to `cursor`. */
  forget(entries: string[], cursor: bigint): void;
}

/** Observations a roller step takes at most (about: whole outbox entries) that it reads back from the store. */
export const STEP_CAP = 50_000;
/**
 * Observations a roller step takes at most in all, when the rest are batches this process committed and holds (their
 * minute sums made in memory: the store folds in one row per point and minute, not a row per reading). A step's store
 * work grows with the buckets it touches (each point's minute, hour and day) more than with the readings in them, so
 * fewer, larger steps cost less per reading: `npm run bench -- ingest --store postgres --count 1000000` (1,000 points,
 * 72,000 obs/s) held 61,500 obs/s with 50,000 a step, 72,000 with 200,000 (docs/store.md, "Pace"). The roller uses it
 * on PostgreSQL only: on PGlite a step's transaction holds the whole engine.
 */
export const HELD_STEP_CAP = 200_000;

/**
 * One step of the roller: the outbox entries after the cursor (up to safeMax, at most about `cap` observations) →
 * their buckets brought up to date, and the cursor moved past them, in ONE transaction (a crash loses or doubles
 * nothing). Entries in `held` are summed from memory, and count against `heldCap` only.
 */
export async function rollStep(db: SqlDriver, safeMax: string, zone: string, cap = STEP_CAP, name = 'rollup', held?: HeldRows, heldCap = HELD_STEP_CAP): Promise<RollStep> {
  let done: { entries: string[]; next: string } | undefined;
  const r = await db.transaction(async (tx) => {
    // SKIP LOCKED: with several hub processes, one rolls up while the others sleep, instead of each queueing on the
    // cursor row with a pooled connection held and then recomputing a sliver of buckets.
    const cur = (await tx.query<{ c: string; timely: number | null }>(`SELECT outbox_id::text AS c, (SELECT timely_within_s FROM report_setting LIMIT 1) AS timely
      FROM rollup_cursor WHERE name = $1 FOR UPDATE SKIP LOCKED`, [name])).rows[0];
    if (!cur) {
      // Another process is rolling up: what this one holds up to where that one got is not needed any more.
      const other = (await tx.query<{ c: string }>('SELECT outbox_id::text AS c FROM rollup_cursor WHERE name = $1', [name])).rows[0];
      if (other) done = { entries: [], next: other.c };
      return { entries: 0, observations: 0, minutes: 0, caughtUp: !other, busy: !!other };
    }
    if (BigInt(cur.c) >= BigInt(safeMax)) return { entries: 0, observations: 0, minutes: 0, caughtUp: true };
    let take = await takeOutbox(tx, cur.c, safeMax, cap, held && ((entry) => held.has(entry)), heldCap);
    const sums = take.held.length ? held!.sums(take.held.map((h) => h.entry), cur.timely) : undefined;
    // Not summed here after all (too few readings per point and minute): read back like the others, `cap` at most.
    if (take.held.length && !sums) take = readBackAll(take, cap);
    const { ids } = take;
    const minutes = await recomputeFor(tx, ids, zone, take.span, sums?.json);
    await tx.query('UPDATE rollup_cursor SET outbox_id = $2::bigint, updated_at = now() WHERE name = $1', [name, take.next]);
    done = { entries: take.held.map((h) => h.entry), next: take.next };
    return { entries: take.entries, observations: ids.length + (sums?.observations ?? 0), minutes, caughtUp: take.all };
  });
  if (done && held) held.forget(done.entries, BigInt(done.next));
  return r;
}

/** Seconds since the oldest outbox entry the roller has not read was committed (0 when it is caught up). */
export async function rollupLag(db: Queryable, name = 'rollup'): Promise<{ cursor: string; lag_seconds: number }> {
  const r = (await db.query<{ c: string; lag: number | null }>(`SELECT c.outbox_id::text AS c,
      (SELECT extract(epoch FROM now() - o.created_at)::float8 FROM outbox o WHERE o.id > c.outbox_id ORDER BY o.id LIMIT 1) AS lag
    FROM rollup_cursor c WHERE c.name = $1`, [name])).rows[0];
  // 0 means caught up: an entry still unread reports at least 0.1 s, however fresh (a test or a probe waiting for 0
  // must not stop while a batch committed a moment ago is still to be rolled).
  return { cursor: r?.c ?? '0', lag_seconds: r && r.lag !== null ? Math.max(0.1, Math.round(r.lag * 10) / 10) : 0 };
}

export interface AggregateFilter {
  interval: RollupInterval;
  pointIds?: number[];
  deviceIds?: number[];
  siteIds?: number[];
  indicators?: string[];
  fromMs?: number;
  toMs?: number;
  /** exclusive lower bound (bucket, point id) for cursor pagination */
  after?: { timeMs: number; id: string };
  limit: number;
}

export interface RollupRow {
  point_id: number; device_id: number; site_id: number; indicator: string; unit: string; interval: RollupInterval; bucket: Date;
  count: number; sum: number; min: number; max: number; first_time: Date; first_value: number; last_time: Date; last_value: number; flagged: number;
}

/** A page of rollups of one interval in (bucket, point) order; from/to select bucket starts. */
export async function queryAggregates(db: Queryable, f: AggregateFilter): Promise<RollupRow[]> {
  const params: unknown[] = [f.interval];
  const w = ['interval = $1'];
  const add = (sql: (n: string) => string, v: unknown) => { params.push(v); w.push(sql(`$${params.length}`)); };
  if (f.pointIds) add((n) => `point_id = ANY(${n}::int[])`, f.pointIds);
  if (f.deviceIds) add((n) => `device_id = ANY(${n}::int[])`, f.deviceIds);
  if (f.siteIds) add((n) => `site_id = ANY(${n}::int[])`, f.siteIds);
  if (f.indicators) add((n) => `indicator = ANY(${n}::text[])`, f.indicators);
  if (f.fromMs !== undefined) add((n) => `bucket >= to_timestamp(${n} / 1000.0)`, f.fromMs);
  if (f.toMs !== undefined) add((n) => `bucket < to_timestamp(${n} / 1000.0)`, f.toMs);
  if (f.after) {
    params.push(f.after.timeMs, Number(f.after.id));
    w.push(`(bucket, point_id) > (to_timestamp($${params.length - 1} / 1000.0), $${params.length}::int)`);
  }
  params.push(f.limit);
  return (await db.query<RollupRow>(`SELECT point_id, device_id, site_id, indicator, unit, interval, bucket, count, sum, min, max,
      first_time, first_value, last_time, last_value, flagged
    FROM rollup WHERE ${w.join(' AND ')} ORDER BY bucket, point_id LIMIT $${params.length}`, params)).rows;
}
