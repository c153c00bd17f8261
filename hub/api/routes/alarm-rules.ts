// /v1/alarm-rules: rule overrides kept in the store (CRUD, admin), the rules in force for a point, and a backtest
// (a rule over a past window → the alarms it would have raised, nothing written). docs/alarms.md.
import type { RouteModule } from '../context.ts';
import type { AlarmRule } from '../../../schemas/generated/types.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { storeId } from '../guard.ts';
import { toFilter } from '../query.ts';
import { filterProps } from './observation-filters.ts';
import { compileRule, targetOf, type AlarmOverride, type CompiledRule } from '../../alarms/rules.ts';
import { checkStoredRule, deleteStoredRule, insertStoredRule, loadStoredRules, replaceStoredRule, type StoredRule } from '../../alarms/rule-store.ts';
import { backtest } from '../../alarms/backtest.ts';

const overrideBody = {
  type: 'object', additionalProperties: false, required: ['rule'],
  properties: {
    site: { type: 'string', description: 'Site code: the rule applies to its points.' },
    device: { type: 'string', description: 'Device code: the rule applies to its points.' },
    point: { type: 'string', description: 'Point code.' },
    indicator: { type: 'string', description: 'Only points of this indicator (with site or device).' },
    rule: { $ref: 'lifeline:alarm-rule#' },
  },
} as const;
const stored = { type: 'object', properties: { id: { type: 'string' }, ...overrideBody.properties, updated_by: { type: ['string', 'null'] }, updated_at: { type: 'string' } } } as const;
const idParams = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } } } as const;

const alarmRules: RouteModule = (app, deps) => {
  const a = deps.alarms;
  if (!a) return;
  const show = (r: StoredRule) => ({ id: r.id, ...r.override, updated_by: r.updated_by, updated_at: new Date(r.updated_at).toISOString() });
  const one = async (id: string) => {
    const r = (await loadStoredRules(deps.db)).find((x) => x.id === id);
    if (!r) throw new LifelineError('ALARM_RULE_NOT_FOUND', `no alarm rule ${id} (GET /v1/alarm-rules lists them)`);
    return r;
  };

  app.get<{ Querystring: { point?: string } }>('/v1/alarm-rules', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: {
      tags: ['alarm-rules'], summary: 'Rule overrides added through the API; with ?point=, the rules in force for that point and where each comes from.',
      querystring: { type: 'object', additionalProperties: false, properties: { point: { type: 'string', description: 'A point code.' } } },
    },
  }, async (req) => {
    if (req.query.point !== undefined) {
      const p = deps.registry.registry.points.get(req.query.point);
      if (!p) throw new LifelineError('QUERY_INVALID', `point: "${req.query.point}" is not registered`, { details: { path: '/point' } });
      return { point: p.code, data: a.evaluator.context().rules.resolve(p).map((x) => ({ from: x.where, rule: x.rule })) };
    }
    return { data: (await loadStoredRules(deps.db)).map(show) };
  });

  app.get<{ Params: { id: string } }>('/v1/alarm-rules/:id', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: { tags: ['alarm-rules'], summary: 'One rule override.', params: idParams, response: { 200: stored } },
  }, async (req) => show(await one(storeId(req.params.id, '/id'))));

  const checked = (body: AlarmOverride) => { checkStoredRule(body, deps.registry.registry); return body; };
  const changed = async () => { await a.evaluator.reloadRules(); };

  app.post<{ Body: AlarmOverride }>('/v1/alarm-rules', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: { tags: ['alarm-rules'], summary: 'Add a rule override (site, device or point; applied after the config\'s at its scope).', body: overrideBody, response: { 201: stored } },
  }, async (req, reply) => {
    const id = await insertStoredRule(deps.db, checked(req.body), req.principal?.name ?? 'unknown');
    await changed();
    req.log.info({ audit: true, by: req.principal?.name, alarm_rule: id }, 'alarm rule added');
    reply.code(201);
    return show(await one(id));
  });

  app.put<{ Params: { id: string }; Body: AlarmOverride }>('/v1/alarm-rules/:id', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: { tags: ['alarm-rules'], summary: 'Replace a rule override.', params: idParams, body: overrideBody, response: { 200: stored } },
  }, async (req) => {
    const id = storeId(req.params.id, '/id');
    if (!(await replaceStoredRule(deps.db, id, checked(req.body), req.principal?.name ?? 'unknown'))) throw new LifelineError('ALARM_RULE_NOT_FOUND', `no alarm rule ${id}`);
    await changed();
    req.log.info({ audit: true, by: req.principal?.name, alarm_rule: id }, 'alarm rule replaced');
    return show(await one(id));
  });

  app.delete<{ Params: { id: string } }>('/v1/alarm-rules/:id', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: { tags: ['alarm-rules'], summary: 'Delete a rule override (its active alarms stay until they clear or are handled).', params: idParams },
  }, async (req, reply) => {
    const id = storeId(req.params.id, '/id');
    if (!(await deleteStoredRule(deps.db, id))) throw new LifelineError('ALARM_RULE_NOT_FOUND', `no alarm rule ${id}`);
    await changed();
    req.log.info({ audit: true, by: req.principal?.name, alarm_rule: id }, 'alarm rule deleted');
    reply.code(204);
  });

  app.post<{ Body: { rule: AlarmRule; site?: string; device?: string; point?: string; from: string; to: string } }>('/v1/alarm-rules/backtest', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: {
      tags: ['alarm-rules'],
      summary: 'Run a rule over the stored real-time observations of some points in a past window: the alarms it would have raised, with their events. Nothing is written. threshold, rate_of_change, stuck and quality rules.',
      body: {
        type: 'object', additionalProperties: false, required: ['rule', 'from', 'to'],
        properties: {
          rule: { $ref: 'lifeline:alarm-rule#' },
          site: filterProps.site, device: filterProps.device, point: filterProps.point,
          from: { type: 'string', description: 'Window start (ISO 8601 in the hub zone, or epoch ms).' },
          to: { type: 'string', description: 'Window end (exclusive).' },
        },
      },
    },
  }, async (req) => {
    const b = req.body;
    if (b.site === undefined && b.device === undefined && b.point === undefined) throw new LifelineError('BODY_INVALID', '/body: name the points: site, device or point (comma-separated codes)', { details: { path: '/body' } });
    if (b.rule.kind === 'no_data') throw new LifelineError('BODY_INVALID', '/body/rule/kind: a no_data rule runs on the clock and cannot be backtested over stored readings', { details: { path: '/body/rule/kind' } });
    const reg = deps.registry.registry;
    let f;
    try { f = toFilter({ site: b.site, device: b.device, point: b.point, from: b.from, to: b.to }, reg, deps.timezone); } catch (e) {
      const err = e as LifelineError;
      throw new LifelineError('BODY_INVALID', err.message, { details: err.details });
    }
    if (f.fromMs === undefined || f.toMs === undefined || f.toMs <= f.fromMs) throw new LifelineError('BODY_INVALID', '/body/to: must be after from', { details: { path: '/body/to' } });
    const points = f.pointIds ?? [...reg.pointById.values()].filter((p) => (!f.siteIds || f.siteIds.includes(p.device.site.id)) && (!f.deviceIds || f.deviceIds.includes(p.device.id))).map((p) => p.id);
    const rules = new Map<number, CompiledRule>();
    for (const id of points) {
      const p = reg.pointById.get(id)!;
      try { rules.set(id, compileRule(b.rule, targetOf(p), '/body/rule')); } catch (e) {
        throw new LifelineError('BODY_INVALID', `/body/rule: does not fit point ${p.code}: ${(e as Error).message}`, { details: { path: '/body/rule' } });
      }
    }
    const r = await backtest(deps.db, a.evaluator.context(), rules, f.fromMs, f.toMs);
    return { ...r, alarms: r.alarms.map((x) => ({ ...x, point: reg.pointById.get(x.point)?.code ?? String(x.point) })) };
  });
};

export default alarmRules;
