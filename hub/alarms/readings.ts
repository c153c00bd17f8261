// The readings that raised an alarm (GET /v1/alarms/{id}): its point's real-time observations over the alarm's
// window, bounded by point and time (partitions outside the window are not read) and by a count. The window opens
// early enough to show what the rule looked at: the rule's window (rate_of_change) or duration (for.seconds), the
// run before the raise (for.readings, stuck, quality), or the last reading before a silence (no_data); it closes at
// the clear (or the latest reading while active). A device alarm (device_offline) has no point: no readings.
import type { Queryable } from '../store/driver.ts';
import { COLUMNS, type StoredObservationRow } from '../store/observations.ts';
import type { AlarmRow } from './handling.ts';
import type { AlarmContext } from './evaluate.ts';
import type { CompiledRule } from './rules.ts';

/** How far back the run before a raise is looked for at most. */
const RUN_LOOKBACK_MS = 7 * 86_400_000;

/** What of the time before first_time a rule looked at: a span, and/or a number of readings. */
export function leadOf(rule: CompiledRule | undefined): { ms: number; readings: number } {
  if (!rule) return { ms: 0, readings: 0 };
  switch (rule.kind) {
    case 'no_data': return { ms: 0, readings: 1 };
    case 'rate_of_change': return { ms: rule.windowMs, readings: 0 };
    // stuck and quality raise at the run's length `readings` (the gauge's raise value): the readings before are the run.
    case 'stuck': case 'quality': return { ms: 0, readings: Math.max(0, Math.round(rule.levels[0]!.raise) - 1) };
    default: return rule.forSeconds !== undefined ? { ms: rule.forSeconds * 1000, readings: 0 } : { ms: 0, readings: Math.max(0, rule.forReadings - 1) };
  }
}

export async function alarmReadings(db: Queryable, a: AlarmRow, ctx: AlarmContext, limit: number): Promise<{ rows: StoredObservationRow[]; truncated: boolean }> {
  if (a.point_id === null || limit <= 0) return { rows: [], truncated: false };
  const p = ctx.registry().pointById.get(a.point_id);
  let rule: CompiledRule | undefined;
  try { rule = p ? ctx.rules.rulesFor(p).find((r) => r.id === a.rule) : undefined; } catch { rule = undefined; }
  const lead = leadOf(rule);
  const first = a.first_time.getTime();
  const end = (a.cleared_time ?? a.latest_time).getTime();
  const before = lead.readings > 0
    ? (await db.query<StoredObservationRow>(`SELECT ${COLUMNS} FROM observation WHERE point_id = $1 AND kind = 'rtd'
        AND time < to_timestamp($2 / 1000.0) AND time >= to_timestamp($3 / 1000.0) ORDER BY time DESC, observation.id DESC LIMIT $4`,
      [a.point_id, first - lead.ms, first - lead.ms - RUN_LOOKBACK_MS, Math.min(lead.readings, limit)])).rows.reverse()
    : [];
  const room = limit - before.length;
  const during = room > 0
    ? (await db.query<StoredObservationRow>(`SELECT ${COLUMNS} FROM observation WHERE point_id = $1 AND kind = 'rtd'
        AND time >= to_timestamp($2 / 1000.0) AND time <= to_timestamp($3 / 1000.0) ORDER BY time, observation.id LIMIT $4`,
      [a.point_id, first - lead.ms, Math.max(end, first), room + 1])).rows
    : [];
  const truncated = room <= 0 || during.length > room; // no room left: the window's own readings are all left out
  return { rows: [...before, ...during.slice(0, Math.max(0, room))], truncated };
}
