// / (where to start, public), /health (liveness, public), /ready (bare readiness, public), /v1/status (what readiness is made of, read scope),
// /metrics (Prometheus, read scope).
import type { RouteModule } from '../context.ts';
import { hubStatus } from '../status.ts';

const ops: RouteModule = (app, deps) => {
  const liveness = () => ((deps.publish?.health() ?? []).some((h) => h.status === 'degraded') ? 'degraded' : 'ok');

  // Always 200 (a liveness probe must not restart the hub because an upstream is down). Public, so nothing but the
  // verdict: which targets fail, why and since when is in GET /v1/status (read key), section `publish`.
  app.get('/health', { config: { scope: 'public', dataScope: 'public' }, schema: { tags: ['ops'], summary: 'Liveness: the process answers; "degraded" when a publish target is failing (which one: GET /v1/status).' } }, async () => {
    return { status: liveness() };
  });

  // What a browser or a curl without a key lands on: the /health verdict and where the API is described. Public like
  // /health, so nothing more (no version, no adapters): everything else needs a key.
  app.get('/', {
    config: { scope: 'public', dataScope: 'public' },
    schema: {
      tags: ['ops'], summary: 'Where to start: the liveness verdict of /health and the API description\'s path. Public; nothing more.',
      response: { 200: { type: 'object', additionalProperties: false, required: ['status', 'docs'], properties: { status: { type: 'string', enum: ['ok', 'degraded'] }, docs: { type: 'string', enum: ['/docs'] } } } },
    },
  }, async () => {
    return { status: liveness(), docs: '/docs' };
  });

  app.get('/ready', {
    config: { scope: 'public', dataScope: 'public' },
    schema: {
      tags: ['ops'], summary: 'Readiness for orchestrators: 200 when the store answers and no adapter is down, else 503. Details: GET /v1/status.',
      response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ready'] } } }, 503: { type: 'object', properties: { status: { type: 'string', enum: ['not_ready'] } } } },
    },
  }, async (_req, reply) => {
    // Public, so nothing but the verdict: adapter health names ports, connection counts, webhook profiles.
    const { status } = await hubStatus(deps);
    return reply.code(status === 'ready' ? 200 : 503).send({ status });
  });

  app.get('/v1/status', {
    config: { scope: 'read', dataScope: 'unscoped' },
    schema: { tags: ['ops'], summary: 'What readiness is made of: the store, and each adapter\'s health (ports, connections, counters, last error). Always 200; `status` says ready or not_ready.' },
  }, async () => hubStatus(deps));

  app.get('/metrics', { config: { scope: 'read', dataScope: 'unscoped' }, schema: { tags: ['ops'], summary: 'Prometheus metrics.' } }, async (_req, reply) => {
    const reg = deps.registry.registry;
    deps.metrics.registrySize.set({ kind: 'sites' }, reg.sites.size);
    deps.metrics.registrySize.set({ kind: 'devices' }, reg.devices.size);
    deps.metrics.registrySize.set({ kind: 'points' }, reg.points.size);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
};

export default ops;
