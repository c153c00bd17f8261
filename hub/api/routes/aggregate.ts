// GET /v1/observations/aggregate: the derived minute/hour/day rollups (hub/store/rollups.ts), with the filters of
// /v1/observations (kind excepted: rollups are of rtd readings), paged by (bucket, point).
import type { RouteModule } from '../context.ts';
import type { Aggregate } from '../../../schemas/generated/types.ts';
import type { Registry } from '../../registry/registry.ts';
import { queryAggregates, type RollupInterval, type RollupRow } from '../../store/rollups.ts';
import { toFilter, encodeCursor, type ObservationQuery } from '../query.ts';
import { filterProps } from './observation-filters.ts';

interface AggregateQuery extends Omit<ObservationQuery, 'kind' | 'format'> { interval: RollupInterval }

function present(r: RollupRow, reg: Registry): Aggregate {
  return {
    point: reg.pointById.get(r.point_id)?.code ?? `#${r.point_id}`,
    device: reg.deviceById.get(r.device_id)?.code ?? `#${r.device_id}`,
    site: reg.siteById.get(r.site_id)?.code ?? `#${r.site_id}`,
    indicator: r.indicator,
    domain: (reg.catalogue.get(r.indicator)?.domain ?? r.indicator.split('.')[0]) as Aggregate['domain'],
    unit: r.unit,
    interval: r.interval,
    bucket: r.bucket.toISOString(),
    avg: r.sum / r.count,
    min: r.min,
    max: r.max,
    count: r.count,
    first: { time: r.first_time.toISOString(), value: r.first_value },
    last: { time: r.last_time.toISOString(), value: r.last_value },
    flagged: r.flagged,
    derived: true,
  };
}

const aggregate: RouteModule = (app, deps) => {
  const { kind: _kind, ...filters } = filterProps;
  app.get<{ Querystring: AggregateQuery }>('/v1/observations/aggregate', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['data'],
      summary: 'Derived minute/hour/day aggregates of rtd readings (avg, min, max, count, first, last, flagged), in (bucket, point) order. from/to select bucket starts; buckets follow the hub time zone.',
      querystring: {
        type: 'object', additionalProperties: false, required: ['interval'],
        properties: {
          interval: { type: 'string', enum: ['1m', '1h', '1d'], description: 'Bucket length: minute, hour or day of the hub time zone.' },
          ...filters,
          cursor: { type: 'string', description: 'next_cursor of the previous page.' },
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
        },
      },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'lifeline:aggregate#' } }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const reg = deps.registry.registry;
    const { kind: _k, ...filter } = toFilter(req.query, reg, deps.timezone, req.principal?.data);
    const limit = req.query.limit ?? 1000;
    const rows = await queryAggregates(deps.db, { ...filter, interval: req.query.interval, limit: limit + 1 });
    const page = rows.slice(0, limit);
    req.pulled = { rows: page.length };
    const last = page[page.length - 1];
    return { data: page.map((r) => present(r, reg)), next_cursor: rows.length > limit && last ? encodeCursor(last.bucket.getTime(), String(last.point_id)) : null };
  });
};

export default aggregate;
