// What the hub does to its store after migrating and before serving: finish moving a pre-partition store's rows
// (migration 006), then the first partition upkeep. Retention is not applied here but by the hourly schedule: a
// start must never drop data (a hub restarted on an old or backfilled store, a mistyped retention) before an
// operator had an hour to see `lifeline store status` and stop it.
import type { SqlDriver } from './driver.ts';
import { moveLegacy, type MoveProgress } from './legacy.ts';
import { maintainPartitions, type Retention } from './partitions.ts';

export interface StoreUpkeepConfig { retention?: Retention; partitions_ahead_days?: number }

export const retentionOf = (c: StoreUpkeepConfig): Retention => ({ rtd: 180, min: 730, hour: null, day: null, ...c.retention });

export async function prepareStoreLayout(db: SqlDriver, c: StoreUpkeepConfig, now: () => number, progress: (line: string) => void) {
  const t0 = performance.now();
  const moved = await moveLegacyOnce(db, {
    onProgress: (p) => progress(`moving observations into the partitioned table: ${p.moved.toLocaleString('en')} moved, ${p.remaining.toLocaleString('en')} to go (${Math.round(p.moved / ((performance.now() - t0) / 1000)).toLocaleString('en')}/s)`),
  });
  return { moved: moved.moved, ...(await maintainPartitions(db, { nowMs: now(), daysAhead: c.partitions_ahead_days ?? 3 })) };
}

/**
 * moveLegacy, tolerating another hub that finishes first. moveLegacy (legacy.ts) checks that observation_legacy
 * exists and then counts its rows outside the partition lock; two hubs starting together on a fresh (or freshly
 * upgraded) database both see the table, one drops it (empty, under the lock), and the other's count fails with
 * undefined_table (42P01). The table is dropped only once it is empty, so "gone" means the move is done: run it
 * again, and it finds nothing to do.
 */
async function moveLegacyOnce(db: SqlDriver, opts: Parameters<typeof moveLegacy>[1]): Promise<MoveProgress> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await moveLegacy(db, opts);
    } catch (e) {
      const gone = (e as { code?: string }).code === '42P01' && /observation_(legacy|v6)/.test((e as Error).message);
      if (!gone || attempt >= 3) throw e;
    }
  }
}
