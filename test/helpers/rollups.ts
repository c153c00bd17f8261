// Rollups recomputed straight from the raw observations with one GROUP BY, to compare with what the roller kept.
import type { Queryable } from '../../hub/store/driver.ts';
import { SUSPECT_FLAGS, type RollupInterval } from '../../hub/store/rollups.ts';

const UNIT: Record<RollupInterval, string> = { '1m': 'minute', '1h': 'hour', '1d': 'day' };
/** The buckets one level down (migration 014's `filled`): a minute counts itself. */
const FINER: Record<RollupInterval, string | undefined> = { '1m': undefined, '1h': 'minute', '1d': 'hour' };
const r9 = (x: number) => Math.round(x * 1e9) / 1e9;

export interface Bucket { point_id: number; bucket: string; count: number; sum: number; min: number; max: number; first_time: string; first_value: number; last_time: string; last_value: number; flagged: number; on_time: number | null; filled: number | null }

const norm = (rows: Array<Record<string, unknown>>): Bucket[] => rows.map((r) => ({
  point_id: Number(r.point_id), bucket: new Date(r.bucket as Date).toISOString(), count: Number(r.count), sum: r9(Number(r.sum)),
  min: Number(r.min), max: Number(r.max), first_time: new Date(r.first_time as Date).toISOString(), first_value: Number(r.first_value),
  last_time: new Date(r.last_time as Date).toISOString(), last_value: Number(r.last_value), flagged: Number(r.flagged),
  on_time: r.on_time === null ? null : Number(r.on_time), filled: r.filled === null ? null : Number(r.filled),
}));

export async function rawRollups(db: Queryable, interval: RollupInterval, zone: string): Promise<Bucket[]> {
  return norm((await db.query(`SELECT point_id, date_trunc('${UNIT[interval]}', time, $1) AS bucket, count(*)::int AS count, sum(value) AS sum,
      min(value) AS min, max(value) AS max, min(time) AS first_time, (array_agg(value ORDER BY time))[1] AS first_value,
      max(time) AS last_time, (array_agg(value ORDER BY time DESC))[1] AS last_value,
      count(*) FILTER (WHERE source_flag <> 'N' OR flags && $2::text[])::int AS flagged,
      count(*) FILTER (WHERE received_at <= time + (SELECT make_interval(secs => timely_within_s) FROM report_setting))::int AS on_time,
      ${FINER[interval] ? `count(DISTINCT date_trunc('${FINER[interval]}', time, $1))::int` : '1'} AS filled
    FROM observation WHERE kind = 'rtd' AND value IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`, [zone, [...SUSPECT_FLAGS]])).rows);
}

export async function storedRollups(db: Queryable, interval: RollupInterval): Promise<Bucket[]> {
  return norm((await db.query(`SELECT point_id, bucket, count, sum, min, max, first_time, first_value, last_time, last_value, flagged, on_time, filled
    FROM rollup WHERE interval = $1 ORDER BY point_id, bucket`, [interval])).rows);
}
