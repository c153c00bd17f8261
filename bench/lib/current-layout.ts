// How bench/store-scale reaches the current store layout: its reads through the store's own functions (the ones
// the API serves from), and what a bulk SQL load must be wrapped in for partitions and derived tables to be right.
import type { Queryable, SqlDriver } from '../../hub/store/driver.ts';
import { queryLatest, rebuildLatest } from '../../hub/store/observations.ts';
import { queryAggregates, rebuildRollups, rollStep, rollupLag } from '../../hub/store/rollups.ts';
import { packClosed, packOpenHours } from '../../hub/store/pack.ts';
import { applyRetention, ensurePartition, partitionName, underLock } from '../../hub/store/partitions.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface Layout {
  /** Before rows are loaded by SQL: the partitions of their range (else they would all land in DEFAULT). */
  beforeBulkLoad(db: SqlDriver, fromMs: number, toMs: number): Promise<void>;
  /**
   * After one range of rows [fromMs, toMs) was loaded by SQL, bypassing commitBatch: its rollups. Called once per
   * range, in time order, each after the previous one returned (it may run while later ranges are being loaded).
   * Returns the minute buckets written.
   */
  afterHistoryRange(db: SqlDriver, fromMs: number, toMs: number): Promise<number>;
  /** After all rows were loaded by SQL: the other derived tables (the latest values). */
  afterBulkLoad(db: SqlDriver, fromMs: number, toMs: number, progress: (line: string) => void): Promise<void>;
  /** After ingest: wait until asynchronous derived tables have caught up. */
  caughtUp(db: SqlDriver, progress: (line: string) => void): Promise<void>;
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
  // rollup_bucket (site / indicator / all-point aggregate reads) is dropped while history is loaded and built once
  // after it, as for any bulk load: kept up row by row it cost the history's rollups about half their rate. The
  // rollups of the history and the roller read by primary key; nothing reads by bucket until ingest starts.
  let bucketIndex: string | undefined;
  let historyEnd = 0;
  return {
    async beforeBulkLoad(db, fromMs, toMs) {
      for (let d = Math.floor(fromMs / DAY) * DAY; d < toMs; d += DAY) await underLock(db, (tx) => ensurePartition(tx, 'rtd', d));
      bucketIndex = (await db.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'rollup_bucket'`)).rows[0]?.def;
      if (bucketIndex) await db.query('DROP INDEX rollup_bucket');
    },
    // Set-based, one UTC day per transaction (hub/store/rollups.ts): a day's hours and days that reach into the next
    // range are recomputed again with it, so ranges must come in time order, one at a time.
    afterHistoryRange: (db, fromMs, toMs) => rebuildRollups(db, timezone, fromMs, toMs),
    async afterBulkLoad(db, fromMs, toMs, progress) {
      const t0 = performance.now();
      // Every point has readings in the last day of history: its newest rows are there, no need to sort the rest.
      await rebuildLatest(db, { sinceMs: Math.max(fromMs, toMs - DAY) });
      progress(`latest table rebuilt in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (bucketIndex) {
        const t1 = performance.now();
        await db.query(bucketIndex);
        progress(`rollup_bucket index built in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      }
      // Closed days packed (migration 013), as the hub's upkeep does with store.pack_closed_days: 1 (the default).
      const perObs = async () => (await this.bytes(db)) / Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);
      const unpacked = await perObs();
      const t2 = performance.now();
      const packed = await packClosed(db, { nowMs: Date.now(), afterMs: DAY });
      progress(`${packed.length} closed day(s) packed (${packed.reduce((a, p) => a + p.n, 0).toLocaleString('en-US')} readings) in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
      // And the open days' hours, as the upkeep (store.pack_hours_after: 1) had them when the ingested part began: the
      // ingest then writes above the dedup trigger's horizon, as a live hub does.
      historyEnd = toMs;
      const t3 = performance.now();
      const hours = await packOpenHours(db, { nowMs: Math.floor(toMs / HOUR) * HOUR + HOUR, afterMs: HOUR });
      progress(`the open days' hours packed up to the history's end (${hours.reduce((a, p) => a + p.n, 0).toLocaleString('en-US')} readings) in ${((performance.now() - t3) / 1000).toFixed(1)} s`);
      progress(`history: ${unpacked.toFixed(1)} bytes per observation unpacked, ${(await perObs()).toFixed(1)} packed (tables + indexes, before ingest)`);
    },
    // Ingest has ended and every batch is committed: the backlog is the whole outbox. The bench drains it with the
    // roller's own step (rollStep: same cursor, same transaction per step, so the hub's roller finds the cursor busy
    // and waits), at full duty and 500,000 observations a step instead of the roller's 50,000 at half duty: with
    // 10,000 points a 50,000 step is 5 minutes of readings, and each step recomputed every touched hour and day again.
    async caughtUp(db, progress) {
      const t0 = performance.now();
      let last = t0;
      const max = (await db.query<{ m: string | null }>('SELECT max(id)::text AS m FROM outbox')).rows[0]!.m ?? '0';
      for (let observations = 0; ;) {
        const step = await rollStep(db, max, timezone, 500_000);
        observations += step.observations;
        if (step.caughtUp) break;
        if (step.busy) await new Promise((r) => setTimeout(r, 50));
        if (performance.now() - last > 10_000) {
          last = performance.now();
          progress(`rollups: ${observations.toLocaleString('en-US')} observations rolled up since ingest ended, ${(await rollupLag(db)).lag_seconds} s behind`);
        }
      }
      progress(`rollups caught up ${((performance.now() - t0) / 1000).toFixed(1)} s after ingest ended`);
      // The hours the ingest wrote, packed as the hourly upkeep packs them in a live store: an hour at a time, those
      // that ended an hour ago (store.pack_hours_after: 1).
      const t1 = performance.now();
      let readings = 0, runs = 0;
      for (let h = Math.floor(historyEnd / HOUR) * HOUR + 2 * HOUR; h <= Date.now(); h += HOUR, runs++) {
        readings += (await packOpenHours(db, { nowMs: Math.min(h, Date.now()), afterMs: HOUR })).reduce((a, p) => a + p.n, 0);
      }
      progress(`the ingested hours packed by ${runs} hourly upkeep run(s): ${readings.toLocaleString('en-US')} readings in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
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
    bytes: async (db) => (await relationBytes(db, 'observation_data')) + (await relationBytes(db, 'observation_pack')) + (await relationBytes(db, 'observation_tag')),
    latest: async (db, f) => (await queryLatest(db, { siteIds: f.siteIds, indicators: f.indicators, kind: 'rtd' })).length,
    hourly: async (db, pointId, fromMs, toMs) => (await queryAggregates(db, { interval: '1h', pointIds: [pointId], fromMs, toMs, limit: 1000 })).length,
    async dropDay(db, dayStartMs) {
      const name = partitionName('rtd', dayStartMs);
      const rows = Number((await db.query<{ n: string }>(`SELECT ((SELECT count(*) FROM ${name}) + (SELECT coalesce(sum(n), 0) FROM observation_pack
        WHERE kind = 'rtd' AND lo >= to_timestamp($1 / 1000.0) AND hi < to_timestamp($2 / 1000.0)))::text AS n`, [dayStartMs, dayStartMs + DAY])).rows[0]!.n);
      // Retention of one day, as of the end of the next: exactly this partition's whole range has expired.
      const dropped = await applyRetention(db, { rtd: 1, min: null, hour: null, day: null }, dayStartMs + 2 * DAY);
      if (!dropped.includes(name)) throw new Error(`retention dropped ${dropped.join(', ') || 'nothing'}, not ${name}`);
      return rows;
    },
  };
}
