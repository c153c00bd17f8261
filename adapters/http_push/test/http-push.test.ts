// http_push against a real HTTP server on loopback: the outcome of each answer, headers, signature, bodies.
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Observation, PublisherContext } from '../../../hub/sdk/index.ts';
import { assertPublisher } from '../../../hub/delivery/targets.ts';
import { createAjv } from '../../../hub/schemas.ts';
import def, { parseRetryAfter } from '../index.ts';
import { sign, decodeProtobufBody } from '../encode.ts';
import type { HttpPushConfig } from '../manifest.ts';

const obs: Observation[] = [{
  id: '42', point: 'P1', device: 'D1', site: 'S1', indicator: 'water.pipe_pressure', domain: 'water', kind: 'rtd',
  time: '2026-01-01T00:00:00.000Z', value: 0.35, unit: 'MPa',
  quality: { source_flag: 'N', flags: [], warnings: [] },
  source: { adapter: 'hj212', message_id: 'QN1', received_at: '2026-01-01T00:00:01.000Z', raw_value: 350, raw_unit: 'kPa' },
}, {
  id: '43', point: 'P1', device: 'D1', site: 'S1', indicator: 'water.pipe_pressure', domain: 'water', kind: 'hour',
  time: '2026-01-01T01:00:00.000Z', value: null, avg: 0.3, min: 0.2, max: 0.4, cou: null, unit: 'MPa',
  quality: { source_flag: 'D', flags: ['bad'], warnings: ['sensor_fault_sentinel'] },
  source: { adapter: 'http', message_id: null, received_at: '2026-01-01T01:00:01.000Z', raw_value: null, raw_unit: null },
}];

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
let handler: Handler = (_q, _b, res) => res.end();
const server = createServer((req, res) => { const parts: Buffer[] = []; req.on('data', (c) => parts.push(c)); req.on('end', () => handler(req, Buffer.concat(parts), res)); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
t.teardown(() => { server.closeAllConnections(); server.close(); });
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;

const abort = new AbortController();
t.teardown(() => abort.abort());
const ctx: PublisherContext = { name: 'up', logger: pino({ level: 'silent' }), metrics: { received() {}, sent() {}, error() {}, dropped() {} }, signal: abort.signal, clock: { now: () => 1764036000_000 } };

function config(extra: Partial<HttpPushConfig> = {}): HttpPushConfig {
  const c = { url, ...extra } as Record<string, unknown>;
  const v = createAjv({ useDefaults: true }).compile({ ...def.manifest.configSchema, $id: undefined });
  if (!v(c)) throw new Error(JSON.stringify(v.errors));
  return c as unknown as HttpPushConfig;
}
const make = async (extra?: Partial<HttpPushConfig>) => def.create(config(extra), ctx);
const batch = { idempotencyKey: 'up.1-1.0', attempt: 2, observations: obs };

t.test('manifest and config schema', async (t) => {
  t.ok(assertPublisher({ default: def }, 'http_push'));
  t.equal(def.manifest.id, 'http_push');
  const v = createAjv().compile({ ...def.manifest.configSchema, $id: undefined });
  t.notOk(v({}), 'url is required');
  t.notOk(v({ url: 'ftp://x' }), 'http(s) only');
  t.notOk(v({ url, signing: { secret: 'short' } }), 'secret at least 8 characters');
});

t.test('signature golden vectors (checked with openssl dgst -hmac)', async (t) => {
  const body = Buffer.from('{"a":1}');
  t.equal(sign('hmac-sha256', 'secret-key-1', '1764036000', body), 'sha256=c483609965221988d45468461c5201af0011a743c544cbd47d95e25df1f47378');
  t.equal(sign('hmac-sm3', 'secret-key-1', '1764036000', body), 'sm3=90f3cc9e025b1248f4685976f7a37b40ba77ea8afcb9260fb63818660793e969');
  t.equal(createHash('sm3').update('abc').digest('hex'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0', 'SM3 is GB/T 32905 (its example A.1)');
});

t.test('2xx: JSON envelope, idempotency key, attempt and signature headers', async (t) => {
  let seen: { headers: IncomingMessage['headers']; body: Buffer } | undefined;
  handler = (req, body, res) => { seen = { headers: req.headers, body }; res.writeHead(202).end(); };
  const p = await make({ signing: { secret: 'secret-key-1', algorithm: 'hmac-sha256', header: 'X-Lifeline-Signature', timestamp_header: 'X-Lifeline-Timestamp' }, headers: { authorization: 'Bearer tok' } });
  t.same(await p.send(batch), { status: 'ok' });
  t.equal(seen!.headers['idempotency-key'], 'up.1-1.0');
  t.equal(seen!.headers['x-lifeline-attempt'], '2');
  t.equal(seen!.headers['content-type'], 'application/json');
  t.equal(seen!.headers.authorization, 'Bearer tok', 'configured headers sent');
  t.equal(seen!.headers['x-lifeline-timestamp'], '1764036000');
  t.equal(seen!.headers['x-lifeline-signature'], sign('hmac-sha256', 'secret-key-1', '1764036000', seen!.body), 'signature over timestamp.body');
  t.same(JSON.parse(seen!.body.toString()), { idempotency_key: 'up.1-1.0', observations: obs });
});

t.test('protobuf body: lifeline.v1.ObservationBatch round trip', async (t) => {
  let body: Buffer | undefined, type: string | undefined;
  handler = (req, b, res) => { body = b; type = req.headers['content-type']; res.end(); };
  const p = await make({ format: 'protobuf' });
  t.same(await p.send(batch), { status: 'ok' });
  t.equal(type, 'application/x-protobuf');
  const back = decodeProtobufBody(body!);
  t.equal(back.idempotency_key, 'up.1-1.0');
  t.match(back.observations[0], { id: '42', point: 'P1', kind: 'rtd', time_ms: Date.parse(obs[0]!.time), value: 0.35, raw_value: 350, source_flag: 'N', received_at_ms: Date.parse(obs[0]!.source.received_at) });
  t.match(back.observations[1], { kind: 'hour', avg: 0.3, flags: ['bad'], warnings: ['sensor_fault_sentinel'], source_flag: 'D' });
  t.notOk('value' in back.observations[1]! && back.observations[1]!.value !== null && back.observations[1]!.value !== undefined && back.observations[1]!.value !== 0, 'null value travels as absent');
});

t.test('answers → outcomes', async (t) => {
  const p = await make();
  const answer = async (status: number, headers: Record<string, string> = {}, text = '') => {
    handler = (_q, _b, res) => res.writeHead(status, headers).end(text);
    return p.send(batch);
  };
  t.match(await answer(400, {}, '{"error":"bad field"}'), { status: 'permanent', reason: /^HTTP 400/, response: { status: 400, body: '{"error":"bad field"}' } }, '400 permanent, answer kept');
  t.match(await answer(401), { status: 'permanent' }, '401 permanent');
  t.match(await answer(422), { status: 'permanent' }, '422 permanent');
  t.match(await answer(408), { status: 'retry' }, '408 retry');
  t.match(await answer(429, { 'retry-after': '3' }), { status: 'retry', retryAfterMs: 3000 }, '429 Retry-After seconds');
  t.match(await answer(503, { 'retry-after': new Date(1764036000_000 + 5000).toUTCString() }), { status: 'retry', retryAfterMs: 5000 }, '503 Retry-After HTTP-date');
  t.match(await answer(500), { status: 'retry', retryAfterMs: undefined }, '5xx retry');
  t.equal((await p.health()).status, 'degraded');
  handler = (_q, _b, res) => { setTimeout(() => res.end(), 1000); };
  const slow = await def.create({ ...config(), timeout_ms: 150 }, ctx);
  t.match(await slow.send(batch), { status: 'retry', reason: /no answer within 150 ms/ }, 'timeout retry');
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const refused = await def.create({ ...config(), url: `http://127.0.0.1:${port}/x` }, ctx);
  t.match(await refused.send(batch), { status: 'retry', reason: /ECONNREFUSED/ }, 'connection refused retry');
  t.equal((await refused.health()).status, 'down');
});

t.test('parseRetryAfter', async (t) => {
  t.equal(parseRetryAfter('120'), 120_000);
  t.equal(parseRetryAfter(null), undefined);
  t.equal(parseRetryAfter('soon'), undefined);
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.UTC(2026, 0, 1)), 10_000);
});
