// One message must never stop json_mqtt (issue 10): a deeply nested JSON payload parses, but no later stage
// (mapping, the quarantine's JSON column) can serialise it. It is quarantined as text and acknowledged, and
// the messages after it are stored; the adapter is not suspended in a redelivery loop.
import t from 'tap';
import { needService } from '../../../test/helpers/services.ts';
import { mosquittoUp, connect, until, SYSTEM_BROKER } from './fixtures/broker.ts';
import { hubWithMqtt, health, observations, quarantine, topicProfile, uniquePrefix } from './fixtures/setup.ts';

const up = await mosquittoUp();

t.test('a deeply nested JSON payload is quarantined; the next message is stored', async (t) => {
  if (!needService(t, 'Mosquitto', up)) return;
  const prefix = uniquePrefix('deep');
  const clientId = `lt-${prefix.split('/')[1]}`;
  const h = await hubWithMqtt({ broker: { url: SYSTEM_BROKER, client_id: clientId, protocol_version: 5, clean: true }, subscriptions: [{ topic: `${prefix}/{device}`, profile: topicProfile }] });
  t.teardown(h.cleanup);
  const pub = await connect(SYSTEM_BROKER, { protocolVersion: 5 });
  t.teardown(() => pub.endAsync());
  const depth = 50_000; // 100 KB, under max_payload_bytes
  await pub.publishAsync(`${prefix}/dev-1`, `{"ts":${Date.UTC(2026, 0, 1)},"data":${'['.repeat(depth)}${']'.repeat(depth)}}`, { qos: 1 });
  await pub.publishAsync(`${prefix}/dev-1`, JSON.stringify({ ts: Date.UTC(2026, 0, 1), data: [{ code: 'level', value: 12 }] }), { qos: 1 });
  const d = await until(async () => { const x = await health(h); return x.detail.messages >= 2 && x.detail.in_flight === 0 && x.detail.unacknowledged === 0 ? x : undefined; }, 15_000, 'both messages handled');
  t.match(d, { status: 'ok', detail: { state: 'connected', ingest_failures: 0 } }, 'not suspended');
  t.equal((await observations(h)).length, 1, 'the next message is stored');
  const q = await quarantine(h);
  t.equal(q.length, 1, 'the deep one is quarantined');
  t.match(q[0], { reason: 'MQTT_PAYLOAD_TOO_DEEP', record: { topic: `${prefix}/dev-1`, payload: String } });
});

t.test('a non-JSON payload whose kept text would end inside a surrogate pair is quarantined; the next message is stored', async (t) => {
  if (!needService(t, 'Mosquitto', up)) return;
  const prefix = uniquePrefix('cut');
  const clientId = `lt-${prefix.split('/')[1]}`;
  const h = await hubWithMqtt({ broker: { url: SYSTEM_BROKER, client_id: clientId, protocol_version: 5, clean: true }, subscriptions: [{ topic: `${prefix}/{device}`, profile: topicProfile }] });
  t.teardown(h.cleanup);
  const pub = await connect(SYSTEM_BROKER, { protocolVersion: 5 });
  t.teardown(() => pub.endAsync());
  // The first 4096 UTF-16 units are kept: unit 4095 is the high half of 😀.
  await pub.publishAsync(`${prefix}/dev-1`, `${'x'.repeat(4095)}😀 not json`, { qos: 1 });
  await pub.publishAsync(`${prefix}/dev-1`, JSON.stringify({ ts: Date.UTC(2026, 0, 1), data: [{ code: 'level', value: 12 }] }), { qos: 1 });
  const d = await until(async () => { const x = await health(h); return x.detail.messages >= 2 && x.detail.in_flight === 0 && x.detail.unacknowledged === 0 ? x : undefined; }, 15_000, 'both messages handled');
  t.match(d, { status: 'ok', detail: { state: 'connected', ingest_failures: 0 } }, 'not suspended');
  t.equal((await observations(h)).length, 1, 'the next message is stored');
  const q = await quarantine(h);
  t.match(q, [{ reason: 'MQTT_NOT_JSON', record: { payload: `${'x'.repeat(4095)}…` } }], 'kept as text, cut before the pair');
});

// Found by `npm run fuzz -- mqtt --seed 1450332864` (RSS 2.7 GB in 40 s): one quarantine entry per bad value, each with
// a copy of the record. Now the message is quarantined once with its first 100 failures and their count.
t.test('50,000 numbers where data objects belong: one quarantine entry, the good values stored, bounded', { timeout: 60_000 }, async (t) => {
  if (!needService(t, 'Mosquitto', up)) return;
  const prefix = uniquePrefix('many');
  const clientId = `lt-${prefix.split('/')[1]}`;
  const h = await hubWithMqtt({ broker: { url: SYSTEM_BROKER, client_id: clientId, protocol_version: 5, clean: true }, subscriptions: [{ topic: `${prefix}/{device}`, profile: topicProfile }] });
  t.teardown(h.cleanup);
  const pub = await connect(SYSTEM_BROKER, { protocolVersion: 5 });
  t.teardown(() => pub.endAsync());
  const ts = Date.UTC(2026, 0, 1);
  const heapBefore = process.memoryUsage().heapUsed;
  // 100 KB, under max_payload_bytes: two good values, then 50,000 numbers.
  await pub.publishAsync(`${prefix}/dev-1`, JSON.stringify({ ts, data: [{ code: 'level', value: 12 }, { code: 'p', value: 250 }, ...new Array(50_000).fill(1)] }), { qos: 1 });
  // More values than one payload may make: refused as a whole, its start kept as text.
  await pub.publishAsync(`${prefix}/dev-2`, JSON.stringify({ ts, data: new Array(110_000).fill(1) }), { qos: 1 });
  await pub.publishAsync(`${prefix}/dev-2`, JSON.stringify({ ts, data: [{ code: 'level', value: 7 }] }), { qos: 1 });
  const d = await until(async () => { const x = await health(h); return x.detail.messages >= 3 && x.detail.in_flight === 0 && x.detail.unacknowledged === 0 ? x : undefined; }, 30_000, 'all three handled');
  t.match(d, { status: 'ok', detail: { state: 'connected', ingest_failures: 0, readings: 3, rejected: 2 } }, 'not suspended; good values stored, two entries quarantined');
  t.same((await observations(h)).map((o) => o.point).sort(), ['MQ-dev-1-L', 'MQ-dev-1-P', 'MQ-dev-2-L']);
  const q = await quarantine(h);
  t.equal(q.length, 2, 'one entry per message, not per bad value');
  const many = q.find((e) => e.reason === 'MAPPING_BAD_VALUE')!;
  t.match(many, { message: /^50000 failures in this payload/, record: { topic: `${prefix}/dev-1`, failed: 50_000 } });
  t.equal(many.record.failures.length, 100, 'the first 100 failures listed');
  t.equal(many.record.payload.data.length, 50_002, 'the payload kept once, whole');
  const refused = q.find((e) => e.reason === 'MAPPING_TOO_MANY_RECORDS')!;
  t.match(refused, { field: '/values/0/each', record: { topic: `${prefix}/dev-2`, bytes: Number, payload: String } });
  t.ok(refused.record.payload.length < 5000, 'only its start kept');
  const grown = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  t.ok(grown < 300, `heap grew ${grown.toFixed(0)} MiB`);
});
