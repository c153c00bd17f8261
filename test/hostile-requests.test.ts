// Every route, every query and path parameter it declares (read from its own OpenAPI document), every body route: values
// that are out of range for the store (ids beyond bigint, times beyond 9999, 1e309), NUL and lone surrogates, odd
// encodings. A client's bad input must be a 4xx with a typed code, never a 500 "INTERNAL, retryable".
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';

const { hub, cleanup } = await startTestHub('pglite', (c) => {
  Object.assign(c.adapters, { json_http: { profiles: { gas: { mapping: 'flat-reading' } } } });
  (c as unknown as { publish: unknown }).publish = { targets: { up: { type: 'http_push', config: { url: 'http://127.0.0.1:9/never' } } } };
});
t.teardown(cleanup);
const app = hub.app;

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const values = [
  '%00', 'a%00b', '%ED%A0%80', '%C0%80', '%F0%9F', '', '-1', '1.5', 'NaN', '1e309', '-1e309',
  '99999999999999999999', '9223372036854775808', '-9223372036854775809', 'x'.repeat(3000),
  'WzEsIjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5Il0', cursor([1e300, '1']), cursor([-1e20, '1']), cursor([1.5, '1']), cursor([1, '-1']), cursor(['a', 'b']), cursor(null),
  '0000-01-01T00:00:00Z', '275760-09-13T00:00:00Z', '9999-12-31T23:59:59-14:00',
];
const codes = ['%00', '%ED%A0%80', '99999999999999999999', 'x'.repeat(3000)];
const bodies = [
  '{}', '[]', '"s"', 'null', '{"reason":"\\u0000"}', '{"reason":"\\ud800"}', '{"ids":["99999999999999999999"]}', '{"ids":["9223372036854775808"]}',
  '{"limit":1e309}', '{"name":"\\ud800","domain":"water"}', '{"name":"a\\u0000","domain":"water"}', '{"site":"WS-001","name":"\\u0000"}',
  '{"device":"WS-001-PT","indicator":"water.pipe_pressure","field":"\\ud800"}',
  '{"records":[{"point":"\\u0000","time":"\\ud800","value":1}]}', '{"records":[{"point":"WS-001-P1","time":1e300,"value":1}]}',
  '{"records":[{"point":"WS-001-P1","time":"9999-12-31T23:59:59-14:00","value":1e308,"message_id":"\\u0000\\ud800"}]}',
  '['.repeat(3000) + ']'.repeat(3000), '{"__proto__":{"x":"\\u0000"}}',
];

interface Op { parameters?: Array<{ in: string; name: string }> }
const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, Op>> };
const bad: string[] = [];
let n = 0;
const send = async (method: string, url: string, payload?: string, type = 'application/json') => {
  n++;
  // An event stream answers and then stays open: catch_up=true ends it once it has sent what there is.
  if (url.startsWith('/v1/alarms/stream')) url += `${url.includes('?') ? '&' : '?'}catch_up=true`;
  const res = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: { ...auth(KEYS.admin), ...(payload === undefined ? {} : { 'content-type': type }) }, payload });
  if (res.statusCode >= 500) bad.push(`${method.toUpperCase()} ${url.slice(0, 100)} ${(payload ?? '').slice(0, 60)} → ${res.statusCode} ${res.body.slice(0, 120)}`);
  else if (res.statusCode >= 400 && res.statusCode !== 404 && !/^[A-Z0-9_]+$/.test(res.json().code ?? '')) bad.push(`${method} ${url}: ${res.statusCode} without a code`);
};

t.test('no route answers a bad parameter or body with a 5xx', async (t) => {
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (path.startsWith('/docs')) continue;
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      const inPath = params.filter((p) => p.in === 'path').map((p) => p.name);
      const fill = (code: string) => inPath.reduce((u, name) => u.replace(`{${name}}`, code), path);
      const urls = inPath.length ? [fill(name(path)), ...codes.map(fill)] : [path];
      for (const url of urls) {
        if (method === 'get') {
          await send(method, url);
          for (const q of params.filter((p) => p.in === 'query')) for (const v of values) await send(method, `${url}?${q.name}=${v}`);
        } else if (method === 'delete') {
          await send(method, url);
        } else {
          for (const b of bodies) await send(method, url, b);
          await send(method, url, '{"records":[]}', 'text/plain');
        }
      }
    }
  }
  t.ok(n > 1000, `${n} requests`);
  t.same(bad, [], 'every answer is a success or a typed 4xx');
  const ok = await app.inject({ url: '/v1/observations?limit=1', headers: auth(KEYS.read) });
  t.equal(ok.statusCode, 200, 'and the hub still serves');
});

// A real code for each path parameter, so the other parameters of the route are reached too.
function name(path: string): string {
  if (path.includes('/publish/')) return 'up';
  if (path.includes('/ingest/')) return 'gas';
  if (path.includes('/adapters/')) return 'json_http';
  if (path.includes('/indicators/')) return 'water.pipe_pressure';
  return 'WS-001';
}
