// Through a real hub (PGlite): simulated devices → adapter → pipeline → store → API; bad quality stored as such;
// commands through POST /v1/adapters/modbus_tcp/commands (admin only).
import t from 'tap';
import { startTestHub, auth, KEYS } from '../../../test/helpers/hub.ts';
import { runModbusSim } from '../sim/run.ts';
import { simAdapterConfig, simRegistry } from '../sim/devices.ts';
import { waitFor } from './fixtures/ctx.ts';

const sim = await runModbusSim({ devices: 3, portCount: 1, profiles: ['water_pressure_transmitter', 'electromagnetic_flow_meter', 'heating_rtu'], prefix: 'MBT' });
t.teardown(() => sim.stop());
const reg = simRegistry(sim.devices);
const adapter = simAdapterConfig(sim.devices, { intervalMs: 200 });
adapter.devices[2] = { ...adapter.devices[2]!, writes: true } as never;
const h = await startTestHub('pglite', (c) => {
  c.registry.sites.push(...(reg.sites as never[]));
  c.registry.devices.push(...(reg.devices as never[]));
  c.registry.points.push(...(reg.points as never[]));
  (c.adapters as Record<string, unknown>).modbus_tcp = { ...adapter, timeout_ms: 1000, retries: 0, reconnect_initial_ms: 50, reconnect_max_ms: 300 };
});
t.teardown(() => h.cleanup());

const obs = async (point: string) => (await h.hub.app.inject({ url: `/v1/observations?point=${point}`, headers: auth(KEYS.read) })).json().data as Array<Record<string, any>>;

t.test('polled readings are stored, converted to the indicator unit', async (t) => {
  await waitFor('observations of every registered point', async () => {
    for (const p of reg.points) if (!(await obs(p.code)).some((o) => o.value !== null)) return false;
    return true;
  }, 30_000);
  // (Under a loaded machine an early poll may time out: those are stored too, as null; check the values read.)
  const read = async (point: string) => (await obs(point)).filter((o) => o.value !== null);
  const [p] = await read('MBT-0001-pressure');
  t.match(p, { unit: 'MPa', source: { adapter: 'modbus_tcp', raw_unit: 'kPa' } });
  t.ok(p!.value >= 0.3 && p!.value <= 0.4, `350±40 kPa → ${p!.value} MPa`);
  const [flow] = await read('MBT-0002-flow_rate');
  t.ok(flow!.value >= 60 && flow!.value <= 120, `flow ${flow!.value} m3/h`);
  const [sp] = await read('MBT-0003-supply_pressure');
  t.ok(sp!.value >= 1.1 && sp!.value <= 1.3, `heating supply pressure ${sp!.value} MPa`);
  const q = (await h.hub.app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) })).json().data;
  t.same(q, [], 'nothing quarantined: every ingested field is a registered point');
});

t.test('a silent unit is stored as quality bad, flag B, value null', async (t) => {
  sim.setBehaviour(0, { silent: true });
  t.teardown(() => sim.setBehaviour(0, {}));
  await waitFor('a bad observation', async () => (await obs('MBT-0001-pressure')).some((o) => o.value === null), 20_000);
  const bad = (await obs('MBT-0001-pressure')).find((o) => o.value === null)!;
  t.match(bad.quality, { source_flag: 'B', warnings: ['modbus_timeout'] });
  t.ok((bad.quality.flags as string[]).includes('bad'), `flags ${bad.quality.flags}`);
  const ready = (await h.hub.app.inject({ url: '/v1/adapters', headers: auth(KEYS.read) })).json().data.find((a: { name: string }) => a.name === 'modbus_tcp');
  t.equal(ready.health.status, 'degraded');
});

t.test('commands: admin only, written value read back', async (t) => {
  const key = `127.0.0.1:${sim.devices[2]!.port}/3`;
  const body = { device: 'MBT-0003', point: 'pressure_setpoint', value: 1.3 };
  await waitFor('connected', async () => ((await h.hub.app.inject({ url: '/v1/adapters', headers: auth(KEYS.read) })).json().data.find((a: { name: string }) => a.name === 'modbus_tcp').health.detail.devices as Array<{ key: string; connected: boolean }>).find((d) => d.key === key)!.connected, 20_000);
  const forbidden = await h.hub.app.inject({ method: 'POST', url: '/v1/adapters/modbus_tcp/commands', headers: auth(KEYS.read), payload: body });
  t.equal(forbidden.statusCode, 403);
  // The hub device code (found through the registry identity) or host:port/unit.
  const r = await h.hub.app.inject({ method: 'POST', url: '/v1/adapters/modbus_tcp/commands', headers: auth(KEYS.admin), payload: body });
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { result: { point: 'pressure_setpoint', written: [1300], value: 1.3 } });
  const byKey = await h.hub.app.inject({ method: 'POST', url: '/v1/adapters/modbus_tcp/commands', headers: auth(KEYS.admin), payload: { ...body, device: key, value: 1.25 } });
  t.match(byKey.json(), { result: { key, written: [1250], value: 1.25 } });
  const off = await h.hub.app.inject({ method: 'POST', url: '/v1/adapters/modbus_tcp/commands', headers: auth(KEYS.admin), payload: { ...body, device: `127.0.0.1:${sim.devices[0]!.port}/1`, point: 'zero_offset' } });
  t.equal(off.statusCode, 403);
  t.equal(off.json().code ?? off.json().error?.code, 'MODBUS_WRITE_DISABLED');
});
