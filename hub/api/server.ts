// The fastify app: auth by route scope, typed errors, OpenAPI from schemas/ at /docs.
import Fastify, { LogController, type FastifyRequest, type FastifyInstance, type FastifyError, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { loadSchemas } from '../schemas.ts';
import { LifelineError, isLifelineError } from '../sdk/errors.ts';
import { KeyRing, allows, type ApiKeyEntry, type RouteScope } from './auth.ts';
import { guardParams } from './guard.ts';
import { answerClientError, answerFrameworkError } from './client-errors.ts';
import { jsonTooDeep, MAX_DEPTH } from '../sdk/text.ts';
import { SCOPED_KEY_RULES, type DataScopeRule } from '../access/rules.ts';
import { StoredKeys } from '../access/keys.ts';
import { PullAudit } from '../access/audit.ts';
import keysRoutes from './routes/keys.ts';
import auditRoutes from './routes/audit.ts';

export interface RouteInfo { method: string; url: string; scope?: RouteScope; dataScope?: DataScopeRule }

declare module 'fastify' {
  interface FastifyInstance { lifelineRoutes: RouteInfo[] }
}
import type { ApiDeps } from './context.ts';
import observations from './routes/observations.ts';
import aggregate from './routes/aggregate.ts';
import indicators from './routes/indicators.ts';
import registry from './routes/registry.ts';
import quarantine from './routes/quarantine.ts';
import ops from './routes/ops.ts';
import adapters from './routes/adapters.ts';
import publish from './routes/publish.ts';
import alarms from './routes/alarms.ts';
import consoleRoutes from './routes/console.ts';
import conformance from './routes/conformance.ts';
import sta from './routes/sta.ts';
import uploads from './routes/uploads.ts';
import alarmRules from './routes/alarm-rules.ts';
import reports from './routes/reports.ts';
import { registerAdapterRoutes, type AdapterRoute } from './adapter-routes.ts';
import { lazyCompilers } from './lazy-compilers.ts';

export interface ApiOptions {
  keys: ApiKeyEntry[];
  bodyLimit: number;
  /** Whose X-Forwarded-* headers to believe (config server.trust_proxy): fastify's trustProxy. */
  trustProxy?: boolean | string[];
  logger: unknown;
  version: string;
  /** Routes adapters declared with ctx.http.route(). */
  adapterRoutes?: AdapterRoute[];
  /** The pull audit (api.audit); absent: on, flushed every second. */
  audit?: { enabled?: boolean; flush_ms?: number };
}

const isIngest = (req: FastifyRequest) => req.method === 'POST' && req.routeOptions.url === '/v1/observations';

export async function buildApi(deps: ApiDeps, o: ApiOptions): Promise<FastifyInstance> {
  // Per-request log lines are off: at ingest rates they would dominate; errors and audits are logged explicitly.
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger, bodyLimit: o.bodyLimit, trustProxy: o.trustProxy ?? false, logController: new LogController({ disableRequestLogging: true }),
    // removeAdditional would silently drop a misspelt filter (?sites=…) and return everything: reject it instead.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    schemaController: { compilersFactory: lazyCompilers },
    // Requests node's parser or fastify's router refuse never reach a route: answered here with a typed code too.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  });
  const keys = new KeyRing(o.keys);
  // Every route with the scope it needs: the auth test walks this list, so a new route cannot escape it.
  const routes: RouteInfo[] = [];
  app.decorate('lifelineRoutes', routes);
  app.addHook('onRoute', (r) => {
    const config = r.config as { scope?: RouteScope; dataScope?: DataScopeRule } | undefined;
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url, scope: config?.scope, dataScope: config?.dataScope });
  });
  // Keys made through the admin API, and the pull audit: both live in the store (absent in store-less test apps).
  const stored = deps.db ? new StoredKeys(deps.db, keys) : undefined;
  await stored?.start((e) => app.log.error({ err: e }, 'reloading the stored API keys failed'));
  const audit = deps.db && o.audit?.enabled !== false ? new PullAudit(deps.db, { flushMs: o.audit?.flush_ms ?? 1000, onError: (e) => app.log.error({ err: e }, 'writing the pull audit failed') }) : undefined;
  app.addHook('onClose', async () => { stored?.stop(); await audit?.close(); });

  for (const s of loadSchemas()) app.addSchema(s);
  // Bodies are JSON or protobuf: fastify's default text/plain parser would hand a route a string, and a JSON batch sent
  // as text/plain would get a confusing 400 "must be object" instead of 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(['application/x-protobuf', 'application/protobuf', 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config?.scope;
    // The API description holds no data, so like /health it is public.
    if (scope === 'public' || req.routeOptions.url?.startsWith('/docs')) return;
    if (req.routeOptions.config?.adapterAuth?.(req) === 'none') return; // the adapter verifies it (e.g. a webhook signature)
    const p = keys.authenticate(req);
    req.principal = p;
    // Unknown routes still need a key (no probing), but answer 404 once authenticated.
    if (scope && !allows(p, scope)) throw new LifelineError('AUTH_FORBIDDEN', `this route needs the "${scope}" scope; key "${p.name}" has ${[...p.scopes].join(', ')}`);
    // A key limited to part of the data passes only routes that narrow to it or hold nothing tenant-specific; a route
    // that declares no rule is refused too (fail closed).
    const rule = req.routeOptions.config?.dataScope;
    if (p.data && req.routeOptions.url && !SCOPED_KEY_RULES.has(rule ?? '')) {
      throw new LifelineError('AUTH_FORBIDDEN', `${req.method} ${req.routeOptions.url} answers with hub-wide state that a data scope cannot narrow; key "${p.name}" is limited to part of the data (ask for a key without a scope)`);
    }
  });

  // The pull audit: every answered data read (routes with rule `site`), written in batches off the request's path.
  if (audit) {
    app.addHook('onResponse', async (req, reply) => {
      if (req.routeOptions.config?.dataScope !== 'site' || !req.principal) return;
      const length = Number(reply.getHeader('content-length'));
      audit.record({
        atMs: Date.now(), keyId: req.principal.id ?? `config:${req.principal.name}`, keyName: req.principal.name, method: req.method, route: req.routeOptions.url ?? req.url,
        filter: { ...(req.params as object), ...(req.query as object) }, status: reply.statusCode,
        rows: reply.statusCode < 300 ? req.pulled?.rows ?? 0 : 0, bytes: req.pulled?.bytes ?? (Number.isFinite(length) ? length : 0), durationMs: reply.elapsedTime,
      });
    });
  }

  app.addHook('preHandler', guardParams);
  // JSON.parse takes any depth; schema validation and everything after it recurse. Refused before validation.
  app.addHook('preValidation', async (req) => {
    // Protobuf is an ingest format: any other route given those bytes would see a Buffer, whose every byte is a key.
    // (Adapter routes take raw bytes on purpose: they verify signatures over them and parse them themselves.)
    if (Buffer.isBuffer(req.body) && !isIngest(req) && !req.routeOptions.config?.adapterAuth) {
      throw new LifelineError('INGEST_UNSUPPORTED_MEDIA', `${req.method} ${req.routeOptions.url} takes a JSON body (application/json), not ${String(req.headers['content-type'] ?? 'this content type')}`);
    }
    if (req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body) && jsonTooDeep(req.body)) {
      throw new LifelineError(isIngest(req) ? 'INGEST_INVALID' : 'BODY_INVALID', `the body nests deeper than ${MAX_DEPTH} levels`, { details: { path: '/body' } });
    }
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}`, details: {}, retryable: false });
  });

  app.setErrorHandler((err: FastifyError | LifelineError, req, reply) => {
    if (isLifelineError(err)) {
      if (err.httpStatus >= 500) req.log.error({ err, code: err.code }, err.message);
      if (err.retryAfterMs) reply.header('retry-after', Math.ceil(err.retryAfterMs / 1000));
      return reply.code(err.httpStatus).send(err.toJSON());
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const where = fe.validationContext ?? 'request';
      const first = fe.validation[0]!;
      const path = `${where === 'querystring' ? '' : `/${where}`}${first.instancePath}${first.keyword === 'additionalProperties' ? '/' + String((first.params as { additionalProperty?: string }).additionalProperty) : ''}`;
      const code = isIngest(req) ? 'INGEST_INVALID' : where === 'body' ? 'BODY_INVALID' : 'QUERY_INVALID';
      const message = first.keyword === 'additionalProperties' ? `is not a known ${where === 'querystring' ? 'parameter' : 'field'}` : first.message ?? 'is invalid';
      return reply.code(400).send({ code, message: `${path} ${message}`, details: { path }, retryable: false });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      const code = fe.statusCode === 415 ? 'INGEST_UNSUPPORTED_MEDIA' : fe.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : isIngest(req) ? 'INGEST_INVALID' : 'BODY_INVALID';
      return reply.code(fe.statusCode).send({ code, message: fe.message, details: {}, retryable: false });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: 'INTERNAL', message: 'internal error; see the hub log', details: {}, retryable: true });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'lifeline-hub API', version: o.version, description: 'Urban lifeline data hub: ingest, registry and pull API. Every route except /health, /ready and /docs needs an API key (Authorization: Bearer <key>, scheme case-insensitive, or X-API-Key).' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' }, bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.title ?? json.$id ?? `def-${i}`).replace(/[^A-Za-z0-9_.-]/g, '_') },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  for (const m of [ops, indicators, registry, observations, aggregate, quarantine, adapters, publish, alarms, consoleRoutes, sta, uploads, alarmRules, reports, conformance]) m(app, deps);
  if (stored) keysRoutes(app, deps, stored, keys);
  if (deps.db) auditRoutes(app, deps, audit);
  await registerAdapterRoutes(app, o.adapterRoutes ?? []);
  return app;
}
