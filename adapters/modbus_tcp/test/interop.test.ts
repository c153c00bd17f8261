// Interop with peers nobody here wrote: (a) our adapter polls a pymodbus server serving the golden images;
// (b) mbpoll reads our simulator; (c) libmodbus's float setters write the orders docs/adapters/modbus_tcp.md says.
// Needs Debian's python3-pymodbus and mbpoll (with its libmodbus5) (skipped locally, failed in CI, if absent).
import t from 'tap';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { needService } from '../../../test/helpers/services.ts';
import modbus from '../index.ts';
import { runModbusSim } from '../sim/run.ts';
import { simValue } from '../sim/devices.ts';
import { decodeRegisters, encodeRegisters } from '../codec/registers.ts';
import { readFileSync } from 'node:fs';
import { GOLDEN } from './fixtures/images.ts';
import { fakeCtx, waitFor, testDefaults } from './fixtures/ctx.ts';
import type { ByteOrder } from '../codec/types.ts';

const run = promisify(execFile);
// Debian's python3-pymodbus lives in the system interpreter (a pyenv `python3` on PATH may not see it).
const PY = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import pymodbus'], { stdio: 'ignore' }).status === 0);
const pymodbusUp = PY !== undefined;
const mbpollUp = spawnSync('mbpoll', ['-V'], { stdio: 'ignore' }).error === undefined;

t.test('our adapter polls a pymodbus server: every type × order decodes to the golden value', async (t) => {
  if (!needService(t, 'python3-pymodbus (/usr/bin/python3 -c "import pymodbus")', pymodbusUp)) return;
  const holding: number[] = [];
  const points: Array<Record<string, unknown>> = [];
  const expected = new Map<string, number | string>();
  GOLDEN.forEach((g, k) => {
    for (const [order, image] of Object.entries(g.images) as Array<[ByteOrder, number[]]>) {
      const name = `${g.type}_${order}_${k}`;
      points.push({ name, address: holding.length, type: g.type, order, writable: true, ...(g.bit !== undefined ? { bit: g.bit } : {}), ...(g.length ? { length: g.length } : {}) });
      expected.set(name, g.value);
      holding.push(...image);
    }
  });
  // Input registers, coils and discrete inputs too (FC 4, 1, 2).
  points.push({ name: 'ir_float', function: 'input_registers', address: 3, type: 'float32', order: 'CDAB' });
  expected.set('ir_float', 123.456);
  const coils = [1, 0, 1, 1, 0, 0, 0, 0, 0, 1];
  coils.forEach((v, i) => { points.push({ name: `coil_${i}`, function: 'coils', address: i, type: 'bool' }); expected.set(`coil_${i}`, v); });
  points.push({ name: 'di_1', function: 'discrete_inputs', address: 1, type: 'bool' });
  expected.set('di_1', 1);

  const py = spawn(PY!, [fileURLToPath(new URL('./fixtures/pymodbus_server.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => { py.stdin.end(); py.kill(); });
  py.stdin.write(JSON.stringify({ unit: 7, holding, input: [0, 0, 0, 0xe979, 0x42f6], coils, discrete: [0, 1] }) + '\n');
  let startTimer: NodeJS.Timeout | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    py.stdout.on('data', (d) => { out += d; const m = /READY (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    py.once('exit', (c) => reject(new Error(`pymodbus server exited (${c})`)));
    startTimer = setTimeout(() => reject(new Error('pymodbus server did not start')), 10_000);
  }).finally(() => clearTimeout(startTimer));
  const f = fakeCtx();
  const inst = await modbus.create({ ...testDefaults, timeout_ms: 2000, interval_ms: 60_000, devices: [{ host: '127.0.0.1', port, unit_id: 7, points, writes: true }] } as never, f.ctx);
  await inst.start();
  t.teardown(() => inst.stop());
  const numeric = [...expected.entries()].filter(([, v]) => typeof v === 'number');
  await waitFor('one poll', () => f.readings().length >= numeric.length, 10_000);
  const got = new Map(f.readings().map((r) => [r.field!, r.value]));
  for (const [name, v] of numeric) t.equal(got.get(name), v, `${name} = ${v}`);
  for (const [name, v] of expected) {
    if (typeof v !== 'string') continue;
    const r = await inst.command!({ op: 'read', device: `127.0.0.1:${port}/7`, point: name }) as { value: string };
    t.equal(r.value, v, `${name} = "${v}" (read by command)`);
  }
  // A write through the adapter, checked by reading back from pymodbus's own store.
  const w = await inst.command!({ device: `127.0.0.1:${port}/7`, point: 'float32_CDAB_0', value: -1.5 }) as { value: number; registers: number[] };
  t.same(w.registers, [0x0000, 0xbfc0], 'float32 -1.5 written word-swapped (CDAB)');
  t.equal(w.value, -1.5);
});

t.test('mbpoll reads our simulator: the register image matches the profile', async (t) => {
  if (!needService(t, 'mbpoll', mbpollUp)) return;
  const sim = await runModbusSim({ devices: 2, portCount: 1, profiles: ['water_pressure_transmitter', 'heating_rtu'], updateMs: 0 });
  t.teardown(() => sim.stop());
  const [pt, rtu] = sim.devices as [typeof sim.devices[0], typeof sim.devices[0]];
  const mbpoll = async (unit: number, args: string[]) => {
    const { stdout } = await run('mbpoll', ['-m', 'tcp', '-a', String(unit), '-0', '-1', '-p', String(pt.port), ...args, '127.0.0.1'], { timeout: 10_000 });
    return [...stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => [Number(m[1]), m[2]!] as const);
  };
  // Raw holding registers 0..23 of the pressure transmitter, in hex.
  const raw = await mbpoll(pt.unitId, ['-t', '4:hex', '-r', '0', '-c', '24']);
  t.equal(raw.length, 24);
  t.same(raw.map(([, v]) => Number.parseInt(v, 16)), Array.from(pt.image.tables.holding_registers.subarray(0, 24)), 'holding 0..23 as mbpoll sees them = the simulator image');
  // mbpoll's 32-bit float uses little-endian word order by default = the profile's CDAB.
  const [[, kpa]] = (await mbpoll(pt.unitId, ['-t', '4:float', '-r', '0', '-c', '1'])) as unknown as [[number, string]];
  const want = simValue(pt.profile.points[0]!, pt.index, 0, 0);
  t.ok(Math.abs(Number(kpa) - Number(decodeRegisters(Array.from(pt.image.tables.holding_registers.subarray(0, 2)), { type: 'float32', order: 'CDAB' }))) < 1e-3, `mbpoll float ${kpa} kPa = our decode`);
  t.ok(Number(kpa) > 300 && Number(kpa) < 400, `pressure ${kpa} kPa within the profile's 350 ± 40 (e.g. ${Number(want).toFixed(1)} at t=0)`);
  const [[, flow]] = (await mbpoll(rtu.unitId, ['-t', '4:float', '-r', '104', '-c', '1'])) as unknown as [[number, string]];
  // The profile's wave is 420 ± 60 with its ends included: mbpoll prints a trough's 360.00001 as 360.
  t.ok(Number(flow) >= 360 && Number(flow) <= 480, `heating supply flow (float32 CDAB at 104) ${flow} m3/h within 420 ± 60`);
  const sp = await mbpoll(rtu.unitId, ['-t', '4', '-r', '100', '-c', '2']);
  t.ok(Number(sp[0]![1]) >= 1100 && Number(sp[0]![1]) <= 1300, `supply pressure raw ${sp[0]![1]} (MPa × 0.001)`);
  const coil = await mbpoll(rtu.unitId, ['-t', '0', '-r', '0', '-c', '1']);
  t.same(coil, [[0, '1']], 'pump_run coil is on');
  // An address beyond the map answers exception 2, which mbpoll reports as an error.
  const err = await run('mbpoll', ['-m', 'tcp', '-a', String(pt.unitId), '-0', '-1', '-p', String(pt.port), '-r', '1000', '-c', '1', '127.0.0.1'], { timeout: 10_000 }).then(() => '', (e: { stdout?: string; stderr?: string }) => `${e.stdout}${e.stderr}`);
  t.match(err, /Illegal data address|exception/i, 'exception 2 seen by mbpoll');
});

t.test("libmodbus's float setters write the orders docs/adapters/modbus_tcp.md names; its getters read the order they name", async (t) => {
  const lib = PY && spawnSync(PY, ['-c', "import ctypes; ctypes.CDLL('libmodbus.so.5')"], { stdio: 'ignore' }).status === 0;
  if (!needService(t, 'libmodbus5 (installed with mbpoll) and python3 ctypes', !!lib)) return;
  const doc = readFileSync(new URL('../../../docs/adapters/modbus_tcp.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(modbus_set_float(?:_[a-d]{4})?)`[^|]*\| `([0-9A-F]{4}) ([0-9A-F]{4})` \| `(ABCD|BADC|CDAB|DCBA)` \|$/gm)]
    .map((m) => ({ fn: m[1]!, image: [parseInt(m[2]!, 16), parseInt(m[3]!, 16)], order: m[4] as ByteOrder }));
  t.equal(rows.length, 5, 'the table names the four setters and the deprecated modbus_set_float');
  // One python run: each setter's registers for 123.456, and each getter's value of our image in the order it names.
  const script = `import ctypes, json
lib = ctypes.CDLL('libmodbus.so.5')
out = {}
for fn in ${JSON.stringify(rows.map((r) => r.fn))}:
    f = getattr(lib, fn); f.argtypes = [ctypes.c_float, ctypes.POINTER(ctypes.c_uint16)]; f.restype = None
    d = (ctypes.c_uint16 * 2)(); f(123.456, d); out[fn] = [d[0], d[1]]
for order, image in ${JSON.stringify(Object.fromEntries((['ABCD', 'BADC', 'CDAB', 'DCBA'] as const).map((o) => [o, encodeRegisters(123.456, { type: 'float32', order: o })])))}.items():
    g = getattr(lib, 'modbus_get_float_' + order.lower()); g.argtypes = [ctypes.POINTER(ctypes.c_uint16)]; g.restype = ctypes.c_float
    out['get_' + order] = round(g((ctypes.c_uint16 * 2)(*image)), 3)
print(json.dumps(out))`;
  const got = JSON.parse((await run(PY!, ['-c', script])).stdout) as Record<string, number[] | number>;
  for (const r of rows) {
    t.same(got[r.fn], r.image, `${r.fn} writes ${r.image.map((w) => w.toString(16).toUpperCase().padStart(4, '0')).join(' ')}`);
    t.equal(decodeRegisters(r.image, { type: 'float32', order: r.order }), 123.456, `${r.fn}: our order ${r.order} reads it back`);
  }
  for (const o of ['ABCD', 'BADC', 'CDAB', 'DCBA']) t.equal(got[`get_${o}`], 123.456, `modbus_get_float_${o.toLowerCase()} reads our ${o}`);
});
