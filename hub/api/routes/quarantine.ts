import type { RouteModule } from '../context.ts';
import type { SourceReading } from '../../../schemas/generated/types.ts';
import { queryQuarantine } from '../../store/observations.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { validator } from '../../schemas.ts';
import { storeId, storableText } from '../guard.ts';
import { sitesInScope } from '../query.ts';

const isReading = validator<SourceReading>('lifeline:source-reading');

const quarantine: RouteModule = (app, deps) => {
  app.get<{ Querystring: { reason?: string; cursor?: string; limit?: number; all?: boolean } }>('/v1/quarantine', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['quarantine'], summary: 'Records the pipeline could not store, with the reason (open ones unless all=true).',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          reason: { type: 'string', description: 'Error code, e.g. UNKNOWN_POINT.' },
          cursor: { type: 'string', pattern: '^[0-9]+$', description: 'next_cursor of the previous page.' },
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
          all: { type: 'boolean', default: false, description: 'Include entries already replayed.' },
        },
      },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'lifeline:quarantine-entry#' } }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 1000;
    const afterId = req.query.cursor === undefined ? undefined : storeId(req.query.cursor, '/cursor');
    // A key limited to part of the data sees the entries whose record names a registered point (or, naming none, a
    // device) of a site in its scope; a record naming nothing the registry knows belongs to no tenant it could see.
    const inScope = sitesInScope(deps.registry.registry, req.principal?.data);
    const reg = deps.registry.registry;
    const visible = inScope && {
      points: [...reg.points.values()].filter((p) => inScope.set.has(p.device.site.id)).map((p) => p.code),
      devices: [...reg.devices.values()].filter((d) => inScope.set.has(d.site.id)).map((d) => d.code),
    };
    const rows = await queryQuarantine(deps.db, { reason: req.query.reason, afterId, limit: limit + 1, includeReplayed: req.query.all, visible });
    const page = rows.slice(0, limit);
    req.pulled = { rows: page.length };
    return {
      data: page.map((r) => ({ ...r, received_at: r.received_at.toISOString(), replayed_at: r.replayed_at?.toISOString() ?? null })),
      next_cursor: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  });

  app.post<{ Body: { reason?: string; ids?: string[]; limit?: number } }>('/v1/quarantine/replay', {
    config: { scope: 'admin', dataScope: 'admin' },
    preValidation: async (req) => { req.body ??= {}; }, // no body = replay the oldest open entries
    schema: {
      tags: ['quarantine'], summary: 'Run open quarantine entries through the pipeline again (e.g. after registering their points). Entries that now store are marked replayed.',
      body: {
        type: 'object', additionalProperties: false,
        properties: { reason: { type: 'string' }, ids: { type: 'array', items: { type: 'string', pattern: '^[0-9]+$' }, maxItems: 10000 }, limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
      },
      response: { 200: { type: 'object', properties: { examined: { type: 'integer' }, stored: { type: 'integer' }, still_quarantined: { type: 'integer' }, not_replayable: { type: 'integer', description: 'Entries that are raw inputs an adapter rejected (not readings): left as they are; fix the source or its mapping.' } } } },
    },
  }, async (req) => {
    const b = req.body ?? {};
    b.ids?.forEach((id, i) => storeId(id, `/body/ids/${i}`, 'BODY_INVALID'));
    storableText(b.reason, '/body/reason');
    const rows = await queryQuarantine(deps.db, { reason: b.reason, ids: b.ids, limit: b.limit ?? 1000 });
    if (b.ids && rows.length === 0) throw new LifelineError('REGISTRY_NOT_FOUND', 'none of those ids is an open quarantine entry');
    let stored = 0;
    const byAdapter = new Map<string, typeof rows>();
    // Inputs an adapter rejected before they were readings (a payload its mapping could not read, a bad SQL
    // row) cannot be replayed through the pipeline: they stay as they are, with their own reason.
    let notReplayable = 0;
    for (const r of rows) {
      if (!isReading(r.record)) { notReplayable++; continue; }
      byAdapter.set(r.adapter, [...(byAdapter.get(r.adapter) ?? []), r]);
    }
    for (const [adapter, list] of byAdapter) {
      // An entry whose text was sanitised on arrival stores an observation that keeps saying so.
      const sanitised = new Set(list.flatMap((r, i) => (r.text_sanitised ? [i] : [])));
      const res = await deps.ingest(adapter, list.map((r) => r.record as SourceReading), { replay: true, sanitised });
      const done = list.filter((_, i) => res.results[i]!.outcome !== 'quarantined').map((r) => r.id);
      if (done.length) await deps.db.query('UPDATE quarantine SET replayed_at = now() WHERE id = ANY($1::bigint[])', [done]);
      // Entries that still fail keep their place, with today's reason (it may have changed, e.g. point now known but unit wrong).
      const still = list.map((r, i) => ({ r, o: res.results[i]! })).filter((x) => x.o.outcome === 'quarantined');
      if (still.length) {
        await deps.db.query(`UPDATE quarantine q SET reason = u.reason, message = u.message, field = u.field
          FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, reason, message, field) WHERE q.id = u.id`,
        [still.map((x) => x.r.id), ...(['reason', 'message', 'field'] as const).map((k) => still.map((x) => (x.o as Record<string, string | undefined>)[k] ?? null))]);
      }
      stored += done.length;
    }
    req.log.info({ audit: true, by: req.principal?.name, examined: rows.length, stored, not_replayable: notReplayable }, 'quarantine replayed');
    return { examined: rows.length, stored, still_quarantined: rows.length - stored - notReplayable, not_replayable: notReplayable };
  });
};

export default quarantine;
