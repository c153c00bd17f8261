import type { RouteModule } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';

const indicators: RouteModule = (app, deps) => {
  app.get<{ Querystring: { domain?: string } }>('/v1/indicators', {
    config: { scope: 'read', dataScope: 'none' },
    schema: {
      tags: ['catalogue'], summary: 'The indicator catalogue (seed tables 1–5).',
      querystring: { type: 'object', additionalProperties: false, properties: { domain: { $ref: 'lifeline:domain#' } } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'lifeline:indicator#' } } } } },
    },
  }, async (req) => {
    const all = [...deps.registry.registry.catalogue.values()];
    return { data: req.query.domain ? all.filter((i) => i.domain === req.query.domain) : all };
  });

  app.get<{ Params: { code: string } }>('/v1/indicators/:code', {
    config: { scope: 'read', dataScope: 'none' },
    schema: { tags: ['catalogue'], summary: 'One indicator.', response: { 200: { $ref: 'lifeline:indicator#' } } },
  }, async (req) => {
    const i = deps.registry.registry.catalogue.get(req.params.code);
    if (!i) throw new LifelineError('REGISTRY_NOT_FOUND', `indicator "${req.params.code}" is not in the catalogue`);
    return i;
  });
};

export default indicators;
