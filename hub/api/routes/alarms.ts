// /v1/alarms: the alarm list and one alarm with its events (read), and the handling loop (admin). docs/alarms.md.
import type { RouteModule } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { storeId, storableText } from '../guard.ts';
import { siteVisible, toFilter } from '../query.ts';
import { filterProps } from './observation-filters.ts';
import { board, stream } from './alarm-board.ts';
import { ACTIONS, alarmEvents, getAlarm, queryAlarms, transition, type AlarmAction, type AlarmRow } from '../../alarms/handling.ts';
import { presentAlarm, presentEvent } from '../../alarms/present.ts';
import { alarmReadings } from '../../alarms/readings.ts';
import { presentObservation } from '../present.ts';
import type { Alarm } from '../../../schemas/generated/types.ts';

export type Presented = Alarm;

const STATES = ['open', 'acknowledged', 'assessed', 'dispatched', 'resolved', 'archived'];
/** Readings shown with one alarm at most (GET /v1/alarms/{id}). */
const MAX_READINGS = 500;

const alarms: RouteModule = (app, deps) => {
  const a = deps.alarms;
  if (!a) return;
  const present = (r: AlarmRow): Presented => presentAlarm(r, deps.registry.registry, a.levels, a.clock.now());

  app.get<{ Querystring: { state?: string; level?: string; active?: boolean; site?: string; enterprise?: string; device?: string; point?: string; indicator?: string; domain?: string; from?: string; to?: string; cursor?: string; limit?: number } }>('/v1/alarms', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['alarms'], summary: 'Alarms, newest first, with filters; from/to select the first (raise) time.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          state: { type: 'string', description: `Handling state(s), comma-separated: ${STATES.join(', ')}.` },
          level: { type: 'string', description: 'Level(s), comma-separated (1 most severe).' },
          active: { type: 'boolean', description: 'true: condition still holds; false: cleared.' },
          site: filterProps.site, device: filterProps.device, point: filterProps.point, indicator: filterProps.indicator, domain: filterProps.domain,
          enterprise: { type: 'string', description: 'Site enterprise(s) (所属企业), exactly as registered; comma-separated.' },
          from: filterProps.from, to: filterProps.to,
          cursor: { type: 'string', pattern: '^[0-9]+$', description: 'next_cursor of the previous page.' },
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
        },
      },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'lifeline:alarm#' } }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const q = req.query;
    const f = toFilter({ site: q.site, device: q.device, point: q.point, indicator: q.indicator, domain: q.domain, from: q.from, to: q.to }, deps.registry.registry, deps.timezone, req.principal?.data);
    const states = q.state?.split(',').map((s) => s.trim());
    for (const s of states ?? []) if (!STATES.includes(s)) throw new LifelineError('QUERY_INVALID', `state: "${s}" is not one of ${STATES.join(', ')}`, { details: { path: '/state' } });
    const levels = q.level?.split(',').map((s) => Number(s.trim()));
    for (const l of levels ?? []) if (!Number.isInteger(l) || l < 1 || l > 4) throw new LifelineError('QUERY_INVALID', 'level: levels are 1 to 4', { details: { path: '/level' } });
    let siteIds = f.siteIds;
    if (q.enterprise !== undefined) {
      // Sites of those enterprises, within what the site filter and the key's scope allow (an unknown name: no rows).
      const names = new Set(q.enterprise.split(',').map((s) => s.trim()));
      const of = [...deps.registry.registry.siteById.values()].filter((s) => names.has((s.doc as { enterprise?: string }).enterprise ?? '')).map((s) => s.id);
      siteIds = siteIds ? of.filter((id) => siteIds!.includes(id)) : of;
    }
    const limit = q.limit ?? 100;
    const rows = await queryAlarms(deps.db, {
      // pointIds only for an explicit point: toFilter narrows site/device to their points, which would drop device alarms.
      states, levels, siteIds, deviceIds: f.deviceIds, pointIds: q.point === undefined ? undefined : f.pointIds, indicators: f.indicators, active: q.active,
      // domain: a device alarm (device_offline, no indicator) by its site's domain.
      deviceAlarmSiteIds: q.domain && !q.indicator && !q.point ? [...deps.registry.registry.siteById.values()].filter((s) => (s.doc as { domain?: string }).domain === q.domain).map((s) => s.id) : undefined,
      fromMs: f.fromMs, toMs: f.toMs, beforeId: q.cursor === undefined ? undefined : storeId(q.cursor, '/cursor'), limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    req.pulled = { rows: page.length };
    return { data: page.map(present), next_cursor: rows.length > limit ? page[page.length - 1]!.id : null };
  });

  board(app, deps, present);
  stream(app, deps, present);

  app.get<{ Params: { id: string }; Querystring: { readings?: number } }>('/v1/alarms/:id', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['alarms'],
      summary: 'One alarm with every event (raised, escalated, de_escalated, cleared, handling steps) and the readings that raised it: its point\'s real-time observations over the alarm\'s window (docs/alarms.md).',
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } } },
      querystring: { type: 'object', additionalProperties: false, properties: { readings: { type: 'integer', minimum: 0, maximum: MAX_READINGS, default: 100, description: `Most observations to include (0: none; at most ${MAX_READINGS}).` } } },
      response: { 200: { $ref: 'lifeline:alarm#' } },
    },
  }, async (req) => {
    const id = storeId(req.params.id, '/id');
    const r = await getAlarm(deps.db, id);
    // An alarm of a site outside the key's scope is answered as one that does not exist.
    const reg = deps.registry.registry;
    if (!r || !siteVisible(reg, req.principal?.data, reg.siteById.get(r.site_id))) throw new LifelineError('ALARM_NOT_FOUND', `no alarm ${id}`);
    const events = (await alarmEvents(deps.db, id)).map(presentEvent);
    const readings = await alarmReadings(deps.db, r, a.evaluator.context(), req.query.readings ?? 100);
    req.pulled = { rows: 1 + readings.rows.length };
    return { ...present(r), events, observations: readings.rows.map((o) => presentObservation(o, reg)), observations_truncated: readings.truncated };
  });

  for (const action of Object.keys(ACTIONS) as AlarmAction[]) {
    const required: string[] = [...ACTIONS[action].requires];
    app.post<{ Params: { id: string }; Body: { note?: string; assignee?: string } }>(`/v1/alarms/:id/${action}`, {
      config: { scope: 'admin', dataScope: 'admin' },
      preValidation: async (req) => { req.body ??= {}; },
      schema: {
        tags: ['alarms'], summary: `Handling step: ${ACTIONS[action].from} → ${ACTIONS[action].to}. Records the API key's name, the time and the note.`,
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } } },
        body: {
          type: 'object', additionalProperties: false, required,
          properties: {
            note: { type: 'string', minLength: required.includes('note') ? 1 : 0, maxLength: 4000 },
            ...(action === 'dispatch' ? { assignee: { type: 'string', minLength: 1, maxLength: 200, description: 'Who handles it (派单).' } } : {}),
          },
        },
        response: { 200: { $ref: 'lifeline:alarm#' } },
      },
    }, async (req) => {
      const id = storeId(req.params.id, '/id');
      storableText(req.body.note, '/body/note');
      storableText(req.body.assignee, '/body/assignee');
      await transition(deps.db, id, action, { by: req.principal?.name ?? 'unknown', note: req.body.note, assignee: req.body.assignee, nowMs: a.clock.now() });
      req.log.info({ audit: true, by: req.principal?.name, alarm: id, action }, 'alarm handled');
      a.evaluator.changed();
      return present((await getAlarm(deps.db, id))!);
    });
  }
};

export default alarms;
