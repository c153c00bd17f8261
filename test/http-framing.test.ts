// Requests the fuzzer found answered without a registered code, or 500 INTERNAL: HTTP the parser refuses (bad
// header bytes, headers over the limit), URLs the router refuses, JSON nested past any real payload. Each is a
// typed 4xx with the API's error body, over a real socket, and the hub keeps serving.
import t from 'tap';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startHub } from '../hub/hub.ts';
import { testConfig, KEYS } from './helpers/hub.ts';
import { HubErrorCodes } from '../hub/sdk/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-framing-'));
const hub = await startHub(testConfig(dir, (c) => {
  (c.adapters as Record<string, unknown>).json_http = { profiles: { flat: { mapping: 'flat-reading', auth: 'api_key' } } };
}), { logger: pino({ level: 'silent' }), env: {} });
t.teardown(async () => { await hub.stop(); rmSync(dir, { recursive: true, force: true }); });
const { port } = new URL(hub.url);

/** Sends raw bytes, returns everything the server wrote before it closed the connection. */
function raw(bytes: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    let got = '';
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('error', reject);
    s.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1]);
      const text = got.slice(got.indexOf('\r\n\r\n') + 4);
      try { resolve({ status, body: JSON.parse(text) }); } catch { reject(new Error(`not a JSON answer: ${JSON.stringify(got)}`)); }
    });
    s.end(bytes);
  });
}

const typed = (t: Tap.Test, r: { status: number; body: Record<string, unknown> }, status: number, code: string) => {
  t.equal(r.status, status, JSON.stringify(r.body));
  t.match(r.body, { code, message: String, retryable: false });
  t.ok(code in HubErrorCodes, `${code} is a registered code`);
};

t.test('a header value with a NUL, a bad header name, CL and TE together: 400 HTTP_MALFORMED', async (t) => {
  typed(t, await raw(`GET /v1/sites HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n`), 400, 'HTTP_MALFORMED');
  typed(t, await raw(`GET /v1/sites HTTP/1.1\r\nHost: x\r\nBad Name: a\r\n\r\n`), 400, 'HTTP_MALFORMED');
  typed(t, await raw(`POST /v1/observations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`), 400, 'HTTP_MALFORMED');
});

t.test('17 KiB of headers: 431 HTTP_HEADERS_TOO_LARGE', async (t) => {
  typed(t, await raw(`GET /v1/sites HTTP/1.1\r\nHost: x\r\nX-Fuzz: ${'h'.repeat(17_000)}\r\n\r\n`), 431, 'HTTP_HEADERS_TOO_LARGE');
});

t.test('a URL that is not UTF-8, a path segment over the router limit: 400 HTTP_MALFORMED', async (t) => {
  for (const url of ['/v1/sites/%C0%80', `/v1/sites/${'x'.repeat(150)}`]) {
    const res = await fetch(`${hub.url}${url}`, { headers: { authorization: `Bearer ${KEYS.read}` } });
    typed(t, { status: res.status, body: await res.json() as Record<string, unknown> }, 400, 'HTTP_MALFORMED');
  }
});

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

t.test('JSON nested deeper than 64 levels: 400 with a typed code, on the API and on an adapter route', async (t) => {
  const post = (url: string, body: string) => fetch(`${hub.url}${url}`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.all}`, 'content-type': 'application/json' }, body });
  let res = await post('/v1/observations', `{"records":[{"point":"WS-001-P1","time":"2026-11-25T10:00:00Z","value":1,"x":${deep(20_000)}}]}`);
  typed(t, { status: res.status, body: await res.json() as Record<string, unknown> }, 400, 'INGEST_INVALID');
  res = await post('/v1/ingest/flat', deep(20_000));
  typed(t, { status: res.status, body: await res.json() as Record<string, unknown> }, 400, 'BODY_INVALID');
  res = await post('/v1/ingest/flat', `{"deviceId":"GD-001","ts":1764036000000,"methane":${deep(5_000)}}`);
  typed(t, { status: res.status, body: await res.json() as Record<string, unknown> }, 400, 'BODY_INVALID');
});

t.test('PUT /v1/points/X with a lone surrogate in field: 400, not 500', async (t) => {
  const res = await fetch(`${hub.url}/v1/points/WS-001-P1`, { method: 'PUT', headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ device: 'WS-001-PT', indicator: 'water.pipe_pressure', field: 'f\udcdb' }) });
  const body = await res.json() as Record<string, unknown>;
  t.equal(res.status, 400, JSON.stringify(body));
  t.match(body, { code: 'REGISTRY_INVALID' });
});

t.test('and the hub still serves', async (t) => {
  const res = await fetch(`${hub.url}/v1/sites`, { headers: { authorization: `Bearer ${KEYS.read}` } });
  t.equal(res.status, 200);
});

t.test('a non-finite number in a body (1e309 in JSON, or "1e309" coerced): 400, not 500', async (t) => {
  const post = (url: string, body: string) => fetch(`${hub.url}${url}`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' }, body });
  for (const body of ['{"reason":null,"limit":"1e309"}', '{"limit":1e309}']) {
    const res = await post('/v1/quarantine/replay', body);
    typed(t, { status: res.status, body: await res.json() as Record<string, unknown> }, 400, 'BODY_INVALID');
  }
  // In an ingest batch the record alone is refused; the batch is answered.
  const res = await fetch(`${hub.url}/v1/observations`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.all}`, 'content-type': 'application/json' }, body: '{"records":[{"point":"WS-001-P1","time":"2026-11-25T10:00:00Z","value":1e309},{"point":"WS-001-P1","time":"2026-11-25T10:01:00Z","value":0.3}]}' });
  const out = await res.json() as { accepted?: number; code?: string };
  t.equal(res.status, 200);
  t.match(out, { accepted: 1, quarantined: 1 }, 'the infinite value is quarantined, the other record stored');
});

t.test('protobuf bytes or a non-object JSON body on a registry route: refused at once, memory untouched', async (t) => {
  const put = (body: Buffer | string, type: string) => fetch(`${hub.url}/v1/devices/WS-001-PT`, { method: 'PUT', headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': type }, body });
  // The fuzzer's input: 6 MB as protobuf to a JSON route. Each byte of the Buffer used to become a key and an error.
  const rss = process.memoryUsage().rss;
  const started = Date.now();
  let res = await put(Buffer.from('{"a":'.repeat(1_200_000)), 'application/x-protobuf');
  typed(t, { status: res.status, body: await res.json() as Record<string, unknown> }, 415, 'INGEST_UNSUPPORTED_MEDIA');
  t.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
  t.ok(process.memoryUsage().rss - rss < 300 * 2 ** 20, 'memory stays bounded');
  res = await put(JSON.stringify(Array.from({ length: 100_000 }, () => 1)), 'application/json');
  const body = await res.json() as { code: string; details: { errors?: unknown[] } };
  t.equal(res.status, 400);
  t.equal(body.code, 'REGISTRY_INVALID', 'an array is not a device');
});
