// What the Alarms page computes: the board's rows from GET /v1/alarms and the registry (站名, 所属企业, 站址 and
// 报警设备 are the registry's names of the alarm's codes), the list's query from the filters, the next handling step
// for a state, a refused step in plain words, and Server-Sent Events parsed from a streamed body. Pure functions, no
// DOM (test/console-ops.test.ts checks them). The steps, states and Chinese names come from the hub's own tables.
import { ACTIONS, type AlarmAction } from '../../hub/alarms/actions.ts';
import { EVENT_NAMES, STATE_NAMES, TYPE_NAMES } from '../../hub/alarms/type-names.ts';
import alarmSchema from '../../schemas/json/alarm.schema.json' with { type: 'json' };
import type { Observation } from './devices-model.ts';

export { ACTIONS, type AlarmAction };

/** i18n.ts's Lang, not imported: through signal.ts it would bring Preact's DOM types into the hub's own type check. */
type Lang = 'zh' | 'en';

/** Handling states in loop order (the alarm schema's enum). */
export const STATES = alarmSchema.properties.state.enum as string[];
/** Not yet through the loop (resolved and archived are done): the board's default. */
export const UNFINISHED = STATES.filter((s) => !['resolved', 'archived'].includes(s));

export interface Alarm {
  id: string; rule: string; site: string; device: string; point: string | null; indicator: string; domain?: string;
  level: number; level_name?: string; level_colour?: string; peak_level?: number; type: string;
  first_time: string; latest_time: string; count: number; peak_value?: number | null; latest_value?: number | null;
  state: string; active: boolean; cleared_time?: string | null; assignee?: string | null;
  ack_due?: string | null; resolve_due?: string | null; overdue?: boolean;
}
export interface AlarmEvent { id: string; type: string; at: string; level: number | null; value: number | null; by: string | null; note: string | null; assignee: string | null }
export interface AlarmDetail extends Alarm { events: AlarmEvent[]; observations: Observation[]; observations_truncated: boolean }

export interface SiteInfo { code: string; name?: string; enterprise?: string; address?: string }
export interface BoardRow {
  alarm: Alarm;
  siteName: string; enterprise: string; address: string; deviceName: string;
}

/** One row per alarm, the registry's names beside its codes (a code stands in for a name the registry lacks). */
export function boardRows(alarms: Alarm[], sites: Map<string, SiteInfo>, deviceNames: Map<string, string>): BoardRow[] {
  return alarms.map((a) => {
    const s = sites.get(a.site);
    return { alarm: a, siteName: s?.name ?? a.site, enterprise: s?.enterprise ?? '', address: s?.address ?? '', deviceName: deviceNames.get(a.device) ?? a.device };
  });
}

export interface BoardFilter { state: string; level: string; enterprise: string; site: string }
export const DEFAULT_FILTER: BoardFilter = { state: 'unfinished', level: '', enterprise: '', site: '' };

/** GET /v1/alarms's query for the filters: `unfinished` is every state before resolved; `all` no state filter. */
export function alarmsQuery(f: BoardFilter, limit: number): string {
  const q = new URLSearchParams();
  if (f.state === 'unfinished') q.set('state', UNFINISHED.join(','));
  else if (f.state && f.state !== 'all') q.set('state', f.state);
  if (f.level) q.set('level', f.level);
  if (f.enterprise) q.set('enterprise', f.enterprise);
  if (f.site) q.set('site', f.site);
  q.set('limit', String(limit));
  return q.toString();
}

/** The enterprises (所属企业) of the registry's sites, sorted, each once. */
export const enterprisesOf = (sites: SiteInfo[]) => [...new Set(sites.map((s) => s.enterprise).filter((e): e is string => !!e))].sort();

/** The step that moves an alarm on from its state (none once archived). */
export function nextAction(state: string): AlarmAction | undefined {
  return (Object.keys(ACTIONS) as AlarmAction[]).find((a) => ACTIONS[a].from === state);
}

const EN_TYPES: Record<string, string> = {
  over_upper_limit: 'over upper limit', under_lower_limit: 'under lower limit', rising_fast: 'rising fast', falling_fast: 'falling fast',
  stuck_value: 'stuck value', bad_quality: 'bad quality', no_data: 'no data', device_offline: 'device offline',
};
const EN_STATES: Record<string, string> = { open: 'open', acknowledged: 'acknowledged', assessed: 'assessed', dispatched: 'dispatched', resolved: 'resolved', archived: 'archived' };
const EN_EVENTS: Record<string, string> = {
  raised: 'raised', escalated: 'escalated', de_escalated: 'de-escalated', cleared: 'cleared',
  acknowledged: 'acknowledged', assessed: 'assessed', dispatched: 'dispatched', resolved: 'resolved', archived: 'archived',
};
const EN_ACTIONS: Record<AlarmAction, string> = { ack: 'Acknowledge', assess: 'Assess', dispatch: 'Dispatch', resolve: 'Resolve (feedback)', archive: 'Archive' };
/** Chinese step names: the event each step records (接警 …), 处置 as the seed says it with its feedback. */
const ZH_ACTIONS: Record<AlarmAction, string> = Object.fromEntries((Object.keys(ACTIONS) as AlarmAction[])
  .map((a) => [a, a === 'resolve' ? '处置反馈' : EVENT_NAMES[ACTIONS[a].to] ?? a])) as Record<AlarmAction, string>;

export const typeName = (type: string, l: Lang) => (l === 'zh' ? TYPE_NAMES : EN_TYPES)[type] ?? type;
export const stateName = (state: string, l: Lang) => (l === 'zh' ? STATE_NAMES : EN_STATES)[state] ?? state;
export const eventName = (type: string, l: Lang) => (l === 'zh' ? EVENT_NAMES : EN_EVENTS)[type] ?? type;
export const actionName = (a: AlarmAction, l: Lang) => (l === 'zh' ? ZH_ACTIONS : EN_ACTIONS)[a];

/** A level as people say it: 一级 (its configured name) in Chinese; `level 1 (一级)` in English. */
export function levelLabel(a: { level: number; level_name?: string }, l: Lang): string {
  if (l === 'zh') return a.level_name || `${a.level}级`;
  return `level ${a.level}${a.level_name ? ` (${a.level_name})` : ''}`;
}

/** A refused handling step in words a person can act on, from the hub's error code and details. */
export function refusalWords(e: { status: number; code: string; message: string; path?: string; details?: Record<string, unknown> }, action: AlarmAction, l: Lang): string {
  const step = actionName(action, l);
  const d = e.details ?? {};
  if (e.code === 'ALARM_TRANSITION_INVALID' && d.active === true) {
    return l === 'zh' ? `无法${step}：报警条件仍然存在（尚未解除）。报警解除后才能归档。` : `Cannot ${step.toLowerCase()}: the alarm's condition still holds (not cleared). It can be archived once it has cleared.`;
  }
  if (e.code === 'ALARM_TRANSITION_INVALID' && typeof d.state === 'string') {
    const now = stateName(d.state, l), needs = typeof d.needs === 'string' ? stateName(d.needs, l) : '?';
    return l === 'zh'
      ? `无法${step}：此报警当前为“${now}”，${step}需要它处于“${needs}”。可能已有他人处理，页面已刷新为最新状态。`
      : `Cannot ${step.toLowerCase()}: the alarm is now ${now}, and this step needs it ${needs}. Someone else may have handled it; the page now shows its current state.`;
  }
  if (e.code === 'ALARM_NOT_FOUND') return l === 'zh' ? '此报警不存在，或不在此密钥可见的范围内。' : 'No such alarm, or it is outside what this key may see.';
  if (e.code === 'BODY_INVALID' && /assignee/.test(`${e.path ?? ''} ${e.message}`)) return l === 'zh' ? '派单需要填写处置人或单位。' : 'Dispatching needs who handles it.';
  if (e.code === 'BODY_INVALID' && /note/.test(`${e.path ?? ''} ${e.message}`)) return l === 'zh' ? '处置反馈需要填写处置情况说明。' : 'Resolving needs a note on what was done.';
  if (e.status === 403) return l === 'zh' ? '此密钥没有 admin 权限，不能处置报警。' : 'This key has no admin scope: it cannot handle alarms.';
  return e.message;
}

export interface SseEvent { id?: string; event: string; data: string }

/**
 * Complete events in `buffer` (text/event-stream: fields `id:`, `event:`, `data:`, a blank line ends an event; lines
 * starting with `:` are comments), and what is left of an event not yet complete.
 */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const text = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', start)) {
    const block = text.slice(start, end);
    start = end + 2;
    let id: string | undefined, event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) events.push({ id, event, data: data.join('\n') });
  }
  return { events, rest: text.slice(start) };
}
