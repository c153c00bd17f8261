// The store's scheduled upkeep inside the hub: partitions created ahead (and rows moved out of DEFAULT
// partitions), then retention applied by dropping expired partitions, then closed partitions packed and the open
// days' past hours (pack.ts), and on
// PGlite the tables the hub updates and deletes from vacuumed. Runs every hour (the start does the partitions only:
// hub/store/upgrade.ts); a second hub process on the same PostgreSQL does the same work under the same advisory lock,
// finding it done.
import type { SqlDriver } from './driver.ts';
import { applyRetention, maintainPartitions, type Retention } from './partitions.ts';
import { pruneAudit } from '../access/audit.ts';
import { packClosed, packOpenHours } from './pack.ts';

export const MAINTENANCE_INTERVAL_MS = 3_600_000;

export interface MaintenanceOptions {
  retention: Retention;
  daysAhead: number;
  now: () => number;
  /** Days of pull-audit rows kept (api.audit.retention_days); null or absent keeps them. */
  auditRetentionDays?: number | null;
  /** Pack partitions whose range ended this long ago (migration 013; default a day); false: never pack. */
  packAfterMs?: number | false;
  /**
   * Pack the readings of the days not yet packed whole an hour at a time, those of hours that ended this long ago
   * (pack.ts packOpenHours); false or absent: whole days only. Not when packAfterMs is false.
   */
  packHoursAfterMs?: number | false;
  onResult?: (r: { created: string[]; movedFromDefault: number; dropped: string[]; auditPruned: number; packed: string[]; packedHours: string[]; vacuumed: string[] }) => void;
  onError?: (e: unknown) => void;
}

/**
 * The tables the hub updates or deletes rows of (the latest values, rollups, cursors, the outbox and delivery, alarm
 * state, pruned quarantine and audit, uploads, and packed days, which retention deletes day by day). Observation
 * partitions are insert-only and dropped whole.
 */
export const CHURNED_TABLES = ['outbox', 'observation_latest', 'rollup', 'rollup_cursor', 'adapter_checkpoint', 'delivery_batch',
  'delivery_target', 'alarm', 'alarm_rule_state', 'quarantine', 'pull_audit', 'upload', 'observation_pack'] as const;

/**
 * On PGlite, `VACUUM (ANALYZE)` of CHURNED_TABLES; returns the tables vacuumed. PGlite runs no autovacuum: without this
 * the index entries of deleted and updated rows (every pruned outbox entry, every rollup recomputed) stayed forever,
 * and the planner never had statistics. On PostgreSQL nothing: vacuuming is autovacuum's (and the DBA's) job.
 */
export async function vacuumChurned(db: SqlDriver): Promise<string[]> {
  if (db.kind !== 'pglite') return [];
  await db.exec(`VACUUM (ANALYZE) ${CHURNED_TABLES.join(', ')}`);
  return [...CHURNED_TABLES];
}

export async function runMaintenance(db: SqlDriver, o: Omit<MaintenanceOptions, 'onError'>) {
  const nowMs = o.now();
  const m = await maintainPartitions(db, { nowMs, daysAhead: o.daysAhead });
  const dropped = await applyRetention(db, o.retention, nowMs);
  const auditPruned = o.auditRetentionDays ? await pruneAudit(db, o.auditRetentionDays, nowMs) : 0;
  // After retention: a partition about to be dropped is not packed first.
  const closedAfterMs = o.packAfterMs ?? 86_400_000;
  const packed = closedAfterMs === false ? [] : (await packClosed(db, { nowMs, afterMs: closedAfterMs })).map((p) => p.name);
  // Then the days not packed whole yet, up to the hour horizon.
  const packedHours = closedAfterMs === false || !o.packHoursAfterMs ? []
    : (await packOpenHours(db, { nowMs, afterMs: o.packHoursAfterMs, closedAfterMs })).map((p) => p.name);
  // Last: after pruning and dropping, what they freed is reclaimed in the same pass.
  const vacuumed = await vacuumChurned(db);
  const r = { ...m, dropped, auditPruned, packed, packedHours, vacuumed };
  o.onResult?.(r);
  return r;
}

/** Schedule runMaintenance every hour, the first an hour after start. */
export function scheduleMaintenance(db: SqlDriver, o: MaintenanceOptions, intervalMs = MAINTENANCE_INTERVAL_MS): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = runMaintenance(db, o).catch((e) => o.onError?.(e));
  }, intervalMs);
  timer.unref();
  return { async stop() { clearInterval(timer); await running; } };
}
