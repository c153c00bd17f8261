// POST /v1/uploads (a CSV/XLSX file, raw body or multipart, mapped by a table profile), its progress and counts,
// and cancelling it. The body is streamed to the spool, never held in memory. See docs/uploads.md.
import type { FastifyInstance } from 'fastify';
import type { RouteModule } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { boundaryOf, multipartFile } from '../../uploads/multipart.ts';

const idParam = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^up_[0-9a-f]{16}$' } } };
const one = { 200: { $ref: 'lifeline:upload#' } };

const uploads: RouteModule = (app, deps) => {
  const svc = deps.uploads;
  if (!svc) return;
  // A scope of its own: the body is a stream handed to the route, whatever its type (CSV, XLSX, multipart).
  void app.register(async (s: FastifyInstance) => {
    s.removeAllContentTypeParsers();
    s.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    s.post<{ Querystring: { profile?: string; name?: string; wait?: boolean } }>('/v1/uploads', {
      config: { scope: 'ingest', dataScope: 'ingest' },
      schema: {
        tags: ['uploads'],
        summary: 'Upload a CSV or XLSX file (raw body, or multipart/form-data with a file part) to be mapped by a table profile and stored. Answers 202 once the file is received; follow it at GET /v1/uploads/{id}.',
        querystring: {
          type: 'object', additionalProperties: false,
          properties: {
            profile: { type: 'string', description: 'Table profile name (shipped, or in uploads.profiles_dir). With multipart, a `profile` field before the file part does too.' },
            name: { type: 'string', maxLength: 255, description: 'File name to record (default: the multipart filename, else `upload`).' },
            wait: { type: 'boolean', default: false, description: 'Answer 200 once the upload is processed (done, failed or cancelled) instead of 202 once received.' },
          },
        },
        response: { 200: { $ref: 'lifeline:upload#' }, 202: { $ref: 'lifeline:upload#' } },
      },
    }, async (req, reply) => {
      const ct = String(req.headers['content-type'] ?? '');
      let body = req.raw as import('node:stream').Readable;
      let profile = req.query.profile;
      let name = req.query.name;
      const len = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
      if (/^multipart\/form-data/i.test(ct)) {
        const b = boundaryOf(ct);
        if (!b) throw new LifelineError('UPLOAD_BAD_REQUEST', 'multipart/form-data without a boundary parameter');
        const mp = await multipartFile(body, b);
        profile ??= mp.fields.profile;
        name ??= mp.fields.name ?? mp.filename;
        body = mp.file;
      }
      if (!profile) throw new LifelineError('UPLOAD_BAD_REQUEST', 'which table profile maps this file? add ?profile=NAME (shipped: long-csv, wide-csv, gbk-export, xlsx-sheets; see docs/uploads.md)', { details: { path: '/querystring/profile' } });
      let u;
      try {
        u = await svc.receive(body, { profile, name, keyName: req.principal?.name, contentLength: Number.isFinite(len) ? len : undefined });
      } catch (e) {
        // Refused before the body was read: close the connection rather than read (and discard) the rest of it.
        if (!req.raw.readableEnded) reply.header('connection', 'close');
        throw e;
      }
      if (req.query.wait) {
        const ac = new AbortController();
        req.raw.socket.once('close', () => ac.abort());
        await svc.whenDone(u.id, ac.signal);
        return reply.code(200).send(await svc.get(u.id));
      }
      return reply.code(202).send(u);
    });
  });

  app.get<{ Querystring: { limit?: number; status?: string } }>('/v1/uploads', {
    config: { scope: 'ingest', dataScope: 'ingest' },
    schema: {
      tags: ['uploads'], summary: 'Uploads, newest first, with their counts.',
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, status: { type: 'string', enum: ['receiving', 'queued', 'processing', 'done', 'failed', 'cancelled'] } } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'lifeline:upload#' } } } } },
    },
  }, async (req) => ({ data: await svc.list({ limit: req.query.limit ?? 100, status: req.query.status }) }));

  app.get<{ Params: { id: string } }>('/v1/uploads/:id', {
    config: { scope: 'ingest', dataScope: 'ingest' },
    schema: { tags: ['uploads'], summary: 'One upload: status, counts committed so far, and progress through the file while processing.', params: idParam, response: one },
  }, async (req) => {
    const u = await svc.get(req.params.id);
    if (!u) throw new LifelineError('UPLOAD_NOT_FOUND', `no upload ${req.params.id}; list them with GET /v1/uploads`, { details: { id: req.params.id } });
    return u;
  });

  app.post<{ Params: { id: string } }>('/v1/uploads/:id/cancel', {
    config: { scope: 'ingest', dataScope: 'ingest' },
    schema: { tags: ['uploads'], summary: 'Cancel an upload that has not finished. Rows already committed stay stored.', params: idParam, response: one },
  }, async (req) => svc.cancel(req.params.id));
};

export default uploads;
