// The reference for bench/store-scale: the store as release 0.1 laid it out (one `observation` table, migrations
// 001–003), with the statements that release ran against it. Frozen on purpose: the bench prints every figure of the
// current layout beside this one, built the same way in the same run, so the comparison must not move with the code.
import type { Queryable, SqlDriver } from '../../hub/store/driver.ts';
import { migrate } from '../../hub/store/migrate.ts';
import { identityKey, type ObservationRow } from '../../hub/store/rows.ts';

/** The last migration of the single-table layout. */
export const TODAY_LAST_MIGRATION = '003_text_sanitised.sql';

export async function migrateToday(db: SqlDriver): Promise<void> {
  await migrate(db, { until: TODAY_LAST_MIGRATION });
}

// Release 0.1's INSERT_BATCH: the rows and the batch's outbox entry in one statement. Its column list is the one of
// INSERT_OBSERVATIONS as 0.1 had it; the guard below stops the bench when that statement changes shape.
const INSERT_TODAY = `
WITH ins AS (
  INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
                           source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit)
  SELECT u.p, u.d, u.s, u.i, u.k, to_timestamp(u.t / 1000.0), u.v, u.a, u.mn, u.mx, u.c, u.un, u.sf,
         CASE WHEN u.f = '' THEN '{}'::text[] ELSE string_to_array(u.f, ',') END,
         CASE WHEN u.w = '' THEN '{}'::text[] ELSE string_to_array(u.w, ',') END,
         $19, u.m, to_timestamp($20 / 1000.0), u.rv, u.ru
  FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[],
              $9::float8[], $10::float8[], $11::float8[], $12::text[], $13::text[], $14::text[], $15::text[],
              $16::text[], $17::float8[], $18::text[])
       AS u(p, d, s, i, k, t, v, a, mn, mx, c, un, sf, f, w, m, rv, ru)
  ON CONFLICT (point_id, kind, time) DO NOTHING
  RETURNING id, point_id, kind, time
), ob AS (
  INSERT INTO outbox (topic, ref_ids, count)
  SELECT 'observation', array_agg(id ORDER BY id), count(*) FROM ins HAVING count(*) > 0
)
SELECT id::text AS id, point_id, kind, (extract(epoch FROM time) * 1000)::float8 AS t FROM ins`;

// Release 0.1's parameter encoder for INSERT_TODAY, frozen with it.
const numArray = (a: unknown[]) => '{' + a.map((v) => (v === null || v === undefined ? 'NULL' : String(v))).join(',') + '}';
const textArray = (a: unknown[]) => '{' + a.map((v) => (v === null || v === undefined ? 'NULL'
  : '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"')).join(',') + '}';
const TEXT_COLS = new Set([3, 4, 11, 12, 13, 14, 15, 17]);

function todayParams(rows: ObservationRow[], adapter: string, receivedAtMs: number): unknown[] {
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  for (const r of rows) {
    const v = [r.pointId, r.deviceId, r.siteId, r.indicator, r.kind, r.timeMs, r.value, r.avg, r.min, r.max, r.cou, r.unit,
      r.sourceFlag, r.flags.join(','), r.warnings.join(','), r.messageId, r.rawValue, r.rawUnit];
    v.forEach((x, j) => cols[j]!.push(x));
  }
  return [...cols.map((c, j) => (TEXT_COLS.has(j) ? textArray(c) : numArray(c))), adapter, receivedAtMs];
}

/**
 * Release 0.1's commit of one batch (observations + outbox), as its store layer ran it: the store a 0.1 hub leaves
 * behind (upgrade tests) and the reference of bench/store-scale. Returns the new ids by identity key, as commitBatch.
 */
export async function commitToday(db: SqlDriver, rows: ObservationRow[], adapter: string, receivedAtMs: number): Promise<Map<string, string>> {
  const params = todayParams(rows, adapter, receivedAtMs);
  const r = await db.transaction((tx) => tx.query<{ id: string; point_id: number; kind: string; t: number }>(INSERT_TODAY, params));
  return new Map(r.rows.map((x) => [identityKey(x.point_id, x.kind, x.t), x.id]));
}

/** One day of generated history in 0.1's table: $1 from, $2 to (ms), $3 minutes apart; `value` is SQL over p.id and t. */
export const historySqlToday = (value: string) => `
INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, source_flag, adapter, received_at)
SELECT p.id, p.device_id, d.site_id, p.indicator, 'rtd', t, ${value}, 'MPa', 'N', 'bench', t
FROM point p JOIN device d ON d.id = p.device_id,
     generate_series(to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0) - interval '1 millisecond', make_interval(mins => $3)) AS t`;

/** Release 0.1's latest values: DISTINCT ON over the whole table. */
export async function latestToday(db: Queryable, f: { siteIds?: number[]; indicators?: string[] }): Promise<number> {
  const w = ["kind = 'rtd'"];
  const params: unknown[] = [];
  if (f.siteIds) { params.push(f.siteIds); w.push(`site_id = ANY($${params.length}::int[])`); }
  if (f.indicators) { params.push(f.indicators); w.push(`indicator = ANY($${params.length}::text[])`); }
  const r = await db.query(`SELECT DISTINCT ON (point_id) id::text AS id, point_id, time, value FROM observation
    WHERE ${w.join(' AND ')} ORDER BY point_id, time DESC, observation.id DESC`, params);
  return r.rows.length;
}

/** Release 0.1's read of one point's rows over a time range (its queryObservations, all 21 columns). */
export async function pointRangeToday(db: Queryable, pointId: number, fromMs: number, toMs: number): Promise<number> {
  const r = await db.query(`SELECT id::text AS id, point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
      source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit
    FROM observation WHERE point_id = ANY($1::int[]) AND kind = 'rtd' AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)
    ORDER BY time, observation.id LIMIT 10000`, [[pointId], fromMs, toMs]);
  return r.rows.length;
}

/** Hourly aggregates of one point computed from raw rows (0.1 had no rollups). */
export async function hourlyToday(db: Queryable, pointId: number, fromMs: number, toMs: number, timezone: string): Promise<number> {
  const r = await db.query(`SELECT date_trunc('hour', time, $4) AS bucket, avg(value), min(value), max(value), count(*)
    FROM observation WHERE point_id = $1 AND kind = 'rtd' AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)
    GROUP BY 1 ORDER BY 1`, [pointId, fromMs, toMs, timezone]);
  return r.rows.length;
}

/** Release 0.1's only way to expire a day: DELETE. */
export async function dropDayToday(db: Queryable, dayStartMs: number): Promise<number> {
  const r = await db.query(`DELETE FROM observation WHERE kind = 'rtd' AND time >= to_timestamp($1 / 1000.0) AND time < to_timestamp($2 / 1000.0)`,
    [dayStartMs, dayStartMs + 86_400_000]);
  return (r as { rowCount?: number }).rowCount ?? 0;
}
