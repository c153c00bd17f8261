// Subscriptions the broker grants at a lower QoS than asked show in health (granted 0, status degraded).
// (Mosquitto 2.0 grants subscriptions its ACL denies and filters on delivery, so 'refused' is not provoked here.)
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { needService } from '../../../test/helpers/services.ts';
import { validateAdapterConfigs } from '../../../hub/adapters/loader.ts';
import type { AdapterDefinition, SourceReading } from '../../../hub/sdk/index.ts';
import jsonMqtt from '../index.ts';
import { mosquittoAvailable, mosquittoUp, privateBroker, connect, until, SYSTEM_BROKER } from './fixtures/broker.ts';
import { memoryContext, topicProfile, uniquePrefix } from './fixtures/setup.ts';

t.test('a downgraded subscription is reported', async (t) => {
  if (!needService(t, 'mosquitto binary', mosquittoAvailable())) return;
  const broker = await privateBroker();
  await broker.kill();
  writeFileSync(join(broker.dir, 'mosquitto.conf'), [`listener ${broker.port} 127.0.0.1`, 'allow_anonymous true', 'max_qos 0', 'log_dest none', ''].join('\n'));
  await broker.start();
  t.teardown(() => broker.cleanup());

  const got: SourceReading[] = [];
  const config = { broker: { url: broker.url, client_id: 'qos-test', clean: true }, subscriptions: [{ topic: 'allowed/{device}', profile: topicProfile }] };
  t.same(validateAdapterConfigs(new Map([['json_mqtt', jsonMqtt as unknown as AdapterDefinition]]), { json_mqtt: config }), []);
  const ctx = {
    name: 'json_mqtt', timezone: 'Asia/Shanghai', dataDir: broker.dir, configDir: broker.dir, logger: pino({ level: 'silent' }), clock: { now: () => Date.now() },
    metrics: { received() {}, sent() {}, error() {}, dropped() {} }, signal: new AbortController().signal,
    ingest: async (b: SourceReading[]) => { got.push(...b); return { accepted: b.length, duplicates: 0, quarantined: 0, rejected: 0, results: b.map(() => ({ outcome: 'accepted' as const, id: '1', flags: [] })) }; },
  } as never;
  const a = await jsonMqtt.create(config as never, ctx);
  t.teardown(() => a.stop());
  await a.start();
  const h = await a.health();
  t.equal(h.status, 'degraded', 'degraded: subscription granted below the QoS asked for');
  t.same((h.detail!.subscriptions as Array<{ filter: string; qos: number; granted: unknown }>).map((s) => [s.filter, s.qos, s.granted]), [['allowed/+', 1, 0]]);
  const pub = await connect(broker.url);
  await pub.publishAsync('allowed/dev-1', JSON.stringify({ ts: 1, data: [{ code: 'level', value: 1 }] }), { qos: 0 }); // this broker takes QoS 0 only
  await pub.endAsync();
  await until(() => got.length === 1, 5000, 'reading on the granted subscription');
  t.match(got[0], { identity: { protocol: 'json_mqtt', key: 'dev-1' }, field: 'level', value: 1 }, 'messages still delivered (at QoS 0)');
});

t.test('non_json: drop and empty payloads are acknowledged and counted, not stored', async (t) => {
  if (!needService(t, 'Mosquitto', await mosquittoUp())) return;
  const prefix = uniquePrefix('drop');
  const clientId = `lt-${prefix.split('/')[1]}`;
  const { ctx, got } = memoryContext();
  const a = await jsonMqtt.create({ broker: { url: SYSTEM_BROKER, client_id: clientId, reject_unauthorized: true, protocol_version: 5, clean: true, session_expiry_s: 0, keepalive: 60, reconnect_period_ms: 500, connect_timeout_ms: 5000 }, subscriptions: [{ topic: `${prefix}/{device}/up`, profile: topicProfile, qos: 1 }], max_payload_bytes: 1000, non_json: 'drop', max_in_flight: 10, batch_max_records: 100, batch_max_wait_ms: 5 } as never, ctx);
  t.teardown(() => a.stop());
  await a.start();
  const pub = await connect(SYSTEM_BROKER, { protocolVersion: 5 });
  await pub.publishAsync(`${prefix}/dev-1/up`, 'not json', { qos: 1 });
  await pub.publishAsync(`${prefix}/dev-1/up`, '', { qos: 1 });
  await pub.publishAsync(`${prefix}/dev-1/up`, JSON.stringify({ ts: 2, data: [{ code: 'p', value: 3 }] }), { qos: 1 });
  await pub.endAsync();
  const d = await until(async () => { const h = await a.health(); return (h.detail!.messages as number) >= 3 && h.detail!.unacknowledged === 0 ? h.detail! : undefined; }, 5000, 'handled');
  t.match(d, { messages: 3, dropped: 1, empty: 1, rejected: 0 }, 'counted');
  t.same(got.map((r) => r.field), ['p'], 'only the JSON reading reached ingest');
});
