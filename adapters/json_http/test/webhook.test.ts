// json_http over real HTTP on loopback: auth (API key, HMAC sha256/sm3, timestamps), per-record outcomes,
// mapping failures in quarantine, several devices per message, a profile written for an odd payload shape.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { sign } from '../signature.ts';
import { startWebhookHub, KEYS, SECRET, SM3_SECRET, fixture } from './helpers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const { hub, url, cleanup } = await startWebhookHub();
t.teardown(cleanup);

const example = (n: string) => readFileSync(new URL(`../../../hub/mapping/profiles/${n}.example.json`, import.meta.url), 'utf8');
const post = (profile: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/ingest/${profile}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const key = (k: string) => ({ authorization: `Bearer ${k}` });
const now = () => String(Math.floor(Date.now() / 1000));
const flat = (o: Record<string, unknown> = {}) => JSON.stringify({ deviceId: 'GD-001', ts: Date.now() - 60_000, methane: 1.2, unit: '%LEL', ...o });

t.test('API-key profile: per-record outcomes, 200 only after commit, readings in the API', async (t) => {
  const body = example('flat-reading');
  const res = await post('gas', body, key(KEYS.ingest));
  t.equal(res.status, 200);
  const j = await res.json() as Any;
  t.equal(j.profile, 'gas');
  t.equal(j.accepted, 1, 'methane stored');
  t.equal(j.quarantined, 1, 'temperature has no point: quarantined, not lost');
  t.match(j.results[0], { outcome: 'accepted', reading: { key: 'GD-001', field: 'methane', time: '2026-11-25T02:00:00.000Z' } });
  t.match(j.results[1], { outcome: 'quarantined', reason: 'UNKNOWN_POINT', reading: { key: 'GD-001', field: 'temperature' } });
  t.same(j.failures, []);
  const obs = await (await fetch(`${url}/v1/observations?point=GD-001-CH4`, { headers: key(KEYS.read) })).json() as Any;
  t.equal(obs.data.length, 1);
  t.equal(Date.parse(obs.data[0].time), Date.parse('2026-11-25T10:00:00+08:00'));
  const again = await (await post('gas', body, key(KEYS.ingest))).json() as Any;
  t.equal(again.duplicates, 1, 'resent payload is a duplicate');
  t.equal(again.results[0].outcome, 'duplicate');
});

t.test('API-key profile needs an ingest key', async (t) => {
  const none = await post('gas', flat());
  t.equal(none.status, 401);
  t.equal((await none.json() as Any).code, 'AUTH_MISSING');
  const read = await post('gas', flat(), key(KEYS.read));
  t.equal(read.status, 403);
  t.equal((await read.json() as Any).code, 'AUTH_FORBIDDEN');
  const sig = await post('gas', flat(), { 'x-signature': 'ab' });
  t.equal(sig.status, 401, 'a signature is no substitute for a key on an api_key profile');
});

t.test('HMAC-SHA256 with a signed timestamp', async (t) => {
  const cfg = { algorithm: 'sha256' as const, encoding: 'hex' as const, prefix: '' };
  const body = flat({ ts: Date.now() - 30_000 });
  const ts = now();
  const good = await post('gas-signed', body, { 'x-timestamp': ts, 'x-signature': sign(cfg, SECRET, Buffer.from(body), ts) });
  t.equal(good.status, 200, 'no API key needed');
  t.equal((await good.json() as Any).accepted, 1);

  const wrongSecret = await post('gas-signed', body, { 'x-timestamp': ts, 'x-signature': sign(cfg, 'x'.repeat(32), Buffer.from(body), ts) });
  t.equal(wrongSecret.status, 401);
  t.equal((await wrongSecret.json() as Any).code, 'SIGNATURE_INVALID');

  const tampered = body.replace('1.2', '9.9');
  const t2 = await post('gas-signed', tampered, { 'x-timestamp': ts, 'x-signature': sign(cfg, SECRET, Buffer.from(body), ts) });
  t.equal((await t2.json() as Any).code, 'SIGNATURE_INVALID', 'body changed after signing');

  const shifted = await post('gas-signed', body, { 'x-timestamp': String(Number(ts) + 1), 'x-signature': sign(cfg, SECRET, Buffer.from(body), ts) });
  t.equal((await shifted.json() as Any).code, 'SIGNATURE_INVALID', 'the timestamp is signed: it cannot be changed');

  const missing = await post('gas-signed', body, { 'x-timestamp': ts });
  t.equal(missing.status, 401);
  t.equal((await missing.json() as Any).code, 'SIGNATURE_MISSING');
  const noTs = await post('gas-signed', body, { 'x-signature': sign(cfg, SECRET, Buffer.from(body)) });
  t.equal((await noTs.json() as Any).code, 'SIGNATURE_MISSING', 'timestamp header required');

  const old = String(Math.floor(Date.now() / 1000) - 3600);
  const replay = await post('gas-signed', body, { 'x-timestamp': old, 'x-signature': sign(cfg, SECRET, Buffer.from(body), old) });
  t.equal(replay.status, 401);
  const rj = await replay.json() as Any;
  t.equal(rj.code, 'SIGNATURE_EXPIRED', 'a captured request replayed an hour later');
  t.notMatch(JSON.stringify(rj), /stack|at .*\.ts/, 'no stack trace to the peer');

  // A timestamp that is not a time is the sender's bug, not a replay: its own code (it was SIGNATURE_EXPIRED).
  const abc = await post('gas-signed', body, { 'x-timestamp': 'abc', 'x-signature': sign(cfg, SECRET, Buffer.from(body), 'abc') });
  t.equal(abc.status, 401);
  t.equal((await abc.json() as Any).code, 'SIGNATURE_TIMESTAMP_INVALID', 'X-Timestamp: abc');

  const garbage = await post('gas-signed', body, { 'x-timestamp': ts, 'x-signature': 'zz-not-hex' });
  t.equal((await garbage.json() as Any).code, 'SIGNATURE_INVALID');
});

t.test('HMAC-SM3, base64 with a prefix, secret from the environment', async (t) => {
  const cfg = { algorithm: 'sm3' as const, encoding: 'base64' as const, prefix: 'sm3=' };
  const body = flat({ deviceId: 'GD-002', ts: Date.now() - 10_000 });
  const good = await post('gas-sm3', body, { 'x-sign': sign(cfg, SM3_SECRET, Buffer.from(body)) });
  t.equal(good.status, 200);
  t.equal((await good.json() as Any).accepted, 1);
  const asSha = await post('gas-sm3', body, { 'x-sign': sign({ ...cfg, algorithm: 'sha256' }, SM3_SECRET, Buffer.from(body)) });
  t.equal((await asSha.json() as Any).code, 'SIGNATURE_INVALID', 'sha256 where sm3 is configured');
  const noPrefix = await post('gas-sm3', body, { 'x-sign': sign({ ...cfg, prefix: '' }, SM3_SECRET, Buffer.from(body)) });
  t.equal((await noPrefix.json() as Any).code, 'SIGNATURE_INVALID', 'prefix required');
});

t.test('typed errors: unknown profile, bad JSON, too large', async (t) => {
  const unknownNoKey = await post('nope', '{}');
  t.equal(unknownNoKey.status, 401, 'unknown profiles need a key (no probing)');
  const unknown = await post('nope', '{}', key(KEYS.ingest));
  t.equal(unknown.status, 404);
  t.equal((await unknown.json() as Any).code, 'MAPPING_PROFILE_NOT_FOUND');
  const bad = await post('gas', '{"deviceId": "GD-001", ', key(KEYS.ingest));
  t.equal(bad.status, 400);
  const bj = await bad.json() as Any;
  t.equal(bj.code, 'BODY_INVALID');
  t.match(bj.message, /not valid JSON/);
  const empty = await post('gas', '', key(KEYS.ingest));
  t.equal((await empty.json() as Any).code, 'BODY_INVALID');
  const big = await post('manholes', JSON.stringify({ devices: [], pad: 'x'.repeat(5000) }), key(KEYS.ingest));
  t.equal(big.status, 413);
  t.equal((await big.json() as Any).code, 'PAYLOAD_TOO_LARGE');
  const signedBad = await post('gas-sm3', 'not json', { 'x-sign': sign({ algorithm: 'sm3', encoding: 'base64', prefix: 'sm3=' }, SM3_SECRET, Buffer.from('not json')) });
  t.equal(signedBad.status, 400, 'signature checked first, then the body');
});

t.test('several devices per message; mapping failures quarantined, good records kept', async (t) => {
  const body = JSON.stringify({
    msgId: 'batch-7', time: '2026-11-25 11:00:00',
    devices: [
      { sn: 'MH-0001', data: [{ code: 'level', value: '35.2', unit: 'cm' }, { code: 'level_raw', value: 'n/a', unit: 'cm' }] },
      { sn: 'MH-0002', collectTime: '2026-11-25 10:59:30', data: [{ code: 'level', value: 12, unit: 'cm' }] },
      { data: [{ code: 'level', value: 1, unit: 'cm' }] },
      { sn: 'MH-0001', collectTime: '25/11/2026 11:00', data: [{ code: 'level', value: 2, unit: 'cm' }] },
    ],
  });
  const res = await post('manholes', body, key(KEYS.ingest));
  t.equal(res.status, 200);
  const j = await res.json() as Any;
  t.equal(j.accepted, 2, 'MH-0001 and MH-0002 level stored');
  t.equal(j.rejected, 1, 'the body quarantined once, with its three failures, in the batch\'s transaction');
  t.equal(j.failed, 3);
  t.same(j.results.map((r: { reading: { key: string }; outcome: string }) => `${r.reading.key}:${r.outcome}`), ['MH-0001:accepted', 'MH-0002:accepted']);
  t.same(j.failures.map((f: { code: string; field: string; record: number }) => [f.code, f.field, f.record]), [
    ['MAPPING_BAD_VALUE', '/values/0/value', 0],
    ['MAPPING_NO_DEVICE', '/identity/key', 2],
    ['MAPPING_BAD_TIME', '/time/expr', 3],
  ]);
  const obs = await (await fetch(`${url}/v1/observations?device=MH-0001,MH-0002`, { headers: key(KEYS.read) })).json() as Any;
  t.same(obs.data.map((o: { point: string; value: number }) => [o.point, o.value]).sort(), [['MH-0001-L', 0.352], ['MH-0002-L', 0.12]], 'cm converted to m');
  // Failures of several kinds: reason MAPPING_FAILED, each failure with its own code in the entry.
  const q = await (await fetch(`${url}/v1/quarantine?reason=MAPPING_FAILED`, { headers: key(KEYS.read) })).json() as Any;
  t.equal(q.data.length, 1);
  t.match(q.data[0], {
    adapter: 'json_http', reason: 'MAPPING_FAILED', message: /^3 failures in this payload \(MAPPING_BAD_VALUE ×1, MAPPING_NO_DEVICE ×1, MAPPING_BAD_TIME ×1\)/,
    record: { profile: 'manholes', mapping: 'manholes', failed: 3, input: { msgId: 'batch-7', devices: [{ sn: 'MH-0001' }, { sn: 'MH-0002' }, { data: [{ code: 'level' }] }, { sn: 'MH-0001' }] } },
  });
  t.same(q.data[0].record.failures.map((f: { code: string; field: string; record: number }) => [f.code, f.field, f.record]), [
    ['MAPPING_BAD_VALUE', '/values/0/value', 0],
    ['MAPPING_NO_DEVICE', '/identity/key', 2],
    ['MAPPING_BAD_TIME', '/time/expr', 3],
  ]);
  t.match(q.data[0].record.failures[2].message, /25\/11\/2026 11:00.*YYYY-MM-DD HH:mm:ss/);
});

t.test('a payload shape no shipped profile covers is mapped by a profile file only', async (t) => {
  const res = await post('odd', readFileSync(fixture('positional-rows.json')), key(KEYS.ingest));
  t.equal(res.status, 200);
  const j = await res.json() as Any;
  t.equal(j.accepted, 2);
  t.same(j.results.map((r: { reading: { key: string; time: string } }) => [r.reading.key, r.reading.time]), [['MH-0001', '2026-11-25T02:00:00.000Z'], ['MH-0002', '2026-11-25T02:00:00.000Z']]);
  const obs = await (await fetch(`${url}/v1/observations?point=MH-0001-L&from=2026-11-25T09:00:00&to=2026-11-25T10:30:00`, { headers: key(KEYS.read) })).json() as Any;
  t.same(obs.data.map((o: { value: number }) => o.value), [3.52], 'mm converted to m');
});

t.test('health and the route list', async (t) => {
  const routes = hub.app.lifelineRoutes.filter((r) => r.url === '/v1/ingest/:profile');
  t.same(routes, [{ method: 'POST', url: '/v1/ingest/:profile', scope: 'ingest', dataScope: 'ingest' }], 'declared with the ingest scope and data-scope rule (signature profiles opt out per request)');
  const a = await (await fetch(`${url}/v1/adapters`, { headers: key(KEYS.read) })).json() as Any;
  t.ok(JSON.stringify(a).includes('gas-signed'), 'health lists the webhook profiles');
});
