// The handling loop (处置闭环) and the alarm reads behind GET /v1/alarms. Each transition checks the state under a row
// lock and records who, when and a note as one alarm_event, in one transaction.
import type { Queryable, SqlDriver } from '../store/driver.ts';
import { LifelineError } from '../sdk/errors.ts';
import { enqueueAlarmEvents, lockEventOrder } from './enqueue.ts';

export { ACTIONS, type AlarmAction } from './actions.ts';
import { ACTIONS, type AlarmAction } from './actions.ts';

export interface TransitionInput { by: string; note?: string; assignee?: string; nowMs: number }

export async function transition(db: SqlDriver, id: string, action: AlarmAction, i: TransitionInput): Promise<void> {
  const { from, to } = ACTIONS[action];
  await db.transaction(async (tx) => {
    const a = (await tx.query<{ state: string; active: boolean }>('SELECT state, active FROM alarm WHERE id = $1::bigint FOR UPDATE', [id])).rows[0];
    if (!a) throw new LifelineError('ALARM_NOT_FOUND', `no alarm ${id}`);
    if (a.state !== from) {
      throw new LifelineError('ALARM_TRANSITION_INVALID', `alarm ${id} is ${a.state}: ${action} needs it ${from}`, { details: { state: a.state, action, needs: from } });
    }
    if (action === 'archive' && a.active) {
      throw new LifelineError('ALARM_TRANSITION_INVALID', `alarm ${id} is still active: it can be archived once its condition has cleared`, { details: { state: a.state, action, active: true } });
    }
    await tx.query(`UPDATE alarm SET state = $2, assignee = COALESCE($3, assignee), updated_at = now() WHERE id = $1::bigint`, [id, to, i.assignee ?? null]);
    await lockEventOrder(tx); // ids visible in id order (the SSE stream reads by id): held until commit
    const ev = (await tx.query<{ id: string }>('INSERT INTO alarm_event (alarm_id, type, at, level, by_name, note, assignee) SELECT $1::bigint, $2, $3::timestamptz, level, $4, $5, $6 FROM alarm WHERE id = $1::bigint RETURNING id::text AS id',
      [id, to, new Date(i.nowMs).toISOString(), i.by, i.note ?? null, i.assignee ?? null])).rows.map((r) => r.id);
    await enqueueAlarmEvents(tx, ev); // its notification, in the same transaction

  });
}

export interface AlarmFilter {
  states?: string[]; levels?: number[]; siteIds?: number[]; deviceIds?: number[]; pointIds?: number[]; indicators?: string[]; active?: boolean;
  /** With indicators: device alarms (no indicator) of these sites match too (a domain filter: the sites of that domain). */
  deviceAlarmSiteIds?: number[];
  fromMs?: number; toMs?: number; beforeId?: string; limit: number;
}

export interface AlarmRow {
  id: string; rule: string; kind: string; type: string; point_id: number | null; device_id: number; site_id: number; indicator: string;
  level: number; peak_level: number; peak_value: number | null; latest_value: number | null; first_time: Date; latest_time: Date;
  count: number; active: boolean; cleared_time: Date | null; state: string; assignee: string | null;
}
const COLS = `id::text AS id, rule, kind, type, point_id, device_id, site_id, indicator, level, peak_level, peak_value, latest_value,
  first_time, latest_time, count, active, cleared_time, state, assignee`;

/** A page of alarms, newest first (id descending); from/to select first_time. */
export async function queryAlarms(db: Queryable, f: AlarmFilter): Promise<AlarmRow[]> {
  const params: unknown[] = [];
  const w: string[] = ['true'];
  const add = (sql: (n: string) => string, v: unknown) => { params.push(v); w.push(sql(`$${params.length}`)); };
  if (f.states) add((n) => `state = ANY(${n}::text[])`, f.states);
  if (f.levels) add((n) => `level = ANY(${n}::int[])`, f.levels);
  if (f.siteIds) add((n) => `site_id = ANY(${n}::int[])`, f.siteIds);
  if (f.deviceIds) add((n) => `device_id = ANY(${n}::int[])`, f.deviceIds);
  if (f.pointIds) add((n) => `point_id = ANY(${n}::int[])`, f.pointIds);
  if (f.indicators && f.deviceAlarmSiteIds) {
    params.push(f.indicators, f.deviceAlarmSiteIds);
    w.push(`(indicator = ANY($${params.length - 1}::text[]) OR (indicator = '' AND site_id = ANY($${params.length}::int[])))`);
  } else if (f.indicators) add((n) => `indicator = ANY(${n}::text[])`, f.indicators);
  if (f.active !== undefined) add((n) => `active = ${n}::boolean`, f.active);
  if (f.fromMs !== undefined) add((n) => `first_time >= to_timestamp(${n} / 1000.0)`, f.fromMs);
  if (f.toMs !== undefined) add((n) => `first_time < to_timestamp(${n} / 1000.0)`, f.toMs);
  if (f.beforeId !== undefined) add((n) => `id < ${n}::bigint`, f.beforeId);
  params.push(f.limit);
  return (await db.query<AlarmRow>(`SELECT ${COLS} FROM alarm WHERE ${w.join(' AND ')} ORDER BY alarm.id DESC LIMIT $${params.length}`, params)).rows;
}

export async function getAlarm(db: Queryable, id: string): Promise<AlarmRow | undefined> {
  return (await db.query<AlarmRow>(`SELECT ${COLS} FROM alarm WHERE id = $1::bigint`, [id])).rows[0];
}

export interface EventRow { id: string; alarm: string; type: string; at: Date; level: number | null; value: number | null; by: string | null; note: string | null; assignee: string | null }

export async function alarmEvents(db: Queryable, id: string): Promise<EventRow[]> {
  return (await db.query<EventRow>(`SELECT id::text AS id, alarm_id::text AS alarm, type, at, level, value, by_name AS by, note, assignee
    FROM alarm_event WHERE alarm_id = $1::bigint ORDER BY alarm_event.id`, [id])).rows;
}

/** An alarm's columns beside an event's in `alarm_event e JOIN alarm a` (the names the two share are prefixed a_). */
export const JOINED_ALARM_COLS = `a.id::text AS a_id, a.rule, a.kind, a.type AS a_type, a.point_id, a.device_id, a.site_id, a.indicator, a.level AS a_level, a.peak_level, a.peak_value,
  a.latest_value, a.first_time, a.latest_time, a.count, a.active, a.cleared_time, a.state, a.assignee AS a_assignee`;
export type JoinedAlarm = Omit<AlarmRow, 'id' | 'type' | 'level' | 'assignee'> & { a_id: string; a_type: string; a_level: number; a_assignee: string | null };
export const joinedAlarm = (r: JoinedAlarm): AlarmRow => ({ ...r, id: r.a_id, type: r.a_type, level: r.a_level, assignee: r.a_assignee });
