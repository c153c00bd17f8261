// /v1/publish: upstream delivery targets — status (read), pause/resume and dead-letter replay (admin, audited).
import type { RouteModule } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { isStoreId, storeId } from '../guard.ts';

const nameParam = { type: 'object', properties: { name: { type: 'string', description: 'Target name (publish.targets key).' } }, required: ['name'] };

const targetStatus = {
  type: 'object',
  properties: {
    name: { type: 'string' }, type: { type: 'string' },
    stream: { type: 'string', enum: ['observations', 'alarms'], description: 'What the target carries; for alarms, backlog and lag count alarm events.' },
    state: { type: 'string', enum: ['running', 'paused', 'retrying', 'disabled'] },
    backlog: { type: 'integer', description: 'Observations committed but not yet delivered.' },
    pending_batches: { type: 'integer' },
    lag_seconds: { type: 'number', description: 'Age of the oldest undelivered observation (since commit).' },
    attempts: { type: 'integer', description: 'Attempts so far on the batch at the head of the line.' },
    last_error: { type: ['string', 'null'] }, next_attempt_at: { type: ['string', 'null'] },
    dead_letters: { type: 'integer' }, delivered_since_start: { type: 'integer' },
  },
};

const publish: RouteModule = (app, deps) => {
  const engine = () => {
    if (!deps.publish) throw new LifelineError('PUBLISH_TARGET_NOT_FOUND', 'no publish targets are configured (publish.targets)');
    return deps.publish;
  };

  app.get('/v1/publish/targets', {
    config: { scope: 'read', dataScope: 'unscoped' },
    schema: { tags: ['publish'], summary: 'Each upstream target: state, backlog, lag, attempts on the head batch, dead letters.', response: { 200: { type: 'object', properties: { driver: { type: ['string', 'null'] }, data: { type: 'array', items: targetStatus } } } } },
  }, async () => ({ driver: deps.publish?.driver ?? null, data: deps.publish ? await deps.publish.status() : [] }));

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { name: string } }>(`/v1/publish/targets/:name/${action}`, {
      config: { scope: 'admin', dataScope: 'admin' },
      schema: { tags: ['publish'], summary: action === 'pause' ? 'Stop sending to a target (batches keep building up; survives restarts).' : 'Resume sending to a paused target.', params: nameParam },
    }, async (req) => {
      await engine()[action](req.params.name);
      req.log.info({ audit: true, by: req.principal?.name, target: req.params.name, action }, `publish target ${action}d`);
      return { name: req.params.name, paused: action === 'pause' };
    });
  }

  app.get<{ Params: { name: string }; Querystring: { cursor?: string; limit?: number } }>('/v1/publish/targets/:name/dead-letters', {
    config: { scope: 'read', dataScope: 'unscoped' },
    schema: {
      tags: ['publish'], summary: 'Batches a target refused or that ran out of attempts, with the reason and the target\'s answer.',
      params: nameParam,
      querystring: { type: 'object', additionalProperties: false, properties: { cursor: { type: 'string', pattern: '^[0-9]+$' }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 100;
    const cursor = req.query.cursor === undefined ? undefined : storeId(req.query.cursor, '/cursor');
    const rows = await engine().deadLetters(req.params.name, cursor, limit + 1);
    const page = rows.slice(0, limit);
    return {
      data: page.map((r) => ({ ...r, created_at: r.created_at.toISOString(), dead_at: r.done_at?.toISOString() ?? null, done_at: undefined })),
      next_cursor: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  });

  app.post<{ Params: { name: string; id: string } }>('/v1/publish/targets/:name/dead-letters/:id/replay', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: { tags: ['publish'], summary: 'Send a dead-lettered batch again (same observations, same idempotency key); it goes first in line.', params: { type: 'object', properties: { name: { type: 'string' }, id: { type: 'string' } }, required: ['name', 'id'] } },
  }, async (req) => {
    if (!isStoreId(req.params.id)) throw new LifelineError('PUBLISH_DEAD_LETTER_NOT_FOUND', `"${req.params.id}" is not a dead-letter id`);
    const replayed = await engine().replay(req.params.name, [req.params.id]);
    req.log.info({ audit: true, by: req.principal?.name, target: req.params.name, batches: replayed }, 'publish dead letters replayed');
    return { replayed };
  });

  app.post<{ Params: { name: string } }>('/v1/publish/targets/:name/dead-letters/replay', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: { tags: ['publish'], summary: 'Send every dead-lettered batch of a target again, oldest first.', params: nameParam },
  }, async (req) => {
    const replayed = await engine().replay(req.params.name, 'all');
    req.log.info({ audit: true, by: req.principal?.name, target: req.params.name, batches: replayed.length }, 'publish dead letters replayed');
    return { replayed };
  });
};

export default publish;
