// What the hub does to its store after migrating and before serving: finish moving a pre-partition store's rows
// (migration 006), then the first partition upkeep. Retention is not applied here but by the hourly schedule: a
// start must never drop data (a hub restarted on an old or backfilled store, a mistyped retention) before an
// operator had an hour to see `lifeline store status` and stop it.
import type { SqlDriver } from './driver.ts';
import { moveLegacy } from './legacy.ts';
import { maintainPartitions, type Retention } from './partitions.ts';

export interface StoreUpkeepConfig { retention?: Retention; partitions_ahead_days?: number; pack_closed_days?: number | null; pack_hours_after?: number | null }

export const retentionOf = (c: StoreUpkeepConfig): Retention => ({ rtd: 180, min: 730, hour: null, day: null, ...c.retention });

/** store.pack_closed_days as the upkeep's packAfterMs: a partition is packed this long after its range ended; false: never. */
export const packAfterOf = (c: StoreUpkeepConfig): number | false =>
  (c.pack_closed_days === null ? false : (c.pack_closed_days ?? 1) * 86_400_000);

/** store.pack_hours_after as the upkeep's packHoursAfterMs; false: whole days only (and whenever days are never packed). */
export const packHoursAfterOf = (c: StoreUpkeepConfig): number | false =>
  (c.pack_closed_days === null || c.pack_hours_after === null ? false : (c.pack_hours_after ?? 1) * 3_600_000);

export async function prepareStoreLayout(db: SqlDriver, c: StoreUpkeepConfig, now: () => number, progress: (line: string) => void) {
  const t0 = performance.now();
  const moved = await moveLegacy(db, {
    onProgress: (p) => progress(`moving observations into the partitioned table: ${p.moved.toLocaleString('en')} moved, ${p.remaining.toLocaleString('en')} to go (${Math.round(p.moved / ((performance.now() - t0) / 1000)).toLocaleString('en')}/s)`),
  });
  return { moved: moved.moved, ...(await maintainPartitions(db, { nowMs: now(), daysAhead: c.partitions_ahead_days ?? 3 })) };
}
