// Request planner (pure): merging, limits, gaps; and the mapper's quality rules.
import t from 'tap';
import fc from 'fast-check';
import { planReads } from '../codec/plan.ts';
import { registerCount, type PointSpec, type ModbusFunction, type DataType } from '../codec/types.ts';
import { pointReading, failedReading, requestReadings, isSentinel } from '../map.ts';
import { LifelineError } from '../../../hub/sdk/index.ts';
import { backoffDelay } from '../transport/backoff.ts';

const hr = (name: string, address: number, type: DataType = 'int16', extra: Partial<PointSpec> = {}): PointSpec => ({ name, function: 'holding_registers', address, type, ...extra });

t.test('adjacent points become one request', async (t) => {
  const plan = planReads([hr('a', 0, 'float32'), hr('b', 2), hr('c', 3, 'uint32'), hr('d', 5, 'float64')]);
  t.equal(plan.length, 1);
  t.match(plan[0], { function: 'holding_registers', address: 0, count: 9 });
  t.same(plan[0]!.points.map((p) => [p.point.name, p.index, p.count]), [['a', 0, 2], ['b', 2, 1], ['c', 3, 2], ['d', 5, 4]]);
});

t.test('gaps: merged within max_gap, split beyond', async (t) => {
  const pts = [hr('a', 0), hr('b', 5), hr('c', 30)];
  t.same(planReads(pts, { maxGapRegisters: 0 }).map((r) => [r.address, r.count]), [[0, 1], [5, 1], [30, 1]]);
  t.same(planReads(pts, { maxGapRegisters: 4 }).map((r) => [r.address, r.count]), [[0, 6], [30, 1]]);
  t.same(planReads(pts, { maxGapRegisters: 24 }).map((r) => [r.address, r.count]), [[0, 31]]);
});

t.test('the 125-register and 2000-bit limits', async (t) => {
  const many = Array.from({ length: 130 }, (_, i) => hr(`p${i}`, i));
  t.same(planReads(many).map((r) => [r.address, r.count]), [[0, 125], [125, 5]]);
  t.same(planReads(many, { maxRegisters: 60 }).map((r) => r.count), [60, 60, 10]);
  // A float32 at 124 does not fit a request starting at 0: it starts the next one (never split across requests).
  const edge = [hr('a', 0, 'float32'), hr('b', 124, 'float32')];
  t.same(planReads(edge, { maxGapRegisters: 124 }).map((r) => [r.address, r.count]), [[0, 2], [124, 2]]);
  const coils = Array.from({ length: 2500 }, (_, i): PointSpec => ({ name: `c${i}`, function: 'coils', address: i, type: 'bool' }));
  t.same(planReads(coils).map((r) => [r.address, r.count]), [[0, 2000], [2000, 500]]);
});

t.test('tables are planned separately; a bit of a register shares the register\'s request', async (t) => {
  const plan = planReads([
    hr('status', 10, 'uint16'), hr('fault', 10, 'bit', { bit: 0 }),
    { name: 'ir', function: 'input_registers', address: 10, type: 'int16' },
    { name: 'di', function: 'discrete_inputs', address: 3, type: 'bool' },
    { name: 'co', function: 'coils', address: 7, type: 'bool' },
  ]);
  t.same(plan.map((r) => [r.function, r.address, r.count, r.points.length]), [['coils', 7, 1, 1], ['discrete_inputs', 3, 1, 1], ['holding_registers', 10, 1, 2], ['input_registers', 10, 1, 1]]);
});

t.test('property: every point lands in exactly one request of its table, within limits', async (t) => {
  const fns: ModbusFunction[] = ['coils', 'discrete_inputs', 'holding_registers', 'input_registers'];
  const types: DataType[] = ['int16', 'float32', 'float64', 'uint32'];
  const point = fc.record({ fn: fc.constantFrom(...fns), address: fc.integer({ min: 0, max: 600 }), type: fc.constantFrom(...types) });
  fc.assert(fc.property(fc.array(point, { maxLength: 80 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 4, max: 125 }), (raw, gap, maxReg) => {
    const pts: PointSpec[] = raw.map((r, i) => ({ name: `p${i}`, function: r.fn, address: r.address, type: r.fn === 'coils' || r.fn === 'discrete_inputs' ? 'bool' : r.type }));
    const plan = planReads(pts, { maxGapRegisters: gap, maxRegisters: maxReg, maxBits: 100 });
    const seen = new Map<string, number>();
    for (const r of plan) {
      const bits = r.function === 'coils' || r.function === 'discrete_inputs';
      if (r.count > (bits ? 100 : maxReg) || r.count < 1) return false;
      for (const p of r.points) {
        if (p.point.function !== r.function) return false;
        if (r.address + p.index !== p.point.address || p.index + p.count > r.count) return false;
        if (!bits && p.count !== registerCount(p.point)) return false;
        seen.set(p.point.name, (seen.get(p.point.name) ?? 0) + 1);
      }
    }
    return pts.every((p) => seen.get(p.name) === 1);
  }), { numRuns: 300 });
  t.pass('planner invariants hold');
});

t.test('mapper: values, sentinels, failures', async (t) => {
  const target = { key: '127.0.0.1:502/1' };
  const p = { ...hr('pressure', 0, 'float32', { order: 'CDAB' as const, unit: 'kPa', sentinels: [-9999, 'NaN'] }) };
  t.same(pointReading(target, p, [0xe979, 0x42f6], 1000), { identity: { protocol: 'modbus_tcp', key: '127.0.0.1:502/1' }, field: 'pressure', time: 1000, unit: 'kPa', value: 123.456 });
  t.match(pointReading(target, p, [0x3c00, 0xc61c], 1000), { value: null, quality: 'bad', flag: 'D', warnings: ['sensor_fault_sentinel'] });
  t.match(pointReading(target, p, [0x0000, 0x7fc0], 1000), { value: null, quality: 'bad', flag: 'D', warnings: ['sensor_fault_sentinel'] });
  t.match(pointReading(target, { ...p, sentinels: [] }, [0x0000, 0x7f80], 1000), { value: null, flag: 'D', warnings: ['non_finite_value'] }, 'Infinity is never stored');
  t.match(pointReading({ key: 'k', device: 'WS-1' }, hr('u', 0, 'uint16', { scale: 0.1, sentinels: ['0xFFFF'] }), [0xffff], 5), { device: 'WS-1', value: null, warnings: ['sensor_fault_sentinel'] }, 'hex sentinel');
  t.match(pointReading(target, hr('u', 0, 'uint16', { scale: 0.1 }), [1234], 5), { value: 123.4 });
  t.match(pointReading(target, hr('b', 0, 'bcd16'), [0x12a4], 5), { value: null, quality: 'bad', flag: 'D', warnings: ['bcd_invalid_digit'] });
  t.equal(pointReading(target, hr('s', 0, 'string', { length: 1 }), [0x4142], 5), undefined, 'strings are not readings');
  t.match(failedReading(target, p, 7, new LifelineError('MODBUS_TIMEOUT', 'x')), { value: null, quality: 'bad', flag: 'B', warnings: ['modbus_timeout'], field: 'pressure', time: 7 });
  t.match(failedReading(target, p, 7, new LifelineError('MODBUS_EXCEPTION', 'x', { details: { exception: 2 } })), { warnings: ['modbus_exception_2'] });
  t.equal(isSentinel(5, undefined), false);
  const req = planReads([hr('a', 0), hr('b', 1, 'int16', { ingest: false } as never)])[0]!;
  t.same(requestReadings(target, req, [7, 8], 1).map((r) => r.field), ['a'], 'ingest: false points are skipped');
});

t.test('reconnect backoff: exponential, capped, jittered, never gives up', async (t) => {
  const o = { initialMs: 100, maxMs: 5000, jitter: 0 };
  t.same([0, 1, 2, 3, 6, 100, 10_000].map((a) => backoffDelay(a, o)), [100, 200, 400, 800, 5000, 5000, 5000]);
  const j = { ...o, jitter: 0.2 };
  t.equal(backoffDelay(0, j, () => 0), 80);
  t.equal(backoffDelay(0, j, () => 1), 120);
  t.equal(backoffDelay(20, j, () => 1), 5000, 'jitter never exceeds the cap');
  t.equal(backoffDelay(20, j, () => 0), 4000);
});
