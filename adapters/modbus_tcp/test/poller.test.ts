// Poller over real sockets against the simulator: request merging counted at the server, a silent unit
// not stalling the others, exceptions and sentinels as quality, PLC power cycle, writes.
import t from 'tap';
import modbus from '../index.ts';
import { ModbusSimServer, UnitImage } from '../sim/server.ts';
import { runModbusSim } from '../sim/run.ts';
import { simAdapterConfig } from '../sim/devices.ts';
import { encodeRegisters } from '../codec/registers.ts';
import { fakeCtx, waitFor, testDefaults } from './fixtures/ctx.ts';
import type { ModbusConfig } from '../manifest.ts';

const cfg = (c: Partial<ModbusConfig>): ModbusConfig => ({ ...testDefaults, devices: [], ...c }) as ModbusConfig;

t.test('points are merged into as few requests as the protocol allows (counted at the server)', async (t) => {
  const srv = new ModbusSimServer();
  const port = await srv.listen(0);
  t.teardown(() => srv.close());
  const img = new UnitImage({ holding_registers: 300, input_registers: 10, coils: 10 });
  img.set('holding_registers', 0, encodeRegisters(123.456, { type: 'float32', order: 'CDAB' }));
  img.set('holding_registers', 2, [1234]);
  img.set('holding_registers', 200, [7]);
  img.set('input_registers', 4, encodeRegisters(-5, { type: 'int32' }));
  img.set('coils', 3, [1]);
  srv.units.set(1, img);
  const points = [
    { name: 'p', address: 0, type: 'float32', order: 'CDAB' }, { name: 'q', address: 2, type: 'uint16', scale: 0.1 },
    { name: 'r', address: 6, type: 'int16' }, { name: 'far', address: 200, type: 'uint16' },
    { name: 'i', function: 'input_registers', address: 4, type: 'int32' },
    { name: 'c', function: 'coils', address: 3, type: 'bool' }, { name: 'c2', function: 'coils', address: 9, type: 'bool' },
  ];
  const f = fakeCtx();
  const inst = await modbus.create(cfg({ interval_ms: 10_000, timeout_ms: 2000, devices: [{ host: '127.0.0.1', port, unit_id: 1, points: points as never }] }), f.ctx);
  await inst.start();
  t.teardown(() => inst.stop());
  await waitFor('first poll', () => f.readings().length >= 7);
  t.same(srv.log.map((r) => [r.fc, r.address, r.count]), [[1, 3, 7], [3, 0, 7], [3, 200, 1], [4, 4, 2]], 'coils 3..9 in one read, holding 0..6 in one (gap ≤ 8), 200 alone, input 4..5');
  const byField = Object.fromEntries(f.readings().map((r) => [r.field, r.value]));
  t.same(byField, { p: 123.456, q: 123.4, r: 0, far: 7, i: -5, c: 1, c2: 0 });
  t.match(f.readings()[0], { identity: { protocol: 'modbus_tcp', key: `127.0.0.1:${port}/1` } });
});

t.test('a unit that stops answering does not stall the others; exceptions and sentinels become quality', async (t) => {
  const sim = await runModbusSim({ devices: 3, portCount: 1, profiles: ['water_pressure_transmitter'], updateMs: 0 });
  t.teardown(() => sim.stop());
  const f = fakeCtx();
  const c = simAdapterConfig(sim.devices, { intervalMs: 100 });
  // A silent unit costs 2 × 300 ms per poll (timeout, one retry): a neighbour stalled by it would show gaps ≥ 600 ms.
  const inst = await modbus.create(cfg({ ...c, timeout_ms: 300, retries: 1 } as never), f.ctx);
  sim.setBehaviour(1, { silent: true });
  // Device 2 reports the sentinel -9999 for its pressure (float32 CDAB).
  sim.devices[2]!.image.set('holding_registers', 0, encodeRegisters(-9999, { type: 'float32', order: 'CDAB' }));
  const t0 = Date.now();
  await inst.start();
  t.teardown(() => inst.stop());
  await new Promise((r) => setTimeout(r, 2000));
  const key = (i: number) => `${sim.devices[i]!.host}:${sim.devices[i]!.port}/${sim.devices[i]!.unitId}`;
  const of = (i: number) => f.readings().filter((r) => r.identity?.key === key(i));
  const good = of(0).filter((r) => r.quality === undefined);
  t.ok(good.length >= 14, `healthy unit polled on schedule while its neighbour is silent (${good.length} polls in 2 s at 100 ms)`);
  const times = good.map((r) => r.time as number);
  const gaps = times.slice(1).map((x, k) => x - times[k]!);
  t.ok(Math.max(...gaps) < 400, `no poll of the healthy unit waited for the silent one (max gap ${Math.max(...gaps)} ms)`);
  t.ok(times[0]! - t0 < 300, 'first poll right after start');
  const silent = of(1);
  t.ok(silent.length >= 2, 'the silent unit still produces readings');
  t.match(silent[0], { value: null, quality: 'bad', flag: 'B', warnings: ['modbus_timeout'] });
  t.match(of(2)[0], { value: null, quality: 'bad', flag: 'D', warnings: ['sensor_fault_sentinel'] });
  const h = await inst.health();
  t.equal(h.status, 'degraded');
  const devs = (h.detail!.devices as Array<Record<string, unknown>>);
  t.match(devs[1], { status: 'down', last_error: { code: 'MODBUS_TIMEOUT' } });
  t.ok((devs[1]!.consecutive_failures as number) >= 2);
  t.match(devs[0], { status: 'up', connected: true, consecutive_failures: 0 });

  sim.setBehaviour(1, {});
  sim.setBehaviour(0, { exception: 2 });
  const n = f.readings().length;
  await waitFor('exception readings', () => f.readings().slice(n).some((r) => r.identity?.key === key(0) && r.warnings?.[0] === 'modbus_exception_2'));
  await waitFor('silent unit answers again', () => of(1).slice(-1)[0]?.quality === undefined);
  t.pass('exception 2 → warning modbus_exception_2; the silent unit recovers on its own');
});

t.test('PLC power cycle: health shows the device down, polling resumes by itself', async (t) => {
  const sim = await runModbusSim({ devices: 2, portCount: 2, profiles: ['heating_rtu'], updateMs: 0 });
  t.teardown(() => sim.stop());
  const f = fakeCtx();
  const inst = await modbus.create(cfg({ ...simAdapterConfig(sim.devices, { intervalMs: 100 }), timeout_ms: 1000 } as never), f.ctx);
  await inst.start();
  t.teardown(() => inst.stop());
  const port = sim.devices[0]!.port;
  const key0 = `127.0.0.1:${port}/1`;
  await waitFor('first polls of both', () => f.readings().filter((r) => r.identity?.key === key0).length >= 9 && f.readings().filter((r) => r.identity?.key !== key0).length >= 9);
  const cycling = sim.powerCycle(port, 700);
  await waitFor('device down in health', async () => ((await inst.health()).detail!.devices as Array<{ key: string; status: string }>).find((d) => d.key === key0)?.status === 'down');
  const h = await inst.health();
  const d0 = (h.detail!.devices as Array<Record<string, unknown>>).find((d) => d.key === key0)!;
  t.match(d0, { connected: false, last_error: { code: 'MODBUS_CONNECTION_FAILED' } });
  t.equal(h.status, 'degraded');
  const other = (h.detail!.devices as Array<Record<string, unknown>>).find((d) => d.key !== key0)!;
  t.equal(other.status, 'up', `the other PLC is unaffected ${JSON.stringify(other)}`);
  await cycling;
  const back = Date.now();
  await waitFor('polling resumes', () => f.readings().some((r) => r.identity?.key === key0 && (r.time as number) > back && r.quality === undefined), 4000);
  await waitFor('health up again', async () => (await inst.health()).status === 'ok');
  const d = ((await inst.health()).detail!.devices as Array<Record<string, unknown>>).find((x) => x.key === key0)!;
  t.ok((d.reconnects as number) >= 1, `reconnected (${d.reconnects})`);
  t.ok(f.readings().some((r) => r.identity?.key === key0 && r.warnings?.[0] === 'modbus_connection_failed'), 'while down, polls are recorded as modbus_connection_failed');
});

t.test('writes: encoded like the point is decoded, disabled unless allowed, typed errors', async (t) => {
  const sim = await runModbusSim({ devices: 2, portCount: 1, profiles: ['heating_rtu'], updateMs: 0 });
  t.teardown(() => sim.stop());
  const f = fakeCtx();
  const c = simAdapterConfig(sim.devices, { intervalMs: 5000 });
  c.devices[0] = { ...c.devices[0]!, writes: true } as never;
  const inst = await modbus.create(cfg({ ...c, timeout_ms: 2000 } as never), f.ctx);
  await inst.start();
  t.teardown(() => inst.stop());
  await waitFor('connected', async () => ((await inst.health()).detail!.devices as Array<{ connected: boolean }>).every((d) => d.connected));
  const k0 = `127.0.0.1:${sim.devices[0]!.port}/1`, k1 = `127.0.0.1:${sim.devices[1]!.port}/2`;
  const r = await inst.command!({ device: k0, point: 'pressure_setpoint', value: 1.4 }) as Record<string, unknown>;
  t.match(r, { point: 'pressure_setpoint', written: [1400], registers: [1400], value: 1.4 });
  t.equal(sim.devices[0]!.image.tables.holding_registers[120], 1400, 'the register holds the raw value');
  const coil = await inst.command!({ device: k0, point: 'pump_run', value: false }) as Record<string, unknown>;
  t.match(coil, { written: [0], value: 0 });
  t.equal(sim.devices[0]!.image.tables.coils[0], 0);
  const read = await inst.command!({ op: 'read', device: k0, point: 'heat_total' }) as Record<string, unknown>;
  t.equal(typeof read.value, 'number');
  await t.rejects(inst.command!({ device: k1, point: 'pressure_setpoint', value: 1 }), { code: 'MODBUS_WRITE_DISABLED' }, 'device without writes');
  await t.rejects(inst.command!({ device: k0, point: 'supply_pressure', value: 1 }), { code: 'MODBUS_WRITE_DISABLED' }, 'point not writable');
  await t.rejects(inst.command!({ device: k0, point: 'pressure_setpoint', value: 70 }), { code: 'MODBUS_VALUE_INVALID' }, '70 MPa → 70000 does not fit uint16');
  await t.rejects(inst.command!({ device: k0, point: 'pressure_setpoint', value: 'x' }), { code: 'COMMAND_INVALID' });
  await t.rejects(inst.command!({ device: k0, point: 'nope', value: 1 }), { code: 'COMMAND_INVALID' });
  await t.rejects(inst.command!({ device: 'nobody', point: 'x', value: 1 }), { code: 'COMMAND_INVALID' });
  sim.setBehaviour(0, { exception: 4 });
  await t.rejects(inst.command!({ device: k0, point: 'pressure_setpoint', value: 1 }), { code: 'MODBUS_EXCEPTION', details: { exception: 4 } });
});
