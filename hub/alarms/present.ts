// An alarm and its events as the API, the SSE stream and notifications show them (schemas/json/alarm.schema.json,
// alarm-event.schema.json): registry codes instead of ids, level names and colours, deadlines and `overdue` on the
// hub clock. One function for all three, so a notification says exactly what GET /v1/alarms/{id} says.
import type { Registry } from '../registry/registry.ts';
import type { Alarm, AlarmEvent } from '../../schemas/generated/types.ts';
import type { AlarmRow, EventRow } from './handling.ts';

export interface AlarmLevel { level: number; name: string; colour: string; ack_within_s?: number; resolve_within_s?: number }

export function presentAlarm(r: AlarmRow, reg: Registry, levels: AlarmLevel[], nowMs: number): Alarm {
  const p = r.point_id === null ? undefined : reg.pointById.get(r.point_id), d = reg.deviceById.get(r.device_id), s = reg.siteById.get(r.site_id);
  const lv = levels.find((l) => l.level === r.level);
  const peak = levels.find((l) => l.level === r.peak_level);
  const first = r.first_time.getTime();
  const ackDue = peak?.ack_within_s ? first + peak.ack_within_s * 1000 : null;
  const resolveDue = peak?.resolve_within_s ? first + peak.resolve_within_s * 1000 : null;
  const unresolved = ['open', 'acknowledged', 'assessed', 'dispatched'].includes(r.state);
  const overdue = (ackDue !== null && r.state === 'open' && nowMs > ackDue) || (resolveDue !== null && unresolved && nowMs > resolveDue);
  return {
    id: r.id, rule: r.rule, site: s?.code ?? String(r.site_id), device: d?.code ?? String(r.device_id), point: r.point_id === null ? null : p?.code ?? String(r.point_id),
    indicator: r.indicator, domain: reg.catalogue.get(r.indicator)?.domain ?? (s?.doc as { domain?: string } | undefined)?.domain ?? '', level: r.level, level_name: lv?.name ?? String(r.level), level_colour: lv?.colour ?? '',
    peak_level: r.peak_level, type: r.type, first_time: r.first_time.toISOString(), latest_time: r.latest_time.toISOString(), count: r.count,
    peak_value: r.peak_value, latest_value: r.latest_value, active: r.active, cleared_time: r.cleared_time?.toISOString() ?? null, state: r.state as Alarm['state'], assignee: r.assignee,
    ack_due: ackDue === null ? null : new Date(ackDue).toISOString(), resolve_due: resolveDue === null ? null : new Date(resolveDue).toISOString(), overdue,
  };
}

export function presentEvent(e: EventRow): AlarmEvent {
  return { id: e.id, alarm: e.alarm, type: e.type as AlarmEvent['type'], at: e.at.toISOString(), level: e.level, value: e.value, by: e.by, note: e.note, assignee: e.assignee };
}
