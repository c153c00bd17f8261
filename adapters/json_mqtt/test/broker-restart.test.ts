// Reconnect for ever: a private Mosquitto is stopped and started again on the same port. Without
// persistence it has lost the session, so the adapter subscribes again; with persistence the session
// survives. (Transport-level: readings go to an in-memory ingest.)
import t from 'tap';
import { needService } from '../../../test/helpers/services.ts';
import { validateAdapterConfigs } from '../../../hub/adapters/loader.ts';
import type { AdapterDefinition } from '../../../hub/sdk/index.ts';
import jsonMqtt from '../index.ts';
import { mosquittoAvailable, privateBroker, connect, until } from './fixtures/broker.ts';
import { memoryContext, topicProfile } from './fixtures/setup.ts';

const msg = (i: number) => JSON.stringify({ ts: Date.UTC(2026, 0, 1) + i * 60_000, data: [{ code: 'level', value: i }] });

for (const persistence of [false, true]) {
  t.test(`broker restarted ${persistence ? 'with' : 'without'} persistence: the subscription resumes`, async (t) => {
    if (!needService(t, 'mosquitto binary', mosquittoAvailable())) return;
    const broker = await privateBroker({ persistence });
    t.teardown(() => broker.cleanup());
    const config = { broker: { url: broker.url, client_id: 'restart-test', reconnect_period_ms: 200, connect_timeout_ms: 2000 }, subscriptions: [{ topic: 'plant/{device}/up', profile: topicProfile }] };
    t.same(validateAdapterConfigs(new Map([['json_mqtt', jsonMqtt as unknown as AdapterDefinition]]), { json_mqtt: config }), [], 'config valid');
    const { ctx, got } = memoryContext();
    const a = await jsonMqtt.create(config as never, ctx);
    t.teardown(() => a.stop());
    await a.start();
    const health = async () => (await a.health()) as { status: string; detail: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const publish = async (i: number) => { const p = await connect(broker.url, { protocolVersion: 5 }); await p.publishAsync('plant/dev-1/up', msg(i), { qos: 1 }); await p.endAsync(); };

    await publish(1);
    await until(() => got.length === 1, 10_000, 'first reading');

    await broker.kill();
    const down = await until(async () => { const x = await health(); return x.detail.state === 'reconnecting' ? x : undefined; }, 10_000, 'reconnecting');
    t.equal(down.status, 'degraded', 'degraded while the broker is away');
    await until(async () => (await health()).detail.last_error, 5000, 'last error');
    t.match((await health()).detail.last_error, /ECONNREFUSED|close|connack/i, `last error: ${(await health()).detail.last_error}`);

    await broker.start();
    const back = await until(async () => { const x = await health(); return x.detail.state === 'connected' && x.detail.connects === 2 && x.detail.subscriptions[0].granted === 1 ? x : undefined; }, 15_000, 'reconnected');
    t.equal(back.status, 'ok', 'ok again');
    t.equal(back.detail.session_present, persistence, persistence ? 'session kept by the broker' : 'session lost with the broker, subscribed again');

    await publish(2);
    await until(() => got.length === 2, 10_000, 'reading after the restart');
    t.same(got.map((r) => r.value), [1, 2], 'both readings');
  });
}
