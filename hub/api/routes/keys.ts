// /v1/keys: API keys made and revoked through the admin API, with their scopes and data scopes (docs/api.md#scoped-keys).
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.ts';
import type { KeyRing, Scope } from '../auth.ts';
import type { StoredKeyRow, StoredKeys } from '../../access/keys.ts';
import type { DataScope } from '../../access/scope.ts';
import { storeId, storableText } from '../guard.ts';

const keyOut = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Store id; `config:<name>` for keys of the config file.' },
    source: { type: 'string', enum: ['config', 'store'] },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    scope: { anyOf: [{ $ref: 'lifeline:data-scope#' }, { type: 'null' }], description: 'The data scope; null: the key sees everything.' },
    key: { type: 'string', description: 'The key itself: in the answer to POST only, never again (the store keeps its sha256).' },
    created_at: { type: ['string', 'null'] }, created_by: { type: ['string', 'null'] },
    revoked_at: { type: ['string', 'null'] }, revoked_by: { type: ['string', 'null'] },
  },
};

const present = (r: StoredKeyRow & { key?: string }) => ({
  id: r.id, source: 'store', name: r.name, scopes: r.scopes, scope: r.data_scope, ...(r.key ? { key: r.key } : {}),
  created_at: r.created_at.toISOString(), created_by: r.created_by, revoked_at: r.revoked_at?.toISOString() ?? null, revoked_by: r.revoked_by,
});

export default function keysRoutes(app: FastifyInstance, _deps: ApiDeps, stored: StoredKeys, ring: KeyRing): void {
  app.get<{ Querystring: { all?: boolean } }>('/v1/keys', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: {
      tags: ['keys'], summary: 'API keys: those of the config file and those made here (revoked ones too with all=true). Never the keys or their hashes.',
      querystring: { type: 'object', additionalProperties: false, properties: { all: { type: 'boolean', default: false, description: 'Include revoked keys.' } } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: keyOut } } } },
    },
  }, async (req) => {
    const configured = ring.configured.map((p) => ({ id: p.id ?? `config:${p.name}`, source: 'config', name: p.name, scopes: [...p.scopes], scope: p.data ?? null, created_at: null, created_by: null, revoked_at: null, revoked_by: null }));
    return { data: [...configured, ...(await stored.list(req.query.all ?? false)).map(present)] };
  });

  app.post<{ Body: { name: string; scopes: Scope[]; scope?: DataScope } }>('/v1/keys', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: {
      tags: ['keys'], summary: 'Make a key. The answer holds the key itself, once; a key with `scope` sees only that part of the data and may hold only the read scope.',
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'scopes'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 200, description: 'Who holds the key (shown in logs and the audit).' },
          scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: ['read', 'ingest', 'admin'] } },
          scope: { $ref: 'lifeline:data-scope#' },
        },
      },
      response: { 201: keyOut },
    },
  }, async (req, reply) => {
    storableText(req.body.name, '/body/name');
    for (const [dim, values] of Object.entries(req.body.scope ?? {})) (values as string[]).forEach((v, i) => storableText(v, `/body/scope/${dim}/${i}`));
    const made = await stored.create(req.body, req.principal?.name ?? 'unknown');
    req.log.info({ audit: true, by: req.principal?.name, key: made.id, name: made.name, scopes: made.scopes, scope: made.data_scope }, 'API key made');
    return reply.code(201).send(present(made));
  });

  app.delete<{ Params: { id: string } }>('/v1/keys/:id', {
    config: { scope: 'admin', dataScope: 'admin' },
    schema: {
      tags: ['keys'], summary: 'Revoke a key made through POST /v1/keys: refused from then on by this hub, within 5 s by the others on the same PostgreSQL.',
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      response: { 200: keyOut },
    },
  }, async (req) => {
    const row = await stored.revoke(storeId(req.params.id, '/id'), req.principal?.name ?? 'unknown');
    req.log.info({ audit: true, by: req.principal?.name, key: row.id, name: row.name }, 'API key revoked');
    return present(row);
  });
}
