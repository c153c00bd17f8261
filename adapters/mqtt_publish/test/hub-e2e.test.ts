// Through a real hub: readings ingested → outbox → delivery engine → mqtt_publish → Mosquitto → a subscriber.
import t from 'tap';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { startTestHub } from '../../../test/helpers/hub.ts';
import { needService } from '../../../test/helpers/services.ts';
import type { Observation } from '../../../hub/sdk/index.ts';

const brokerUp = () => new Promise<boolean>((resolve) => {
  const s = net.connect(1883, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

t.test('hub → mqtt_publish → broker', async (t) => {
  if (!needService(t, 'Mosquitto', await brokerUp())) return;
  const prefix = `lifeline-e2e/${process.pid}-${randomBytes(3).toString('hex')}`;
  const sub = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
  const got: Array<{ topic: string; o: Observation; key: unknown }> = [];
  sub.on('message', (topic, payload, packet) => got.push({ topic, o: JSON.parse(payload.toString()), key: packet.properties?.userProperties?.['idempotency-key'] }));
  await sub.subscribeAsync(`${prefix}/#`, { qos: 1 });
  t.teardown(() => sub.endAsync());

  const { hub, cleanup } = await startTestHub('pglite', (c) => {
    (c as { publish?: unknown }).publish = {
      poll_ms: 50,
      targets: { bus: { type: 'mqtt_publish', filter: { domains: ['water'] }, batch: { max_size: 100, max_wait_ms: 50 }, config: { url: 'mqtt://127.0.0.1:1883', topic: `${prefix}/{domain}/{site}/{point}/{kind}` } } },
    };
  });
  t.teardown(cleanup);
  const res = await hub.ingest('http', [
    { point: 'WS-001-P1', time: '2026-11-25T10:00:00+08:00', value: 250, unit: 'kPa' },
    { point: 'WS-001-P1', time: '2026-11-25T10:01:00+08:00', value: 0.26 },
    { point: 'GS-001-C1', time: '2026-11-25T10:00:00+08:00', value: 1 },
  ], { trusted: true });
  t.equal(res.accepted, 3);
  hub.publish?.wake();
  const until = Date.now() + 10_000;
  while (got.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 200)); // nothing more should come (gas is filtered out)
  t.equal(got.length, 2);
  t.same(got.map((m) => m.topic), [`${prefix}/water/WS-001/WS-001-P1/rtd`, `${prefix}/water/WS-001/WS-001-P1/rtd`]);
  t.match(got.map((m) => m.o), [
    { point: 'WS-001-P1', site: 'WS-001', device: 'WS-001-PT', indicator: 'water.pipe_pressure', time: '2026-11-25T02:00:00.000Z', value: 0.25, unit: 'MPa', source: { raw_value: 250, raw_unit: 'kPa' } },
    { time: '2026-11-25T02:01:00.000Z', value: 0.26 },
  ]);
  t.ok(got.every((m) => typeof m.key === 'string' && m.key.length > 0), 'each message carries the batch idempotency key');
});
