// /health (liveness, public), /ready (store + adapters, public), /metrics (Prometheus, read scope).
import type { RouteModule } from '../context.ts';

const ops: RouteModule = (app, deps) => {
  // Always 200 (a liveness probe must not restart the hub because an upstream is down); the body says degraded and
  // names the failing publish targets; why and since when: GET /v1/publish/targets (read key).
  app.get('/health', { config: { scope: 'public' }, schema: { tags: ['ops'], summary: 'Liveness: the process answers; "degraded" names publish targets that are failing.' } }, async () => {
    const degraded = (deps.publish?.health() ?? []).filter((h) => h.status === 'degraded').map((h) => h.name);
    return degraded.length ? { status: 'degraded', degraded } : { status: 'ok' };
  });

  app.get('/ready', { config: { scope: 'public' }, schema: { tags: ['ops'], summary: 'Readiness: the store answers and no adapter is down.' } }, async (_req, reply) => {
    let store = 'ok';
    try { await deps.db.query('SELECT 1'); } catch { store = 'down'; }
    const adapters = await deps.adapterHealth();
    const ready = store === 'ok' && Object.values(adapters).every((a) => a.status !== 'down');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', store, adapters });
  });

  app.get('/metrics', { config: { scope: 'read' }, schema: { tags: ['ops'], summary: 'Prometheus metrics.' } }, async (_req, reply) => {
    const reg = deps.registry.registry;
    deps.metrics.registrySize.set({ kind: 'sites' }, reg.sites.size);
    deps.metrics.registrySize.set({ kind: 'devices' }, reg.devices.size);
    deps.metrics.registrySize.set({ kind: 'points' }, reg.points.size);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
};

export default ops;
