// Every route × every scope. The route list comes from the app itself, so a new route is covered
// (and must declare its scope) without editing this test.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { checkRouteRules } from '../hub/access/rules.ts';

// Adapters that serve routes on the hub's server are configured so their routes are walked too.
const { hub, cleanup } = await startTestHub('pglite', (c) => { Object.assign(c.adapters, { json_http: { profiles: { gas: { mapping: 'flat-reading' } } } }); });
t.teardown(cleanup);
const routes = hub.app.lifelineRoutes.filter((r) => !r.url.startsWith('/docs'));

t.ok(routes.length >= 20, `found ${routes.length} routes`);
for (const r of routes) t.ok(r.scope, `${r.method} ${r.url} declares a scope`);
// What a key limited to part of the data gets from each route: test/tenancy-matrix.test.ts.
t.same(checkRouteRules(routes), [], 'every route declares a data-scope rule that fits its scope');
t.same(routes.filter((r) => r.scope === 'public').map((r) => r.url).sort(), ['/', '/console', '/console/*', '/health', '/ready'], 'only /, the health routes and the console\'s static files are public (and /docs)');

const keyScopes: Record<keyof typeof KEYS, string[]> = { read: ['read'], ingest: ['ingest'], admin: ['admin'], all: ['read', 'ingest'] };
const allowed = (have: string[], need: string) => have.includes('admin') || have.includes(need);

for (const r of routes) {
  // The SSE stream stays open; catch_up ends it once it has sent what there is.
  const url = r.url.replace(':code', 'WS-001-P1') + (r.url === '/v1/alarms/stream' ? '?catch_up=true' : '');
  t.test(`${r.method} ${r.url}`, async (t) => {
    const send = (headers: Record<string, string>) => hub.app.inject({ method: r.method as 'GET', url, headers, payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
    if (r.scope === 'public') {
      t.not((await send({})).statusCode, 401);
      return;
    }
    const none = await send({});
    t.equal(none.statusCode, 401, 'no key');
    t.equal(none.json().code, 'AUTH_MISSING');
    const wrong = await send(auth('not-a-key'));
    t.equal(wrong.statusCode, 401, 'unknown key');
    t.equal(wrong.json().code, 'AUTH_INVALID');
    const viaHeader = await send({ 'x-api-key': 'not-a-key' });
    t.equal(viaHeader.json().code, 'AUTH_INVALID', 'X-API-Key is read too');
    for (const [k, scopes] of Object.entries(keyScopes)) {
      // DELETE with an allowed key would really delete: use a code that does not exist
      const target = r.method === 'DELETE' ? url.replace('WS-001-P1', 'NO-SUCH') : url;
      const res = await hub.app.inject({ method: r.method as 'GET', url: target, headers: auth(KEYS[k as keyof typeof KEYS]), payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
      if (allowed(scopes, r.scope!)) t.not(res.statusCode, 403, `${k} key may (${res.statusCode})`) && t.not(res.statusCode, 401);
      else { t.equal(res.statusCode, 403, `${k} key may not`); t.equal(res.json().code, 'AUTH_FORBIDDEN'); }
    }
  });
}

t.test('the scheme of Authorization is case-insensitive (RFC 7235)', async (t) => {
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    const res = await hub.app.inject({ url: '/v1/sites', headers: { authorization: `${scheme} ${KEYS.read}` } });
    t.equal(res.statusCode, 200, `${scheme} <key>`);
  }
  t.equal((await hub.app.inject({ url: '/v1/sites', headers: { authorization: `Basic ${KEYS.read}` } })).json().code, 'AUTH_MISSING', 'another scheme is no key');
});

t.test('/ready is a bare verdict; the details need a read key (/v1/status)', async (t) => {
  const ready = await hub.app.inject({ url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready' }, 'no adapters, ports, profile names or counters in public');
  t.equal((await hub.app.inject({ url: '/v1/status' })).statusCode, 401);
  const status = await hub.app.inject({ url: '/v1/status', headers: auth(KEYS.read) });
  t.equal(status.statusCode, 200);
  t.match(status.json(), { status: 'ready', store: 'ok', adapters: { json_http: { status: 'ok', detail: { profiles: { gas: {} } } } } });
});

t.test('GET / is public and says only the status and where the docs are', async (t) => {
  const res = await hub.app.inject({ url: '/' });
  t.equal(res.statusCode, 200, 'not 401, not 404');
  t.same(res.json(), { status: 'ok', docs: '/docs' }, 'no version, adapters or counts');
  t.equal((await hub.app.inject({ url: '/', headers: auth('not-a-key') })).statusCode, 200, 'a wrong key does not matter on a public route');
  t.equal((await hub.app.inject({ url: res.json().docs })).statusCode < 400, true, 'the docs path it names is served');
});

t.test('/docs is public and documents the schemas', async (t) => {
  const res = await hub.app.inject({ url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json();
  t.ok(doc.paths['/v1/observations'].post, 'ingest documented');
  for (const name of ['Observation', 'SourceReading', 'Site', 'Device', 'Point', 'Indicator', 'QuarantineEntry']) t.ok(doc.components.schemas[name], `${name} schema from schemas/`);
});

t.test('unknown routes need a key, then 404', async (t) => {
  t.equal((await hub.app.inject({ url: '/v1/nope' })).statusCode, 401);
  const res = await hub.app.inject({ url: '/v1/nope', headers: auth(KEYS.read) });
  t.equal(res.statusCode, 404);
  t.equal(res.json().code, 'NOT_FOUND');
});
