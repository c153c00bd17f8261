// reports.timely_within_s into the store (migration 014's report_setting), where the roller's minute statement reads
// it: written at every start, so each bucket rolled from then on counts its on-time readings with it.
import type { Queryable } from '../store/driver.ts';

export async function applyReportSettings(db: Queryable, s: { timelyWithinS: number }): Promise<void> {
  await db.query('UPDATE report_setting SET timely_within_s = $1::int WHERE timely_within_s <> $1::int', [s.timelyWithinS]);
}
