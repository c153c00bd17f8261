// ctx.http.route() is for create(): once the hub listens, a late route would never be served, so it is an error.
import t from 'tap';
import pino from 'pino';
import { createAdapterContext } from '../context.ts';
import { createMetrics } from '../../metrics.ts';

t.test('a route declared after the hub froze its route list throws ADAPTER_INVALID', async (t) => {
  const routes: Parameters<typeof createAdapterContext>[1]['routes'] = [];
  const ctx = createAdapterContext('vendor', { routes, metrics: createMetrics(), logger: pino({ level: 'silent' }), signal: new AbortController().signal, clock: { now: Date.now }, timezone: 'Asia/Shanghai', dataDir: '/tmp', configDir: '/tmp' } as never);
  const route = { method: 'POST' as const, url: '/v1/ingest/:p', auth: 'ingest' as const, handler: async () => ({ status: 200, body: {} }) };
  ctx.http.route(route);
  t.equal(routes!.length, 1, 'in create(): collected');
  Object.freeze(routes);
  t.throws(() => ctx.http.route(route), { code: 'ADAPTER_INVALID', message: /must be called in create\(\)/ });
});
