// The modbus-device profile against real peers: our simulator (`lifeline sim modbus`'s server) and Debian's
// python3-pymodbus pass it; a simulator register written in the wrong word order is reported with the likely order.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { needService } from '../../test/helpers/services.ts';
import { runModbusSim } from '../../adapters/modbus_tcp/sim/run.ts';
import { simDevices } from '../../adapters/modbus_tcp/sim/devices.ts';
import { encodeRegisters } from '../../adapters/modbus_tcp/codec/registers.ts';
import { runModbusDevice } from '../device/modbus/run.ts';
import { verify } from '../report/model.ts';

const PY = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import pymodbus'], { stdio: 'ignore' }).status === 0);
const ids = (r: Awaited<ReturnType<typeof runModbusDevice>>, status: string) => r.report.results.filter((x) => x.status === status).map((x) => x.id);

// Three water-pressure transmitters on one port: unit 1 as the map says, unit 2 with `pressure` (float32, declared
// CDAB) written ABCD, as firmware with the other word order would, unit 3 reading 5000 kPa (5 MPa, beyond the
// catalogue's 0–2.5 MPa) in the right order.
const sim = await runModbusSim({ devices: 3, portCount: 1, profiles: ['water_pressure_transmitter'], updateMs: 0 });
t.teardown(() => sim.stop());
const port = sim.devices[0]!.port;
sim.devices[1]!.image.set('holding_registers', 0, encodeRegisters(350, { type: 'float32', order: 'ABCD' }));
sim.devices[2]!.image.set('holding_registers', 0, encodeRegisters(5000, { type: 'float32', order: 'CDAB' }));

t.test('the simulator passes modbus-device; the wrong word order is named', async (t) => {
  const [good, swapped, high] = await Promise.all([
    runModbusDevice({ host: '127.0.0.1', port, unit: 1, profile: 'water_pressure_transmitter', key: { key: 'lab', id: 'k1' } }),
    runModbusDevice({ host: '127.0.0.1', port, unit: 2, profile: 'water_pressure_transmitter' }),
    runModbusDevice({ host: '127.0.0.1', port, unit: 3, profile: 'water_pressure_transmitter', rounds: 1 }),
  ]);
  t.same(good.report.results.filter((x) => x.status !== 'pass').map((x) => `${x.id}: ${x.message}`), [], 'every clause passes');
  t.equal(good.report.verdict, 'pass');
  t.equal(good.report.profile.id, 'modbus-device');
  t.match(good.report.results.find((x) => x.id === 'MODBUS-READ-001')!.message, /6 points \(5 requests\) read 3× each with FC03/);
  t.match(good.report.results.find((x) => x.id === 'MODBUS-EXC-001')!.message, /unmapped address 28: exception 2/);
  t.match(good.report.results.find((x) => x.id === 'MODBUS-TIME-002')!.message, /median [\d.]+ ms, p95 [\d.]+ ms/);
  t.same(verify(good.report, Buffer.from(good.evidence), 'lab'), [], 'digests and signature verify');
  const ev = good.evidence.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; hex?: string });
  t.ok(ev.some((e) => e.kind === 'tx' && e.hex?.length === 24) && ev.some((e) => e.kind === 'rx' && e.hex), 'frames logged in hex');

  t.same(ids(swapped, 'fail'), ['MODBUS-ORDER-001'], 'only the word order fails');
  t.equal(swapped.report.verdict, 'fail');
  const order = swapped.report.results.find((x) => x.id === 'MODBUS-ORDER-001')!;
  t.match(order.message, /pressure \(float32 at 0, declared CDAB\): registers 0x43af 0x0000 read .*denormal.* in CDAB, but 350 kPa in ABCD: likely order ABCD/);
  t.equal(swapped.report.results.find((x) => x.id === 'MODBUS-VAL-001')!.status, 'pass', 'the swapped point is one finding, not two');

  // Out of range but a real reading's magnitude: an implausible value, not a byte-order guess (ABCD would read 2.0 kPa).
  t.same(ids(high, 'fail'), ['MODBUS-VAL-001']);
  t.match(high.report.results.find((x) => x.id === 'MODBUS-VAL-001')!.message, /pressure: 5000 kPa = 5 MPa, outside water\.pipe_pressure's 0…2\.5 MPa/);
});

t.test('a unit that never answers fails MODBUS-CONN-001, and nothing is read', async (t) => {
  const r = await runModbusDevice({ host: '127.0.0.1', port, unit: 9, profile: 'water_pressure_transmitter', timeoutMs: 150 });
  t.same(ids(r, 'fail'), ['MODBUS-CONN-001']);
  t.match(r.report.results[0]!.message, /unit 9 did not answer FC3 at 0 \(no answer in 150 ms\)/);
  t.ok(r.report.results.slice(1).every((x) => x.status === 'warning'), 'the rest not exercised');
});

t.test('a device that stays silent on an unmapped address fails MODBUS-EXC-001 (and only that)', async (t) => {
  const quiet = await runModbusSim({ devices: 1, portCount: 1, profiles: ['water_pressure_transmitter'], updateMs: 0 });
  t.teardown(() => quiet.stop());
  // Firmware that drops requests it cannot serve instead of answering exception 02.
  const server = [...quiet.servers.values()][0] as unknown as { answer(unit: number, pdu: Buffer): Buffer | undefined };
  const answer = server.answer.bind(server);
  server.answer = (unit, pdu) => { const r = answer(unit, pdu); return r && r[0]! & 0x80 ? undefined : r; };
  const r = await runModbusDevice({ host: '127.0.0.1', port: quiet.devices[0]!.port, unit: 1, profile: 'water_pressure_transmitter', timeoutMs: 300, rounds: 1 });
  t.same(ids(r, 'fail'), ['MODBUS-EXC-001']);
  t.same(ids(r, 'warning'), ['MODBUS-EXC-002'], 'no exception code to judge: a SHOULD, reported');
  t.match(r.report.results.find((x) => x.id === 'MODBUS-EXC-001')!.message, /unmapped address 28: no answer within 300 ms, not an exception response/);
});

t.test('python3-pymodbus serving the heating RTU map passes modbus-device (FC01 and FC03)', async (t) => {
  if (!needService(t, 'python3-pymodbus (/usr/bin/python3 -c "import pymodbus")', PY !== undefined)) return;
  const [dev] = simDevices({ devices: 1, ports: [0], profiles: ['heating_rtu'] });
  const tables = dev!.image.tables;
  const py = spawn(PY!, [fileURLToPath(new URL('../../adapters/modbus_tcp/test/fixtures/pymodbus_server.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => { py.stdin.end(); py.kill(); });
  py.stdin.write(JSON.stringify({ unit: 5, holding: [...tables.holding_registers], coils: [...tables.coils] }) + '\n');
  let timer: NodeJS.Timeout | undefined;
  const pyPort = await new Promise<number>((resolve, reject) => {
    let out = '';
    py.stdout.on('data', (d) => { out += d; const m = /READY (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    py.once('exit', (c) => reject(new Error(`pymodbus server exited (${c})`)));
    timer = setTimeout(() => reject(new Error('pymodbus server did not start')), 10_000);
  }).finally(() => clearTimeout(timer));
  const r = await runModbusDevice({ host: '127.0.0.1', port: pyPort, unit: 5, profile: 'heating_rtu' });
  t.same(r.report.results.filter((x) => x.status !== 'pass').map((x) => `${x.id}: ${x.message}`), [], 'every clause passes');
  t.match(r.report.results.find((x) => x.id === 'MODBUS-READ-001')!.message, /7 points \(7 requests\) read 3× each with FC01, FC03/);
  t.match(r.report.results.find((x) => x.id === 'MODBUS-EXC-001')!.message, /unmapped address 121: exception 2/);
});
