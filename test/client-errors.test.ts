// Issue 10: the exact inputs that were answered 500 INTERNAL (retryable) or with the wrong code. Each is a client's
// mistake: a 4xx with a typed code, on both stores, and the hub keeps serving.
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';

for (const store of ['pglite', 'postgres'] as const) {
  t.test(store, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const { hub, cleanup } = await startTestHub(store);
    t.teardown(cleanup);
    const app = hub.app;
    const expect = async (t: Tap.Test, o: InjectOptions, status: number, code: string, path?: string) => {
      const res = await app.inject(o);
      t.equal(res.statusCode, status, res.body);
      t.match(res.json(), { code, retryable: false, ...(path ? { details: { path } } : {}) });
    };

    await t.test('GET /v1/observations with a cursor whose id is beyond bigint', async (t) => {
      await expect(t, { url: '/v1/observations?cursor=WzEsIjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5Il0', headers: auth(KEYS.read) }, 400, 'QUERY_INVALID', '/cursor');
      const beyondTime = Buffer.from(JSON.stringify([1e300, '1'])).toString('base64url');
      await expect(t, { url: `/v1/observations?cursor=${beyondTime}`, headers: auth(KEYS.read) }, 400, 'QUERY_INVALID', '/cursor');
      await expect(t, { url: '/v1/observations?limit=1e309', headers: auth(KEYS.read) }, 400, 'QUERY_INVALID', '/limit');
    });

    await t.test('GET /v1/quarantine?cursor=99999999999999999999', async (t) => {
      await expect(t, { url: '/v1/quarantine?cursor=99999999999999999999', headers: auth(KEYS.read) }, 400, 'QUERY_INVALID', '/cursor');
      await expect(t, { url: '/v1/quarantine?reason=%00', headers: auth(KEYS.read) }, 400, 'QUERY_INVALID', '/reason');
      const max = await app.inject({ url: '/v1/quarantine?cursor=9223372036854775807', headers: auth(KEYS.read) });
      t.same([max.statusCode, max.json().data], [200, []], 'the largest bigint is still a cursor');
      await expect(t, { method: 'POST', url: '/v1/quarantine/replay', headers: auth(KEYS.admin), payload: { ids: ['99999999999999999999'] } }, 400, 'BODY_INVALID', '/body/ids/0');
      await expect(t, { method: 'POST', url: '/v1/quarantine/replay', headers: auth(KEYS.admin), payload: { reason: 'A\u0000' } }, 400, 'BODY_INVALID', '/body/reason');
    });

    await t.test('PUT /v1/sites/X with a NUL or a lone surrogate in name is refused: REGISTRY_INVALID', async (t) => {
      for (const name of ['a\u0000b', 'X\ud800']) {
        await expect(t, { method: 'PUT', url: '/v1/sites/X', headers: auth(KEYS.admin), payload: { name, domain: 'water' } }, 400, 'REGISTRY_INVALID', '/name');
      }
      await expect(t, { method: 'PUT', url: '/v1/devices/X-D', headers: auth(KEYS.admin), payload: { site: 'WS-001', identities: [{ protocol: 'hj212', key: 'MN\udc00' }] } }, 400, 'REGISTRY_INVALID', '/identities/0/key');
      t.equal((await app.inject({ url: '/v1/sites/X', headers: auth(KEYS.read) })).statusCode, 404, 'nothing was written');
      const ok = await app.inject({ method: 'PUT', url: '/v1/sites/X', headers: auth(KEYS.admin), payload: { name: '湖滨路 😀', domain: 'water' } });
      t.equal(ok.statusCode, 200, 'well-formed text (a surrogate pair included) is stored');
    });

    await t.test('a JSON body sent as text/plain is 415, as documented', async (t) => {
      await expect(t, { method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'text/plain' }, payload: '{"records":[{"point":"WS-001-P1","time":"2026-11-25T10:00:00Z","value":0.3}]}' }, 415, 'INGEST_UNSUPPORTED_MEDIA');
    });
  });
}

t.test('a config registry with such text is refused at start, naming the entry', async (t) => {
  await t.rejects(startTestHub('pglite', (c) => {
    (c.registry as unknown as { sites: unknown[] }).sites.push({ code: 'BAD-1', name: 'X\ud800', domain: 'water' });
  }), { code: 'REGISTRY_INVALID', details: { path: /^\/sites\/\d+\/name$/ } });
});
