// json_mqtt against the real Mosquitto on 127.0.0.1:1883, through a hub: readings stored, failures
// quarantined, every message acknowledged only once handled (nothing left in the broker session).
import t from 'tap';
import { needService } from '../../../test/helpers/services.ts';
import { mosquittoUp, connect, until, SYSTEM_BROKER } from './fixtures/broker.ts';
import { hubWithMqtt, health, observations, quarantine, topicProfile, uniquePrefix } from './fixtures/setup.ts';

const up = await mosquittoUp();

for (const version of [5, 4] as const) {
  t.test(`MQTT ${version === 5 ? '5' : '3.1.1'}: messages become readings, failures go to quarantine, all acknowledged`, async (t) => {
    if (!needService(t, 'Mosquitto', up)) return;
    const prefix = uniquePrefix(`v${version}`);
    const clientId = `lt-${prefix.split('/')[1]}`;
    const h = await hubWithMqtt({
      broker: { url: SYSTEM_BROKER, client_id: clientId, protocol_version: version },
      subscriptions: [
        { topic: `${prefix}/{vendor}/{device}/up`, profile: topicProfile },
        { topic: `${prefix}/flat/#`, profile: 'flat-reading' },
      ],
      max_payload_bytes: 2000,
    });
    let stopped = false;
    t.teardown(async () => { if (!stopped) await h.cleanup(); });
    const hl = await health(h);
    t.equal(hl.status, 'ok', 'connected and subscribed');
    t.same(hl.detail.subscriptions.map((s: { filter: string; granted: number }) => [s.filter, s.granted]), [[`${prefix}/+/+/up`, 1], [`${prefix}/flat/#`, 1]], 'filters from the templates, QoS 1 granted');

    const pub = await connect(SYSTEM_BROKER, { protocolVersion: version });
    const ts = Date.UTC(2026, 10, 25, 2, 0, 0);
    await pub.publishAsync(`${prefix}/acme/dev-1/up`, JSON.stringify({ ts, data: [{ code: 'level', value: 35.2, unit: 'cm' }, { code: 'p', value: 250 }] }), { qos: 1 });
    await pub.publishAsync(`${prefix}/acme/dev-2/up`, JSON.stringify({ ts, data: [{ code: 'level', value: 'abc' }, { code: 'p', value: 101 }] }), { qos: 1 });
    await pub.publishAsync(`${prefix}/acme/dev-2/up`, 'level=3;p=4', { qos: 1 });
    await pub.publishAsync(`${prefix}/acme/dev-2/up`, JSON.stringify({ ts, data: [{ code: 'level', value: 1, pad: 'x'.repeat(3000) }] }), { qos: 1 });
    await pub.publishAsync(`${prefix}/flat/x`, JSON.stringify({ deviceId: 'unknown-gd', ts, methane: 1.2, unit: '%LEL' }), { qos: 1 });
    // The same message again: stored once (point + kind + time).
    await pub.publishAsync(`${prefix}/acme/dev-1/up`, JSON.stringify({ ts, data: [{ code: 'level', value: 35.2, unit: 'cm' }, { code: 'p', value: 250 }] }), { qos: 1 });
    await pub.endAsync();

    const d = (await until(async () => { const x = await health(h); return x.detail.messages >= 6 && x.detail.in_flight === 0 && x.detail.unacknowledged === 0 ? x : undefined; }, 10_000, 'six messages handled')).detail;
    t.match(d, { messages: 6, readings: 3, duplicates: 2, quarantined: 1, rejected: 3, state: 'connected', session_present: false }, 'counts');

    const obs = await observations(h);
    t.same(obs.map((o) => [o.point, o.time, o.value, o.unit]).sort(), [
      ['MQ-dev-1-L', '2026-11-25T02:00:00.000Z', 0.352, 'm'],
      ['MQ-dev-1-P', '2026-11-25T02:00:00.000Z', 0.25, 'MPa'],
      ['MQ-dev-2-P', '2026-11-25T02:00:00.000Z', 0.101, 'MPa'],
    ].sort(), 'readings stored once, converted to the indicators\' units');

    const q = await quarantine(h);
    const reasons = q.map((e) => e.reason).sort();
    t.same(reasons, ['MAPPING_BAD_VALUE', 'MQTT_NOT_JSON', 'MQTT_PAYLOAD_TOO_LARGE', 'UNKNOWN_DEVICE'].sort(), 'each failure quarantined with its reason');
    t.match(q.find((e) => e.reason === 'MQTT_NOT_JSON')!.record, { topic: `${prefix}/acme/dev-2/up`, payload: 'level=3;p=4' }, 'non-JSON kept as text with its topic');
    t.match(q.find((e) => e.reason === 'MQTT_PAYLOAD_TOO_LARGE')!.record, { topic: `${prefix}/acme/dev-2/up`, bytes: Number }, 'too large: topic and size');
    t.match(q.find((e) => e.reason === 'MAPPING_BAD_VALUE')!.record, { topic: `${prefix}/acme/dev-2/up` }, 'mapping failure with its topic');

    // Everything was acknowledged: the broker holds nothing for this session after the hub left.
    await h.cleanup();
    stopped = true;
    const probe = await connect(SYSTEM_BROKER, { protocolVersion: version, clientId, clean: false, ...(version === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}) });
    const redelivered: string[] = [];
    probe.on('message', (topic) => redelivered.push(topic));
    await new Promise((r) => setTimeout(r, 500));
    t.same(redelivered, [], 'no message redelivered: all were acknowledged');
    await probe.endAsync();
    if (version === 4) { const c = await connect(SYSTEM_BROKER, { protocolVersion: 4, clientId, clean: true }); await c.endAsync(); } // drop the session
  });
}
