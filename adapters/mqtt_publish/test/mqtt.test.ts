// mqtt_publish against the real Mosquitto on 127.0.0.1:1883 (unique topic prefix per run).
import t from 'tap';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { needService } from '../../../test/helpers/services.ts';
import type { Observation } from '../../../hub/sdk/index.ts';
import { LifelineError } from '../../../hub/sdk/index.ts';
import publisher from '../index.ts';
import type { MqttPublishConfig } from '../manifest.ts';
import { testContext, obs } from '../../hj212_upstream/test/context.ts';

const BROKER = 'mqtt://127.0.0.1:1883';
const prefix = `lifeline-test/${process.pid}-${randomBytes(3).toString('hex')}`;

const brokerUp = () => new Promise<boolean>((resolve) => {
  const s = net.connect(1883, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

async function subscriber(filter: string) {
  const c = await mqtt.connectAsync(BROKER, { protocolVersion: 5, clientId: `sub-${randomBytes(4).toString('hex')}` });
  const got: Array<{ topic: string; payload: unknown; props: Record<string, unknown> | undefined; qos: number }> = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: JSON.parse(payload.toString()), props: packet.properties?.userProperties as Record<string, unknown>, qos: packet.qos }));
  await c.subscribeAsync(filter, { qos: 1 });
  return {
    got,
    async waitFor(n: number, ms = 3000) {
      const until = Date.now() + ms;
      while (got.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return got;
    },
    close: () => c.endAsync(),
  };
}

const P1 = { point: 'WS-001-P1', device: 'WS-001-PT', site: 'WS-001', indicator: 'water.pipe_pressure' };
const C1 = { point: 'GS-001-C1', device: 'GS-001-GD', site: 'GS-001', indicator: 'gas.underground_space_concentration' };

t.test('mqtt_publish', async (t) => {
  if (!needService(t, 'Mosquitto', await brokerUp())) return;

  await t.test('one message per observation on the templated topic, JSON payload, idempotency key as user property', async (t) => {
    const sub = await subscriber(`${prefix}/a/#`);
    t.teardown(() => sub.close());
    const p = await publisher.create({ url: BROKER, topic: `${prefix}/a/{domain}/{site}/{point}` } as MqttPublishConfig, testContext());
    t.teardown(() => p.stop());
    await p.start();
    const batch: Observation[] = [
      obs({ ...P1, time: '2026-11-25T02:00:00.000Z', value: 0.25 }),
      obs({ ...P1, time: '2026-11-25T02:01:00.000Z', value: 0.26 }),
      obs({ ...C1, kind: 'min', time: '2026-11-25T02:00:00.000Z', value: 3, avg: 3, min: 2, max: 4, cou: null }),
    ];
    t.same(await p.send({ idempotencyKey: 'k-1', attempt: 1, observations: batch }), { status: 'ok' });
    const got = await sub.waitFor(3);
    t.equal(got.length, 3);
    t.same(got.map((m) => m.topic).sort(), [`${prefix}/a/gas/GS-001/GS-001-C1`, `${prefix}/a/water/WS-001/WS-001-P1`, `${prefix}/a/water/WS-001/WS-001-P1`]);
    for (const o of batch) {
      const m = got.find((x) => (x.payload as Observation).id === o.id);
      t.same(m?.payload, o, `observation ${o.id} arrives as its unified JSON`);
      t.match(m?.props, { 'idempotency-key': 'k-1', 'message-key': `k-1/${o.id}` });
      t.equal(m?.qos, 1);
    }
    t.match(await p.health(), { status: 'ok', detail: { messages_acked: 3 } });
  });

  await t.test('payload batch: one message per topic with {idempotency_key, observations}', async (t) => {
    const sub = await subscriber(`${prefix}/b/#`);
    t.teardown(() => sub.close());
    const p = await publisher.create({ url: BROKER, topic: `${prefix}/b/{site}`, payload: 'batch' } as MqttPublishConfig, testContext());
    t.teardown(() => p.stop());
    await p.start();
    const batch = [obs({ ...P1, time: '2026-11-25T03:00:00.000Z' }), obs({ ...P1, time: '2026-11-25T03:01:00.000Z' }), obs({ ...C1, time: '2026-11-25T03:00:00.000Z' })];
    t.same(await p.send({ idempotencyKey: 'k-2', attempt: 1, observations: batch }), { status: 'ok' });
    const got = await sub.waitFor(2);
    t.equal(got.length, 2);
    const ws = got.find((m) => m.topic === `${prefix}/b/WS-001`);
    t.same(ws?.payload, { idempotency_key: 'k-2', observations: batch.slice(0, 2) });
    t.same((got.find((m) => m.topic === `${prefix}/b/GS-001`)?.payload as { observations: unknown[] }).observations, [batch[2]]);
  });

  await t.test('MQTT 3.1.1 (protocol_version 4) publishes without properties', async (t) => {
    const sub = await subscriber(`${prefix}/c/#`);
    t.teardown(() => sub.close());
    const p = await publisher.create({ url: BROKER, topic: `${prefix}/c/{point}`, protocol_version: 4 } as MqttPublishConfig, testContext());
    t.teardown(() => p.stop());
    await p.start();
    t.same(await p.send({ idempotencyKey: 'k-3', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T04:00:00.000Z' })] }), { status: 'ok' });
    t.equal((await sub.waitFor(1)).length, 1);
  });

  await t.test('broker unreachable → retry; connection lost → retry; back → ok', async (t) => {
    // A TCP relay in front of Mosquitto that the test can take down.
    const links = new Set<net.Socket>();
    let relay = net.createServer((s) => {
      const up = net.connect(1883, '127.0.0.1');
      links.add(s); links.add(up);
      s.pipe(up).pipe(s);
      const close = () => { s.destroy(); up.destroy(); };
      s.on('error', close); up.on('error', close); s.on('close', close); up.on('close', close);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as net.AddressInfo).port;
    const down = async () => { await new Promise((r) => { relay.close(r); for (const s of links) s.destroy(); }); };
    t.teardown(() => relay.close());

    const ctx = testContext();
    const p = await publisher.create({ url: `mqtt://127.0.0.1:${port}`, topic: `${prefix}/d/{point}`, connect_timeout_s: 0.3, reconnect_s: 0.1, timeout_s: 1 } as MqttPublishConfig, ctx);
    t.teardown(() => p.stop());
    await p.start();
    const one = (k: string) => ({ idempotencyKey: k, attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T05:00:00.000Z' })] });
    t.same(await p.send(one('k-4')), { status: 'ok' });
    await down();
    const started = Date.now();
    const out = await p.send(one('k-5'));
    t.equal(out.status, 'retry');
    t.match(out, { reason: /unreachable|disconnected/ });
    t.ok(Date.now() - started < 1500, 'reported within connect_timeout_s');
    t.match(await p.health(), { status: 'down' });

    relay = net.createServer(relay.listeners('connection')[0] as (s: net.Socket) => void);
    await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
    const until = Date.now() + 5000;
    let again = await p.send(one('k-5'));
    while (again.status !== 'ok' && Date.now() < until) again = await p.send(one('k-5'));
    t.same(again, { status: 'ok' }, 'reconnected by itself');

    const nowhere = await publisher.create({ url: 'mqtt://127.0.0.1:1', connect_timeout_s: 0.2, reconnect_s: 0.1 } as MqttPublishConfig, testContext());
    await nowhere.start();
    t.equal((await nowhere.send(one('k-6'))).status, 'retry', 'nothing listening at all → retry');
    await nowhere.stop();
  });

  await t.test('PUBACKs that never come → retry after timeout_s', async (t) => {
    let blackhole = false;
    const links = new Set<net.Socket>();
    const relay = net.createServer((s) => {
      const up = net.connect(1883, '127.0.0.1');
      links.add(s); links.add(up);
      s.on('data', (b) => { if (!blackhole) up.write(b); }); // the broker never sees what is sent while blackholed
      up.pipe(s);
      const close = () => { s.destroy(); up.destroy(); };
      s.on('error', close); up.on('error', close); s.on('close', close); up.on('close', close);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    t.teardown(() => { for (const s of links) s.destroy(); relay.close(); });
    const p = await publisher.create({ url: `mqtt://127.0.0.1:${(relay.address() as net.AddressInfo).port}`, topic: `${prefix}/e/{point}`, timeout_s: 0.4 } as MqttPublishConfig, testContext());
    t.teardown(() => p.stop());
    await p.start();
    t.same(await p.send({ idempotencyKey: 'k-7', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T06:00:00.000Z' })] }), { status: 'ok' });
    blackhole = true;
    const started = Date.now();
    const out = await p.send({ idempotencyKey: 'k-8', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T06:01:00.000Z' })] });
    t.match(out, { status: 'retry', reason: /no acknowledgement within 0.4 s/ });
    t.ok(Date.now() - started >= 350 && Date.now() - started < 2000);
  });

  t.test('a topic template with an unknown variable or a wildcard is refused at create', async (t) => {
    for (const topic of ['x/{station}', 'x/+/{site}', 'x/#']) {
      let err: unknown;
      try { publisher.create({ url: BROKER, topic } as MqttPublishConfig, testContext()); } catch (e) { err = e; }
      t.ok(err instanceof LifelineError && err.code === 'CONFIG_INVALID' && /topic/.test(err.message), topic);
    }
    t.end();
  });
});
