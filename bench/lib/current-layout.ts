// How bench/store-scale reaches the current store layout: its reads through the store's own functions (the ones
// the API serves from), and what a bulk SQL load must be followed by for the derived tables to be right.
import type { Queryable } from '../../hub/store/driver.ts';
import { queryLatest } from '../../hub/store/observations.ts';

export interface Layout {
  /** The history INSERT for this layout, when it needs columns beyond 0.1's. */
  historySql?: (sql: (cols: string, values: string) => string, cols: string, values: string) => string;
  /** After rows were loaded by SQL, bypassing commitBatch: bring derived tables up to date. */
  afterBulkLoad(db: Queryable, progress: (line: string) => void): Promise<void>;
  /** After ingest: wait until asynchronous derived tables have caught up. */
  caughtUp(db: Queryable, progress: (line: string) => void): Promise<void>;
  /** Latest rtd values of the points matching the filter; returns the number of rows. */
  latest(db: Queryable, f: { siteIds?: number[]; indicators?: string[] }): Promise<number>;
  /** Hourly aggregates of one point; returns the number of buckets. */
  hourly(db: Queryable, pointId: number, fromMs: number, toMs: number): Promise<number>;
  /** Expire the rtd readings of one UTC day the way retention does; returns the rows gone. */
  dropDay(db: Queryable, dayStartMs: number): Promise<number>;
}

export function currentLayout(timezone: string): Layout {
  return {
    async afterBulkLoad() {},
    async caughtUp() {},
    latest: async (db, f) => (await queryLatest(db, { siteIds: f.siteIds, indicators: f.indicators, kind: 'rtd' })).length,
    async hourly(db, pointId, fromMs, toMs) {
      const r = await db.query(`SELECT date_trunc('hour', time, $4) AS bucket, avg(value), min(value), max(value), count(*)
        FROM observation WHERE point_id = $1 AND kind = 'rtd' AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)
        GROUP BY 1 ORDER BY 1`, [pointId, fromMs, toMs, timezone]);
      return r.rows.length;
    },
    async dropDay(db, dayStartMs) {
      const r = await db.query(`DELETE FROM observation WHERE kind = 'rtd' AND time >= to_timestamp($1 / 1000.0) AND time < to_timestamp($2 / 1000.0)`, [dayStartMs, dayStartMs + 86_400_000]);
      return (r as { rowCount?: number }).rowCount ?? 0;
    },
  };
}
