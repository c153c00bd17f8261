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
