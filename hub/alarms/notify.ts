// Alarm notifications through the delivery engine (docs/alarms.md#notifications). Every alarm event is enqueued as an
// outbox entry of topic `alarm` (ref_ids: the alarm_event ids) in the transaction that wrote the event, so a crash
// can neither lose one nor enqueue one twice; targets with `stream: alarms` build their batches from those entries as
// observation targets do from theirs (same cursor, retries, dead letters, both drivers). The body template turns each
// event into a group-chat robot's JSON (WeCom, DingTalk, Feishu …) without code.
import type { Queryable } from '../store/driver.ts';
import type { Registry } from '../registry/registry.ts';
import type { AlarmNotification } from '../../schemas/generated/types.ts';
import { LifelineError } from '../sdk/errors.ts';
import { zoneOffsetMs } from '../time/parse.ts';
import { presentAlarm, presentEvent, type AlarmLevel } from './present.ts';
import { JOINED_ALARM_COLS, joinedAlarm, type EventRow, type JoinedAlarm } from './handling.ts';
import { EVENT_NAMES, STATE_NAMES, TYPE_NAMES } from './type-names.ts';

export { ALARM_TOPIC, enqueueAlarmEvents } from './enqueue.ts';

/** Every placeholder a template may use: the notification's fields and a few for people (names, local times). */
export const TEMPLATE_VARIABLES = [
  'event.id', 'event.alarm', 'event.type', 'event.type_name', 'event.at', 'event.at_local', 'event.level', 'event.level_name', 'event.level_colour',
  'event.value', 'event.by', 'event.note', 'event.assignee',
  'alarm.id', 'alarm.rule', 'alarm.type', 'alarm.type_name', 'alarm.level', 'alarm.level_name', 'alarm.level_colour', 'alarm.peak_level',
  'alarm.site', 'alarm.site_name', 'alarm.enterprise', 'alarm.address', 'alarm.device', 'alarm.device_name', 'alarm.point',
  'alarm.indicator', 'alarm.indicator_name', 'alarm.domain', 'alarm.unit', 'alarm.first_time', 'alarm.first_time_local',
  'alarm.latest_time', 'alarm.latest_time_local', 'alarm.count', 'alarm.peak_value', 'alarm.latest_value', 'alarm.active',
  'alarm.cleared_time', 'alarm.state', 'alarm.state_name', 'alarm.assignee', 'alarm.ack_due', 'alarm.resolve_due', 'alarm.overdue',
] as const;
const KNOWN = new Set<string>(TEMPLATE_VARIABLES);

export type TemplateVars = Record<string, string | number | boolean | null>;
export type Template = (vars: TemplateVars) => unknown;

const PLACEHOLDER = /\{\{\s*([a-z_.]+)\s*\}\}/g;
const ALONE = /^\{\{\s*([a-z_.]+)\s*\}\}$/;

/**
 * Compiles a body template (any JSON value): strings are searched for {{placeholders}}, object keys are kept as they
 * are. A string that is one placeholder alone becomes the value itself (number, boolean or null); elsewhere a value
 * is written as text (null as the empty string). An unknown placeholder throws CONFIG_INVALID with its path.
 */
export function compileTemplate(tpl: unknown, path: string): Template {
  const walk = (node: unknown, at: string): Template => {
    if (typeof node === 'string') {
      for (const m of node.matchAll(PLACEHOLDER)) {
        if (!KNOWN.has(m[1]!)) throw new LifelineError('CONFIG_INVALID', `${at}: unknown placeholder {{${m[1]}}}; use one of ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`, { details: { path: at } });
      }
      const alone = ALONE.exec(node);
      if (alone) { const k = alone[1]!; return (v) => v[k] ?? null; }
      if (!node.includes('{{')) return () => node;
      return (v) => node.replace(PLACEHOLDER, (_, k: string) => { const x = v[k]; return x === null || x === undefined ? '' : String(x); });
    }
    if (Array.isArray(node)) {
      const parts = node.map((x, i) => walk(x, `${at}/${i}`));
      return (v) => parts.map((f) => f(v));
    }
    if (node && typeof node === 'object') {
      const parts = Object.entries(node).map(([k, x]) => [k, walk(x, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`)] as const);
      return (v) => Object.fromEntries(parts.map(([k, f]) => [k, f(v)]));
    }
    return () => node; // numbers, booleans, null
  };
  return walk(tpl, path);
}

/** Wall-clock time in the hub zone, `YYYY-MM-DD HH:mm:ss` (what a person in the control room reads). */
export function localTime(iso: string | null | undefined, zone: string): string | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return new Date(ms + zoneOffsetMs(zone, ms)).toISOString().slice(0, 19).replace('T', ' ');
}

/** The placeholders' values for one notification. */
export function templateVars(n: AlarmNotification, reg: Registry, levels: AlarmLevel[], zone: string): TemplateVars {
  const { event: e, alarm: a } = n;
  const site = reg.sites.get(a.site), device = reg.devices.get(a.device), ind = reg.catalogue.get(a.indicator);
  const sd = (site?.doc ?? {}) as { name?: string; enterprise?: string; address?: string };
  const lv = levels.find((l) => l.level === e.level);
  const v: TemplateVars = {};
  for (const [k, x] of Object.entries(e)) if (x === null || typeof x !== 'object') v[`event.${k}`] = x as TemplateVars[string];
  for (const [k, x] of Object.entries(a)) if (x === null || typeof x !== 'object') v[`alarm.${k}`] = x as TemplateVars[string];
  Object.assign(v, {
    'event.type_name': EVENT_NAMES[e.type] ?? e.type, 'event.at_local': localTime(e.at, zone),
    'event.level': e.level ?? null, 'event.level_name': lv?.name ?? (e.level === null || e.level === undefined ? null : String(e.level)), 'event.level_colour': lv?.colour ?? null,
    'event.value': e.value ?? null, 'event.by': e.by ?? null, 'event.note': e.note ?? null, 'event.assignee': e.assignee ?? null,
    'alarm.type_name': TYPE_NAMES[a.type] ?? a.type, 'alarm.site_name': sd.name ?? a.site, 'alarm.enterprise': sd.enterprise ?? null, 'alarm.address': sd.address ?? null,
    'alarm.device_name': (device?.doc as { name?: string } | undefined)?.name ?? a.device, 'alarm.indicator_name': ind?.name.zh ?? a.indicator, 'alarm.unit': ind?.unit ?? null,
    'alarm.first_time_local': localTime(a.first_time, zone), 'alarm.latest_time_local': localTime(a.latest_time, zone), 'alarm.state_name': STATE_NAMES[a.state] ?? a.state,
  });
  for (const k of TEMPLATE_VARIABLES) if (!(k in v)) v[k] = null;
  return v;
}

export interface NotifyDeps { registry: Registry; levels: AlarmLevel[]; zone: string; nowMs: number }

const EVENT_COLS = `e.id::text AS id, e.alarm_id::text AS alarm, e.type, e.at, e.level, e.value, e.by_name AS by, e.note, e.assignee`;

/** The notifications of these events, in event order (one query). */
export async function loadNotifications(db: Queryable, ids: string[], d: NotifyDeps): Promise<AlarmNotification[]> {
  if (!ids.length) return [];
  const rows = (await db.query<EventRow & JoinedAlarm>(
    `SELECT ${EVENT_COLS}, ${JOINED_ALARM_COLS} FROM alarm_event e JOIN alarm a ON a.id = e.alarm_id WHERE e.id = ANY($1::bigint[]) ORDER BY e.id`, [ids])).rows;
  return rows.map((r) => ({
    event: presentEvent(r),
    alarm: presentAlarm(joinedAlarm(r), d.registry, d.levels, d.nowMs),
  }));
}

/**
 * SQL conditions on alarm_event e JOIN alarm a for a target's filter: sites (the alarm's site), domains and indicators
 * (the alarm's indicator; a device alarm, whose indicator is empty, by its site's domain), event types and levels.
 */
export function alarmFilterSql(f: { sites?: string[]; domains?: string[]; indicators?: string[] }, a: { events?: string[]; levels?: number[] }, reg: Registry, params: unknown[]): string[] {
  const w: string[] = [];
  const add = (sql: (n: string) => string, v: unknown) => { params.push(v); w.push(sql(`$${params.length}`)); };
  if (f.sites) add((n) => `a.site_id = ANY(${n}::int[])`, f.sites.map((c) => reg.sites.get(c)?.id).filter((x) => x !== undefined));
  if (f.domains) {
    const ds = new Set(f.domains);
    const codes = [...reg.catalogue.values()].filter((i) => ds.has(i.domain)).map((i) => i.code);
    const sites = [...reg.siteById.values()].filter((s) => ds.has((s.doc as { domain?: string }).domain ?? '')).map((s) => s.id);
    params.push(codes, sites);
    w.push(`(a.indicator = ANY($${params.length - 1}::text[]) OR (a.indicator = '' AND a.site_id = ANY($${params.length}::int[])))`);
  }
  if (f.indicators) add((n) => `a.indicator = ANY(${n}::text[])`, f.indicators);
  if (a.events) add((n) => `e.type = ANY(${n}::text[])`, a.events);
  if (a.levels) add((n) => `COALESCE(e.level, a.level) = ANY(${n}::int[])`, a.levels);
  return w;
}
