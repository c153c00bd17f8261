// /v1/alarms: the alarm list and one alarm with its events (read), and the handling loop (admin). docs/alarms.md.
import type { RouteModule } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { storeId, storableText } from '../guard.ts';
import { siteVisible, toFilter } from '../query.ts';
import { filterProps } from './observation-filters.ts';
import { board, stream } from './alarm-board.ts';
import { ACTIONS, alarmEvents, getAlarm, queryAlarms, transition, type AlarmAction, type AlarmRow } from '../../alarms/handling.ts';

export type Presented = Record<string, unknown> & { id: string; site: string };

const STATES = ['open', 'acknowledged', 'assessed', 'dispatched', 'resolved', 'archived'];

const alarms: RouteModule = (app, deps) => {
  const a = deps.alarms;
  if (!a) return;
  const present = (r: AlarmRow): Presented => {
    const reg = deps.registry.registry;
    const p = r.point_id === null ? undefined : reg.pointById.get(r.point_id), d = reg.deviceById.get(r.device_id), s = reg.siteById.get(r.site_id);
    const lv = a.levels.find((l) => l.level === r.level);
    const peak = a.levels.find((l) => l.level === r.peak_level);
    const first = r.first_time.getTime(), now = a.clock.now();
    const ackDue = peak?.ack_within_s ? first + peak.ack_within_s * 1000 : null;
    const resolveDue = peak?.resolve_within_s ? first + peak.resolve_within_s * 1000 : null;
    const unresolved = ['open', 'acknowledged', 'assessed', 'dispatched'].includes(r.state);
    const overdue = (ackDue !== null && r.state === 'open' && now > ackDue) || (resolveDue !== null && unresolved && now > resolveDue);
    return {
      id: r.id, rule: r.rule, site: s?.code ?? String(r.site_id), device: d?.code ?? String(r.device_id), point: r.point_id === null ? null : p?.code ?? String(r.point_id),
      indicator: r.indicator, domain: reg.catalogue.get(r.indicator)?.domain ?? (s?.doc as { domain?: string } | undefined)?.domain ?? '', level: r.level, level_name: lv?.name ?? String(r.level), level_colour: lv?.colour ?? '',
      peak_level: r.peak_level, type: r.type, first_time: r.first_time.toISOString(), latest_time: r.latest_time.toISOString(), count: r.count,
      peak_value: r.peak_value, latest_value: r.latest_value, active: r.active, cleared_time: r.cleared_time?.toISOString() ?? null, state: r.state, assignee: r.assignee,
      ack_due: ackDue === null ? null : new Date(ackDue).toISOString(), resolve_due: resolveDue === null ? null : new Date(resolveDue).toISOString(), overdue,
    };
  };

  app.get<{ Querystring: { state?: string; level?: string; active?: boolean; site?: string; device?: string; point?: string; indicator?: string; domain?: string; from?: string; to?: string; cursor?: string; limit?: number } }>('/v1/alarms', {
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
    const limit = q.limit ?? 100;
    const rows = await queryAlarms(deps.db, {
      // pointIds only for an explicit point: toFilter narrows site/device to their points, which would drop device alarms.
      states, levels, siteIds: f.siteIds, deviceIds: f.deviceIds, pointIds: q.point === undefined ? undefined : f.pointIds, indicators: f.indicators, active: q.active,
      fromMs: f.fromMs, toMs: f.toMs, beforeId: q.cursor === undefined ? undefined : storeId(q.cursor, '/cursor'), limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    req.pulled = { rows: page.length };
    return { data: page.map(present), next_cursor: rows.length > limit ? page[page.length - 1]!.id : null };
  });

  board(app, deps, present);
  stream(app, deps, present);

  app.get<{ Params: { id: string } }>('/v1/alarms/:id', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['alarms'], summary: 'One alarm with every event (raised, escalated, de_escalated, cleared, handling steps).',
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } } },
      response: { 200: { $ref: 'lifeline:alarm#' } },
    },
  }, async (req) => {
    const id = storeId(req.params.id, '/id');
    const r = await getAlarm(deps.db, id);
    // An alarm of a site outside the key's scope is answered as one that does not exist.
    const reg = deps.registry.registry;
    if (!r || !siteVisible(reg, req.principal?.data, reg.siteById.get(r.site_id))) throw new LifelineError('ALARM_NOT_FOUND', `no alarm ${id}`);
    const events = (await alarmEvents(deps.db, id)).map((e) => ({ ...e, at: e.at.toISOString() }));
    req.pulled = { rows: 1 };
    return { ...present(r), events };
  });

  for (const action of Object.keys(ACTIONS) as AlarmAction[]) {
    const required = action === 'dispatch' ? ['assignee'] : action === 'resolve' ? ['note'] : [];
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
