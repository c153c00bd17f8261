// How bench/store-scale reaches the current store layout: its reads through the store's own functions (the ones
// the API serves from), and what a bulk SQL load must be wrapped in for partitions and derived tables to be right.
import type { Queryable, SqlDriver } from '../../hub/store/driver.ts';
import { queryLatest, rebuildLatest } from '../../hub/store/observations.ts';
import { queryAggregates, rebuildRollups, rollupLag } from '../../hub/store/rollups.ts';
import { applyRetention, ensurePartition, partitionName, underLock } from '../../hub/store/partitions.ts';

const DAY = 86_400_000;

export interface Layout {
  /** Before rows are loaded by SQL: the partitions of their range (else they would all land in DEFAULT). */
  beforeBulkLoad(db: SqlDriver, fromMs: number, toMs: number): Promise<void>;
  /** After rows were loaded by SQL, bypassing commitBatch: bring derived tables up to date. */
  afterBulkLoad(db: SqlDriver, fromMs: number, toMs: number, progress: (line: string) => void): Promise<void>;
  /** After ingest: wait until asynchronous derived tables have caught up. */
  caughtUp(db: Queryable, progress: (line: string) => void): Promise<void>;
  /** Latest rtd values of the points matching the filter; returns the number of rows. */
  latest(db: Queryable, f: { siteIds?: number[]; indicators?: string[] }): Promise<number>;
  /** Hourly aggregates of one point; returns the number of buckets. */
  hourly(db: Queryable, pointId: number, fromMs: number, toMs: number): Promise<number>;
  /** Expire the rtd readings of one UTC day the way retention does; returns the rows gone. */
  dropDay(db: SqlDriver, dayStartMs: number): Promise<number>;
  /** One day of generated history: $1 from, $2 to (ms), $3 minutes apart; `value` is SQL over p.id and t. */
  historySql(value: string): string;
  /** Bytes the observations take: tables and indexes. */
  bytes(db: Queryable): Promise<number>;
}

/** A table's size with its indexes, or a partition tree's. */
export async function relationBytes(db: Queryable, root: string): Promise<number> {
  // A plain table is not a partition tree: then it is its own size.
  const r = await db.query<{ b: string }>(`SELECT greatest(pg_total_relation_size($1::regclass),
    (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree($1::regclass)))::text AS b`, [root]);
  return Number(r.rows[0]!.b);
}

export function currentLayout(timezone: string): Layout {
  return {
    async beforeBulkLoad(db, fromMs, toMs) {
      for (let d = Math.floor(fromMs / DAY) * DAY; d < toMs; d += DAY) await underLock(db, (tx) => ensurePartition(tx, 'rtd', d));
    },
    async afterBulkLoad(db, fromMs, toMs, progress) {
      const t0 = performance.now();
      await rebuildLatest(db);
      progress(`latest table rebuilt in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      let last = performance.now();
      await rebuildRollups(db, timezone, fromMs, toMs, (at, minutes) => {
        if (performance.now() - last < 5000 && at < toMs) return;
        last = performance.now();
        progress(`rollups rebuilt to ${new Date(at).toISOString().slice(0, 10)}: ${minutes.toLocaleString('en-US')} minute buckets`);
      });
    },
    async caughtUp(db, progress) {
      const t0 = performance.now();
      for (;;) {
        const lag = await rollupLag(db);
        const max = (await db.query<{ m: string | null }>('SELECT max(id)::text AS m FROM outbox')).rows[0]!.m ?? '0';
        if (BigInt(lag.cursor) >= BigInt(max)) break;
        progress(`rollups lag ${lag.lag_seconds} s behind ingest`);
        await new Promise((r) => setTimeout(r, 2000));
      }
      progress(`rollups caught up ${((performance.now() - t0) / 1000).toFixed(1)} s after ingest ended`);
    },
    // The registry-held part of a row is its tag (migration 008): one per point here, looked up once per statement.
    historySql: (value) => `
      WITH tg AS MATERIALIZED (
        SELECT p.id AS pid, observation_tag_of(p.device_id, d.site_id, p.indicator, 'MPa', 'N', '{}', 'bench', NULL) AS tag
        FROM point p JOIN device d ON d.id = p.device_id)
      INSERT INTO observation_data (point_id, tag, kind, time, value, received_at)
      SELECT p.id, tg.tag, 'rtd', t, ${value}, t
      FROM point p JOIN tg ON tg.pid = p.id,
           generate_series(to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0) - interval '1 millisecond', make_interval(mins => $3)) AS t`,
    // The tags count: they are what the rows no longer repeat.
    bytes: async (db) => (await relationBytes(db, 'observation_data')) + (await relationBytes(db, 'observation_tag')),
    latest: async (db, f) => (await queryLatest(db, { siteIds: f.siteIds, indicators: f.indicators, kind: 'rtd' })).length,
    hourly: async (db, pointId, fromMs, toMs) => (await queryAggregates(db, { interval: '1h', pointIds: [pointId], fromMs, toMs, limit: 1000 })).length,
    async dropDay(db, dayStartMs) {
      const name = partitionName('rtd', dayStartMs);
      const rows = Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${name}`)).rows[0]!.n);
      // Retention of one day, as of the end of the next: exactly this partition's whole range has expired.
      const dropped = await applyRetention(db, { rtd: 1, min: null, hour: null, day: null }, dayStartMs + 2 * DAY);
      if (!dropped.includes(name)) throw new Error(`retention dropped ${dropped.join(', ') || 'nothing'}, not ${name}`);
      return rows;
    },
  };
}
