// GET /v1/audit: the pull audit, newest first (admin). What is recorded: hub/access/audit.ts; docs/api.md#pull-audit.
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.ts';
import { queryAudit, type PullAudit } from '../../access/audit.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { parseTime } from '../../time/parse.ts';
import { storeId } from '../guard.ts';

export default function auditRoutes(app: FastifyInstance, deps: ApiDeps, audit: PullAudit | undefined): void {
  app.get<{ Querystring: { key?: string; route?: string; from?: string; to?: string; cursor?: string; limit?: number } }>('/v1/audit', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: {
      tags: ['keys'], summary: 'Who pulled what, newest first: key, route, filter, status, rows returned, bytes, duration. Rows are written in batches (api.audit.flush_ms); this route writes the pending ones first.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          key: { type: 'string', description: 'Key id (as in GET /v1/keys: a store id, or config:<name>).' },
          route: { type: 'string', description: 'Route pattern, e.g. /v1/observations.' },
          from: { type: 'string', description: 'Inclusive start of the read time: ISO 8601 (without offset: the hub zone) or epoch ms.' },
          to: { type: 'string', description: 'Exclusive end, same forms as from.' },
          cursor: { type: 'string', pattern: '^[0-9]+$', description: 'next_cursor of the previous page.' },
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            data: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'string' }, at: { type: 'string' }, key_id: { type: 'string' }, key_name: { type: 'string' }, method: { type: 'string' },
                  route: { type: 'string' }, filter: { type: 'object', additionalProperties: true }, status: { type: 'integer' }, rows: { type: 'integer' },
                  bytes: { type: 'integer' }, duration_ms: { type: 'number' },
                },
              },
            },
            next_cursor: { type: ['string', 'null'] },
          },
        },
      },
    },
  }, async (req) => {
    const q = req.query;
    const time = (k: 'from' | 'to') => {
      const v = q[k];
      if (v === undefined) return undefined;
      const ms = parseTime(/^\d+$/.test(v) ? Number(v) : v, deps.timezone);
      if (Number.isNaN(ms)) throw new LifelineError('QUERY_INVALID', `${k}: "${v.slice(0, 40)}" is not an ISO 8601 date-time or epoch ms`, { details: { path: `/${k}` } });
      return ms;
    };
    await audit?.flush();
    const limit = q.limit ?? 100;
    const rows = await queryAudit(deps.db, {
      keyId: q.key, route: q.route, fromMs: time('from'), toMs: time('to'), beforeId: q.cursor === undefined ? undefined : storeId(q.cursor, '/cursor'), limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return { data: page.map((r) => ({ ...r, at: r.at.toISOString() })), next_cursor: rows.length > limit ? page[page.length - 1]!.id : null };
  });
}
