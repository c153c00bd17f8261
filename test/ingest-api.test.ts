// The issue's acceptance scenario through the HTTP API, against both stores.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';

// The readings below are dated 2026-11-25; the hub's clock is fixed just after them, so no test here turns `late`
// (late_after_s) as the calendar moves on.
const FIXED_CLOCK = { now: () => Date.parse('2026-11-25T12:00:00Z') };
import { postgresUp, needService } from './helpers/services.ts';
import { encodeIngestBatch } from '../hub/api/protobuf.ts';

for (const store of ['pglite', 'postgres'] as const) {
  t.test(store, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const { hub, cleanup } = await startTestHub(store, undefined, FIXED_CLOCK);
    t.teardown(cleanup);
    const app = hub.app;
    const count = async () => Number((await hub.db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);

    await t.test('mixed batch: converted, out of range, unknown point', async (t) => {
      const res = await app.inject({
        method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest),
        payload: { records: [
          { point: 'WS-001-P1', time: '2026-11-25T10:00:00+08:00', value: 250, unit: 'kPa' },
          { point: 'WS-001-P1', time: '2026-11-25T10:01:00+08:00', value: 3.1 },
          { point: 'WS-404-P9', time: '2026-11-25T10:00:00+08:00', value: 1 },
        ] },
      });
      t.equal(res.statusCode, 200);
      const body = res.json();
      t.match(body, { accepted: 2, duplicates: 0, quarantined: 1 });
      t.same(body.results[0].flags, ['unit_converted']);
      t.same(body.results[1].flags, ['out_of_range']);
      t.match(body.results[2], { outcome: 'quarantined', reason: 'UNKNOWN_POINT', field: '/point' });

      const got = await app.inject({ url: '/v1/observations?point=WS-001-P1', headers: auth(KEYS.read) });
      const data = got.json().data;
      t.equal(data.length, 2, 'GET returns exactly the two stored observations');
      t.match(data[0], { point: 'WS-001-P1', device: 'WS-001-PT', site: 'WS-001', indicator: 'water.pipe_pressure', domain: 'water', kind: 'rtd', time: '2026-11-25T02:00:00.000Z', value: 0.25, unit: 'MPa', quality: { source_flag: 'N', flags: ['unit_converted'] }, source: { adapter: 'http', raw_value: 250, raw_unit: 'kPa' } });
      t.match(data[1], { time: '2026-11-25T02:01:00.000Z', value: 3.1, unit: 'MPa', quality: { flags: ['out_of_range'] }, source: { raw_value: null } });
      t.equal(data[0].id, body.results[0].id, 'ids in the ingest answer are the stored ids');

      const q = await app.inject({ url: '/v1/quarantine?reason=UNKNOWN_POINT', headers: auth(KEYS.read) });
      const entries = q.json().data;
      t.equal(entries.length, 1);
      t.match(entries[0], { reason: 'UNKNOWN_POINT', adapter: 'http', field: '/point', record: { point: 'WS-404-P9', value: 1 } });
    });

    await t.test('a malformed record rejects the whole batch with 400 naming the field; nothing is written', async (t) => {
      const before = await count();
      const qBefore = (await app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) })).json().data.length;
      const res = await app.inject({
        method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest),
        payload: { records: [
          { point: 'WS-001-P1', time: '2026-11-25T11:00:00+08:00', value: 0.3 },
          { point: 'WS-404-P9', time: '2026-11-25T11:00:00+08:00', value: 1 },
          { point: 'WS-001-P1', time: '2026-11-25T11:01:00+08:00', value: 'high' },
        ] },
      });
      t.equal(res.statusCode, 400);
      t.match(res.json(), { code: 'INGEST_INVALID', details: { path: '/records/2/value' }, message: /\/records\/2\/value/ });
      t.equal(await count(), before, 'no observation from the batch');
      t.equal((await app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) })).json().data.length, qBefore, 'no quarantine entry either');
      const unknown = await app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records: [{ point: 'WS-001-P1', time: '2026-11-25T11:00:00Z', value: 1, colour: 'red' }] } });
      t.match(unknown.json(), { code: 'INGEST_INVALID', details: { path: '/records/0/colour' } });
      const notJson = await app.inject({ method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' }, payload: '{"records": [' });
      t.equal(notJson.statusCode, 400);
      t.equal(notJson.json().code, 'INGEST_INVALID');
      const huge = await app.inject({ method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' }, payload: '{"records":[' + '{"point":"WS-001-P1","time":0,"value":1},'.repeat(450_000) + ']}' });
      t.equal(huge.statusCode, 413);
      t.equal(huge.json().code, 'PAYLOAD_TOO_LARGE');
      // Under the body limit but over maxItems: refused before validation, with one error, not one per item.
      const many = await app.inject({ method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' }, payload: '{"records":[' + Array(100_000).fill('1').join(',') + ']}' });
      t.equal(many.statusCode, 400);
      t.match(many.json(), { code: 'INGEST_INVALID', message: /more than 10000 items \(got 100000\)/, details: { path: '/records' } });
      t.equal(many.json().details.errors.length, 1, 'one error for the oversized array');
      const badBody = await app.inject({ method: 'POST', url: '/v1/quarantine/replay', headers: { ...auth(KEYS.admin), 'content-type': 'application/json' }, payload: '{"limit": "lots"}' });
      t.match(badBody.json(), { code: 'BODY_INVALID' });
      t.equal(badBody.statusCode, 400);
    });

    await t.test('retransmission is acknowledged again and stored once', async (t) => {
      const batch = { records: [{ device: 'HT-001-PT', field: 'p', time: '2026-11-25 08:00:00', value: 800 }] };
      const a = (await app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: batch })).json();
      const b = (await app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: batch })).json();
      t.match(a, { accepted: 1 });
      t.match(b, { accepted: 0, duplicates: 1 });
      // The first attempt at the second batch (a plain insert) met the stored reading; it was committed again arbitrated.
      const metrics = (await app.inject({ url: '/metrics', headers: auth(KEYS.read) })).body;
      t.match(metrics, /^lifeline_store_commit_arbitrated_total\{adapter="http"\} 1$/m, 'the retried batch is counted');
      const got = (await app.inject({ url: '/v1/observations?device=HT-001-PT', headers: auth(KEYS.read) })).json().data;
      t.equal(got.length, 1);
      t.match(got[0], { value: 0.8, unit: 'MPa', time: '2026-11-25T00:00:00.000Z' }, 'kPa point source unit, wall time read in Asia/Shanghai');
    });

    await t.test('protobuf body is the same batch', async (t) => {
      const payload = Buffer.from(encodeIngestBatch({ records: [
        { point: 'GS-001-C1', time: Date.UTC(2026, 10, 25, 3, 0, 0), value: 20 },
        { point: 'DR-001-L1', time: '2026-11-25T11:00:00+08:00', kind: 'hour', avg: 35, min: 30, max: 40, flag: 'N' },
      ] }));
      const res = await app.inject({ method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'application/x-protobuf' }, payload });
      t.equal(res.statusCode, 200, res.body);
      t.match(res.json(), { accepted: 2 });
      const gas = (await app.inject({ url: '/v1/observations/latest?point=GS-001-C1', headers: auth(KEYS.read) })).json().data[0];
      t.match(gas, { value: 1, unit: '%{vol}', time: '2026-11-25T03:00:00.000Z', source: { raw_value: 20, raw_unit: '%{LEL}' } }, '20 %LEL methane = 1 %VOL');
      const lvl = (await app.inject({ url: '/v1/observations?point=DR-001-L1&kind=hour', headers: auth(KEYS.read) })).json().data[0];
      t.match(lvl, { kind: 'hour', value: 0.35, avg: 0.35, min: 0.3, max: 0.4, unit: 'm' }, 'cm aggregate converted to m');
      const bad = await app.inject({ method: 'POST', url: '/v1/observations', headers: { ...auth(KEYS.ingest), 'content-type': 'application/x-protobuf' }, payload: Buffer.from([0x0a, 0xff, 0xff]) });
      t.equal(bad.statusCode, 400);
      t.equal(bad.json().code, 'INGEST_INVALID');
    });

    await t.test('pagination and NDJSON return every row once', async (t) => {
      const records = Array.from({ length: 25 }, (_, i) => ({ point: 'BR-001-W1', time: Date.UTC(2026, 10, 1) + i * 1000, value: 0.1 + i / 100 }));
      t.match((await app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } })).json(), { accepted: 25 });
      const seen: number[] = [];
      let cursor: string | null = '';
      let pages = 0;
      while (cursor !== null) {
        const page = (await app.inject({ url: `/v1/observations?point=BR-001-W1&limit=10${cursor ? `&cursor=${cursor}` : ''}`, headers: auth(KEYS.read) })).json() as { data: Array<{ value: number }>; next_cursor: string | null };
        seen.push(...page.data.map((d) => d.value));
        cursor = page.next_cursor;
        pages++;
      }
      t.equal(pages, 3);
      t.same(seen, records.map((r) => r.value));
      const nd = await app.inject({ url: '/v1/observations?point=BR-001-W1', headers: { ...auth(KEYS.read), accept: 'application/x-ndjson' } });
      t.match(nd.headers['content-type'], /application\/x-ndjson/);
      t.same(nd.body.trim().split('\n').map((l) => JSON.parse(l).value), records.map((r) => r.value));
      const badCursor = await app.inject({ url: '/v1/observations?cursor=zzz', headers: auth(KEYS.read) });
      t.match(badCursor.json(), { code: 'QUERY_INVALID', details: { path: '/cursor' } });
      const typo = await app.inject({ url: '/v1/observations?sites=WS-001', headers: auth(KEYS.read) });
      t.match(typo.json(), { code: 'QUERY_INVALID', details: { path: '/sites' }, message: /not a known parameter/ }, 'a misspelt filter is an error, not "everything"');
      const badKind = await app.inject({ url: '/v1/observations?kind=week', headers: auth(KEYS.read) });
      t.match(badKind.json(), { code: 'QUERY_INVALID', details: { path: '/kind' } });
      const badSite = await app.inject({ url: '/v1/observations?site=NOPE', headers: auth(KEYS.read) });
      t.match(badSite.json(), { code: 'QUERY_INVALID', details: { path: '/site' } });
      const domain = (await app.inject({ url: '/v1/observations?domain=bridge&from=2026-11-01T00:00:10Z&to=2026-11-01T00:00:12Z', headers: auth(KEYS.read) })).json().data;
      t.same(domain.map((d: { value: number }) => d.value), [records[10]!.value, records[11]!.value], 'domain filter with from/to window');
    });

    await t.test('quarantine replay after registering the point', async (t) => {
      // First replay while still unregistered: nothing stored, entry stays open; replay with no body works.
      const wrongUnit = await app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records: [{ point: 'WS-404-P9', time: '2026-11-25T12:00:00+08:00', value: 1, unit: 'm' }] } });
      t.match(wrongUnit.json(), { quarantined: 1 });
      const early = await app.inject({ method: 'POST', url: '/v1/quarantine/replay', headers: auth(KEYS.admin) });
      t.equal(early.statusCode, 200, early.body);
      t.match(early.json(), { stored: 0 });
      const notFound = await app.inject({ method: 'POST', url: '/v1/quarantine/replay', headers: auth(KEYS.admin), payload: { ids: ['999999'] } });
      t.equal(notFound.statusCode, 404);
      const put = await app.inject({ method: 'PUT', url: '/v1/devices/WS-404', headers: auth(KEYS.admin), payload: { site: 'WS-001' } });
      t.equal(put.statusCode, 200, put.body);
      t.equal((await app.inject({ method: 'PUT', url: '/v1/points/WS-404-P9', headers: auth(KEYS.admin), payload: { device: 'WS-404', indicator: 'water.pipe_pressure' } })).statusCode, 200);
      const r = await app.inject({ method: 'POST', url: '/v1/quarantine/replay', headers: auth(KEYS.admin), payload: { reason: 'UNKNOWN_POINT' } });
      t.match(r.json(), { examined: 2, stored: 1, still_quarantined: 1 });
      const open = (await app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) })).json().data;
      t.equal(open.length, 1, 'one entry still open');
      t.match(open[0], { reason: 'UNIT_INCOMPATIBLE', field: '/unit', record: { unit: 'm' } }, 'with the reason it fails for now');
      t.equal((await app.inject({ url: '/v1/observations?point=WS-404-P9', headers: auth(KEYS.read) })).json().data.length, 1);
    });

    await t.test('inputs an adapter rejected (not readings) are not replayed and keep their reason', async (t) => {
      const res = await hub.ingest('vendor_feed', [], { rejected: [{ record: { profile: 'p', input: { deviceId: null } }, reason: 'MAPPING_NO_DEVICE', message: 'no device id', field: '/deviceId' }] });
      t.equal(res.rejected, 1);
      const r = await app.inject({ method: 'POST', url: '/v1/quarantine/replay', headers: auth(KEYS.admin), payload: { reason: 'MAPPING_NO_DEVICE' } });
      t.match(r.json(), { examined: 1, stored: 0, still_quarantined: 0, not_replayable: 1 });
      const open = (await app.inject({ url: '/v1/quarantine?reason=MAPPING_NO_DEVICE', headers: auth(KEYS.read) })).json().data;
      t.match(open, [{ reason: 'MAPPING_NO_DEVICE', field: '/deviceId', adapter: 'vendor_feed' }], 'still open, reason unchanged');
    });

    await t.test('registry admin: invalid body names the field; secrets hidden from read keys', async (t) => {
      const bad = await app.inject({ method: 'PUT', url: '/v1/points/X1', headers: auth(KEYS.admin), payload: { device: 'WS-001-PT', indicator: 'water.pipe_pressure', source_unit: 12 } });
      t.equal(bad.statusCode, 400);
      t.match(bad.json(), { code: 'REGISTRY_INVALID', details: { path: '/source_unit' } });
      const ref = await app.inject({ method: 'PUT', url: '/v1/points/X1', headers: auth(KEYS.admin), payload: { device: 'NOPE', indicator: 'water.pipe_pressure' } });
      t.match(ref.json(), { code: 'REGISTRY_INVALID', details: { path: '/device' } });
      const asReader = (await app.inject({ url: '/v1/devices/WS-001-PT', headers: auth(KEYS.read) })).json();
      t.same(asReader.identities, [{ protocol: 'hj212', key: '88888880000001' }]);
      const asAdmin = (await app.inject({ url: '/v1/devices/WS-001-PT', headers: auth(KEYS.admin) })).json();
      t.equal(asAdmin.identities[0].pw, '123456');
      const dupField = await app.inject({ method: 'PUT', url: '/v1/points/X2', headers: auth(KEYS.admin), payload: { device: 'WS-001-PT', indicator: 'water.pipe_pressure', field: 'e01201' } });
      t.equal(dupField.statusCode, 409, 'a second point for the same device field is a conflict');
      t.equal(dupField.json().code, 'REGISTRY_CONFLICT');
      const dupIdentity = await app.inject({ method: 'PUT', url: '/v1/devices/X3', headers: auth(KEYS.admin), payload: { site: 'WS-001', identities: [{ protocol: 'hj212', key: '88888880000001' }] } });
      t.equal(dupIdentity.statusCode, 409, 'a second device with the same MN is a conflict');
      const del = await app.inject({ method: 'DELETE', url: '/v1/sites/WS-001', headers: auth(KEYS.admin) });
      t.equal(del.statusCode, 409);
      t.equal(del.json().code, 'REGISTRY_CONFLICT');
    });
  });
}
