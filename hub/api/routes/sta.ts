// OGC SensorThings API v1.1, read only, at /sta/v1.1 (docs/sensorthings.md). Sensing Core and the Filtering Extension
// over the hub's registry and store; every statement is narrowed by the key's data scope (hub/access/scope.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '../context.ts';
import type { Indicator } from '../../../schemas/generated/types.ts';
import { ENTITIES } from '../../sta/entities.ts';
import { parseOptions } from '../../sta/options.ts';
import { OptionError } from '../../sta/filter-sql.ts';
import { answer, NotFound } from '../../sta/query.ts';

export const STA_ROOT = '/sta/v1.1';

const CONFORMANCE = [
  'http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel',
  'http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities',
  'http://www.opengis.net/spec/iot_sensing/1.1/req/request-data',
  'http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array',
];

// The catalogue as jsonb_to_recordset rows, built once per catalogue (it changes only with a restart).
const catalogueRows = new WeakMap<Map<string, Indicator>, string>();
export function catalogueJson(cat: Map<string, Indicator>): string {
  let s = catalogueRows.get(cat);
  if (!s) {
    s = JSON.stringify([...cat.values()].map((i) => ({
      code: i.code, name: i.name.en, name_zh: i.name.zh, description: `${i.name.en} (${i.object.en}), ${i.quantity} in ${i.unit}`, domain: i.domain, unit: i.unit,
    })));
    catalogueRows.set(cat, s);
  }
  return s;
}

/** The standard's error body (OData JSON error format), with the hub's code and the option it is about. */
function fail(reply: FastifyReply, status: number, code: string, message: string, target?: string) {
  return reply.code(status).send({ error: { code, message, ...(target ? { target } : {}) } });
}

const base = (req: FastifyRequest) => `${req.protocol}://${req.host}${STA_ROOT}`;

const sta: RouteModule = (app, deps) => {
  // dataScope: 'site' — every answer is narrowed by req.principal.data (the scoped-keys matrix test reads this).
  const config = { scope: 'read' as const, dataScope: 'site' as const };

  app.get(STA_ROOT, { config, schema: { tags: ['sensorthings'], summary: 'SensorThings v1.1 service root: the entity sets and conformance classes.' } }, async (req) => ({
    value: Object.keys(ENTITIES).map((name) => ({ name, url: `${base(req)}/${name}` })),
    serverSettings: { conformance: CONFORMANCE },
  }));

  app.get<{ Params: { '*': string }; Querystring: Record<string, string | string[]> }>(`${STA_ROOT}/*`, {
    config,
    schema: { tags: ['sensorthings'], summary: 'SensorThings v1.1 resources (Things, Locations, HistoricalLocations, Sensors, ObservedProperties, Datastreams, Observations, FeaturesOfInterest) with $filter, $expand, $select, $orderby, $top, $skip, $count, $resultFormat=dataArray.' },
  }, async (req, reply) => {
    const path = req.params['*'] ?? '';
    if (!path) return reply.redirect(STA_ROOT);
    try {
      const raw: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.query ?? {})) {
        if (Array.isArray(v)) throw new OptionError(k, 'is given more than once');
        raw[k] = v;
      }
      const o = parseOptions(raw);
      const res = await answer(
        { db: deps.db, scope: req.principal?.data, catalogue: catalogueJson(deps.registry.registry.catalogue), base: base(req) },
        path, o, `${base(req)}/${path}`,
      );
      if ('text' in res) { req.pulled = { rows: 1 }; return reply.type('text/plain; charset=utf-8').send(res.text); }
      // A collection page already written as JSON text in UTF-8 (hub/sta/write.ts): sent as it is, with the type fastify gives the JSON it serialises.
      if ('body' in res) { req.pulled = { rows: res.rows }; return reply.type('application/json; charset=utf-8').send(res.body); }
      // For the pull audit: the entities of a collection's page, or the one entity asked for.
      const value = (res.json as { value?: unknown } | null)?.value;
      req.pulled = { rows: Array.isArray(value) ? value.length : 1 };
      return res.json;
    } catch (e) {
      if (e instanceof OptionError) return fail(reply, 400, 'STA_QUERY_INVALID', e.message, e.option.replace(/\(.*$/s, '').replace(/=.*$/s, '') || undefined);
      if (e instanceof NotFound) return fail(reply, 404, 'STA_NOT_FOUND', e.message);
      // A value the SQL cannot evaluate (numeric overflow, a bad cast): the client's filter, not a store fault.
      const sqlState = (e as { code?: unknown }).code;
      if (typeof sqlState === 'string' && /^22/.test(sqlState)) return fail(reply, 400, 'STA_QUERY_INVALID', `$filter: the expression cannot be evaluated: ${(e as Error).message}`, '$filter');
      throw e;
    }
  });
};

export default sta;
