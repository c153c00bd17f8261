import { Readable } from 'node:stream';
import type { RouteModule } from '../context.ts';
import type { SourceReading } from '../../../schemas/generated/types.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { validator, fieldErrors } from '../../schemas.ts';
import { decodeIngestBatch } from '../protobuf.ts';
import { queryObservations, queryLatest } from '../../store/observations.ts';
import { presentObservation } from '../present.ts';
import { toFilter, encodeCursor, type ObservationQuery } from '../query.ts';
import { filterProps } from './observation-filters.ts';


export const ingestResult = {
  type: 'object',
  properties: {
    accepted: { type: 'integer' }, duplicates: { type: 'integer' }, quarantined: { type: 'integer' },
    results: { type: 'array', items: { type: 'object', properties: { outcome: { type: 'string', enum: ['accepted', 'duplicate', 'quarantined'] }, id: { type: 'string' }, flags: { type: 'array', items: { type: 'string' } }, reason: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } },
  },
};

/** The ingest-batch schema's maxItems for records. */
const MAX_BATCH_RECORDS = 10000;

const observations: RouteModule = (app, deps) => {
  const validateBatch = validator<{ records: SourceReading[] }>('lifeline:ingest-batch');

  app.post('/v1/observations', {
    config: { scope: 'ingest', dataScope: 'ingest' },
    // Validated below with the hub's own ajv (no type coercion), for JSON and protobuf alike.
    validatorCompiler: () => () => true,
    schema: {
      tags: ['ingest'],
      summary: 'Ingest a batch of source readings (JSON, or protobuf lifeline.v1.IngestBatch). 200 only after commit.',
      body: { $ref: 'lifeline:ingest-batch#' },
      response: { 200: ingestResult },
    },
  }, async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? decodeIngestBatch(req.body) : req.body;
    // Refused before validation: with allErrors, ajv would build one error per item of an oversized array.
    const records = (body as { records?: unknown } | null)?.records;
    if (Array.isArray(records) && records.length > MAX_BATCH_RECORDS) {
      deps.metrics.batches.inc({ result: 'invalid' });
      throw new LifelineError('INGEST_INVALID', `/records must NOT have more than ${MAX_BATCH_RECORDS} items (got ${records.length}); split the batch; nothing from this batch was stored`, { details: { path: '/records', errors: [{ path: '/records', message: `must NOT have more than ${MAX_BATCH_RECORDS} items` }] } });
    }
    if (!validateBatch(body)) {
      const errors = fieldErrors(validateBatch.errors);
      deps.metrics.batches.inc({ result: 'invalid' });
      throw new LifelineError('INGEST_INVALID', `${errors[0]!.path} ${errors[0]!.message}; nothing from this batch was stored`, { details: { path: errors[0]!.path, errors: errors.slice(0, 50) } });
    }
    // The answer as JSON text, built by ingest as `ingestResult` serialises it (a string with this content type is
    // sent as it is).
    const res = await deps.ingest('http', body.records, { trusted: true, outcomes: 'json' });
    deps.metrics.batches.inc({ result: 'committed' });
    if (res.json === undefined) return res;
    reply.header('content-type', 'application/json; charset=utf-8');
    return res.json;
  });

  app.get<{ Querystring: ObservationQuery }>('/v1/observations', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['data'],
      summary: 'Stored observations in (time, id) order. JSON pages with next_cursor, or all matching rows as NDJSON (format=ndjson or Accept: application/x-ndjson).',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          ...filterProps,
          cursor: { type: 'string', description: 'next_cursor of the previous page.' },
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
          format: { type: 'string', enum: ['json', 'ndjson'], default: 'json' },
        },
      },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'lifeline:observation#' } }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req, reply) => {
    const reg = deps.registry.registry;
    const filter = toFilter(req.query, reg, deps.timezone, req.principal?.data);
    const ndjson = req.query.format === 'ndjson' || (req.headers.accept ?? '').includes('application/x-ndjson');
    if (ndjson) {
      const pulled = (req.pulled = { rows: 0, bytes: 0 });
      async function* stream() {
        let after = filter.after;
        for (;;) {
          const rows = await queryObservations(deps.db, { ...filter, after, limit: 5000 });
          if (!rows.length) return;
          const chunk = rows.map((r) => JSON.stringify(presentObservation(r, reg))).join('\n') + '\n';
          pulled.rows += rows.length;
          pulled.bytes += Buffer.byteLength(chunk);
          yield chunk;
          const last = rows[rows.length - 1]!;
          after = { timeMs: last.time.getTime(), id: last.id };
          if (rows.length < 5000) return;
        }
      }
      return reply.type('application/x-ndjson').send(Readable.from(stream()));
    }
    const limit = req.query.limit ?? 1000;
    const rows = await queryObservations(deps.db, { ...filter, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    req.pulled = { rows: page.length };
    return { data: page.map((r) => presentObservation(r, reg)), next_cursor: rows.length > limit && last ? encodeCursor(last.time.getTime(), last.id) : null };
  });

  app.get<{ Querystring: ObservationQuery }>('/v1/observations/latest', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['data'],
      summary: 'The newest observation of each matching point (kind rtd unless given).',
      querystring: { type: 'object', additionalProperties: false, properties: filterProps },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'lifeline:observation#' } } } } },
    },
  }, async (req) => {
    const reg = deps.registry.registry;
    const { after: _after, ...filter } = toFilter(req.query, reg, deps.timezone, req.principal?.data);
    const rows = await queryLatest(deps.db, filter);
    req.pulled = { rows: rows.length };
    return { data: rows.map((r) => presentObservation(r, reg)) };
  });
};

export default observations;
