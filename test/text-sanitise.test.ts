// Issue 10: one poisoned string (a lone UTF-16 surrogate, a NUL) in a batch used to fail the whole batch with a
// retryable 503, so its good records were lost and the sender retried for ever. Now the good records are stored, the
// bad one is quarantined with the text kept as U+FFFD and `text_sanitised: true` — on both stores, through
// POST /v1/observations and through a signed json_http webhook.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';
import { sign } from '../adapters/json_http/signature.ts';

const SECRET = 'a-long-shared-webhook-secret-1234';
const hmac = { header: 'X-Signature', secret: SECRET, timestamp_header: 'X-Timestamp', max_skew_s: 300 };

for (const store of ['pglite', 'postgres'] as const) {
  t.test(store, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const { hub, cleanup } = await startTestHub(store, (c) => {
      (c.adapters as Record<string, unknown>).json_http = { profiles: { 'manholes-signed': { mapping: 'device-array', auth: 'hmac', hmac } } };
      const r = c.registry as unknown as { devices: unknown[]; points: unknown[] };
      r.devices.push({ code: 'MH-0001', site: 'DR-001', name: 'MH-0001', identities: [{ protocol: 'json_http', key: 'MH-0001' }] });
      r.points.push({ code: 'MH-0001-L', device: 'MH-0001', indicator: 'drainage.pipe_level', field: 'level' });
    });
    t.teardown(cleanup);
    const app = hub.app;
    const quarantine = async (reason: string) => (await app.inject({ url: `/v1/quarantine?reason=${reason}`, headers: auth(KEYS.read) })).json().data;

    await t.test('POST /v1/observations: "X\\ud800" is quarantined with a flag, the good records are stored', async (t) => {
      // Sent as JSON text: the escapes arrive exactly as a vendor's client would write them.
      const payload = `{"records":[
        {"point":"WS-001-P1","time":"2026-11-25T10:00:00+08:00","value":0.3},
        {"point":"X\\ud800","time":"2026-11-25T10:00:00+08:00","value":1},
        {"point":"WS-001-P1","time":"2026-11-25T10:01:00+08:00","value":0.31,"message_id":"qn\\u0000\\udc00"}]}`;
      const res = await app.inject({ method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' }, payload });
      t.equal(res.statusCode, 200, res.body);
      const body = res.json();
      t.match(body, { accepted: 2, quarantined: 1 });
      t.notOk(body.results[0].flags.includes('text_sanitised'), 'a clean record is not flagged');
      t.ok(body.results[2].flags.includes('text_sanitised'), 'the stored record whose message_id was cleaned says so');
      t.match(body.results[1], { outcome: 'quarantined', reason: 'UNKNOWN_POINT' });

      const obs = (await app.inject({ url: '/v1/observations?point=WS-001-P1&from=2026-11-25T01:59:00Z&to=2026-11-25T02:02:00Z', headers: auth(KEYS.read) })).json().data;
      t.same(obs.map((o: { value: number }) => o.value), [0.3, 0.31], 'both good records stored');
      t.equal(obs[1].source.message_id, 'qn\uFFFD\uFFFD');
      t.ok(obs[1].quality.flags.includes('text_sanitised'));

      const q = await quarantine('UNKNOWN_POINT');
      t.equal(q.length, 1);
      t.match(q[0], { adapter: 'http', record: { point: 'X\uFFFD', value: 1 }, text_sanitised: true });
      t.equal(q[0].message, 'point "X\uFFFD" is not registered');
    });

    await t.test('a signed json_http body with "sn":"MH-\\ud800": good device stored, bad one quarantined with a flag', async (t) => {
      const body = `{"msgId":"m-1","time":"2026-11-25 12:00:00","devices":[
        {"sn":"MH-0001","data":[{"code":"level","value":35.2,"unit":"cm"}]},
        {"sn":"MH-\\ud800","data":[{"code":"level","value":1,"unit":"cm"}]},
        {"sn":"MH-\\u0000","data":[{"code":"level","value":"n/a","unit":"cm"}]}]}`;
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = sign({ algorithm: 'sha256', encoding: 'hex', prefix: '' }, SECRET, Buffer.from(body), ts);
      const res = await app.inject({ method: 'POST', url: '/v1/ingest/manholes-signed', headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signature }, payload: body });
      t.equal(res.statusCode, 200, res.body);
      t.match(res.json(), { accepted: 1, quarantined: 1, rejected: 1 });
      const obs = (await app.inject({ url: '/v1/observations?point=MH-0001-L', headers: auth(KEYS.read) })).json().data;
      t.same(obs.map((o: { value: number }) => o.value), [0.352], 'the good device\'s reading is stored');
      t.notOk(obs[0].quality.flags.includes('text_sanitised'));

      const unknown = await quarantine('UNKNOWN_DEVICE');
      t.equal(unknown.length, 1);
      t.match(unknown[0], { adapter: 'json_http', record: { identity: { protocol: 'json_http', key: 'MH-\uFFFD' } }, text_sanitised: true });
      const rejected = await quarantine('MAPPING_BAD_VALUE');
      t.equal(rejected.length, 1, 'a mapping failure (rejected input) on a NUL device is kept too');
      // One entry for the body, kept once (cleaned), with the failure's record index.
      t.match(rejected[0], { record: { failed: 1, failures: [{ code: 'MAPPING_BAD_VALUE', record: 2 }] }, text_sanitised: true });
      t.equal(rejected[0].record.input.devices[2].sn, 'MH-\uFFFD');
    });

    await t.test('a replayed sanitised entry keeps its flag on the observation', async (t) => {
      const put = await app.inject({ method: 'PUT', url: '/v1/points/MH-0001-RAW', headers: auth(KEYS.admin), payload: { device: 'MH-0001', indicator: 'drainage.pipe_level', field: 'raw' } });
      t.equal(put.statusCode, 200, put.body);
      const res = await app.inject({ method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' }, payload: '{"records":[{"device":"MH-0001","field":"raw\\ud800","time":"2026-11-25T10:00:00+08:00","value":0.5,"message_id":"\\ud800"}]}' });
      t.match(res.json(), { quarantined: 1 });
      // The field as stored is "raw\uFFFD": register that and replay.
      await app.inject({ method: 'PUT', url: '/v1/points/MH-0001-RAW', headers: auth(KEYS.admin), payload: { device: 'MH-0001', indicator: 'drainage.pipe_level', field: 'raw\uFFFD' } });
      const replay = await app.inject({ method: 'POST', url: '/v1/quarantine/replay', headers: auth(KEYS.admin), payload: { reason: 'UNKNOWN_POINT' } });
      t.match(replay.json(), { stored: 1 });
      const obs = (await app.inject({ url: '/v1/observations?point=MH-0001-RAW', headers: auth(KEYS.read) })).json().data;
      t.equal(obs.length, 1);
      t.ok(obs[0].quality.flags.includes('text_sanitised'));
    });
  });
}
