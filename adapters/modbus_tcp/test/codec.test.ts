// Register codec: golden images for every type × order, round trips (fast-check), errors.
import t from 'tap';
import fc from 'fast-check';
import { decodeAt, decodeRegisters, encodeRegisters, scaleValue, shortestFloat32, unscaleValue } from '../codec/registers.ts';
import { BYTE_ORDERS, type ByteOrder, type DataType } from '../codec/types.ts';
import { GOLDEN, GOLDEN_FAILURES } from './fixtures/images.ts';

const hex = (w: number[]) => w.map((x) => `0x${x.toString(16).padStart(4, '0')}`).join(' ');

t.test('golden register images decode and encode', async (t) => {
  for (const g of GOLDEN) {
    for (const [order, image] of Object.entries(g.images) as Array<[ByteOrder, number[]]>) {
      const layout = { type: g.type, order, bit: g.bit, length: g.length };
      const got = decodeRegisters(image, layout);
      t.equal(got, g.value, `${g.type} ${order} ${hex(image)} → ${g.value}`);
      const enc = encodeRegisters(g.value, layout, g.type === 'bit' ? 0 : undefined);
      t.same(enc, image, `${g.type} ${order} ${g.value} → ${hex(image)}`);
    }
  }
});

t.test('failure vectors are typed errors', async (t) => {
  t.ok(GOLDEN.length >= 16 && GOLDEN_FAILURES.length >= 1, `${GOLDEN.length} + ${GOLDEN_FAILURES.length} vectors`);
  for (const f of GOLDEN_FAILURES) {
    for (const [order, image] of Object.entries(f.images) as Array<[ByteOrder, number[]]>) {
      t.throws(() => decodeRegisters(image, { type: f.type, order }), { code: f.code, ...(f.reason ? { details: { reason: f.reason } } : {}) }, `${f.id} ${order}`);
    }
  }
});

t.test('the issue\'s float32 123.456 vectors, literally', async (t) => {
  t.same(encodeRegisters(123.456, { type: 'float32', order: 'ABCD' }), [0x42f6, 0xe979]);
  t.same(encodeRegisters(123.456, { type: 'float32', order: 'CDAB' }), [0xe979, 0x42f6]);
  t.same(encodeRegisters(123.456, { type: 'float32', order: 'BADC' }), [0xf642, 0x79e9]);
  t.same(encodeRegisters(123.456, { type: 'float32', order: 'DCBA' }), [0x79e9, 0xf642]);
});

t.test('bits: decode each bit, write one bit keeping the others', async (t) => {
  t.same([0, 1, 2, 3].map((bit) => decodeRegisters([0x0005], { type: 'bit', bit })), [1, 0, 1, 0]);
  t.same(encodeRegisters(0, { type: 'bit', bit: 0 }, 0x0005), [0x0004]);
  t.same(encodeRegisters(1, { type: 'bit', bit: 1 }, 0x0005), [0x0007]);
  t.same(encodeRegisters(1, { type: 'bit', bit: 0, order: 'BADC' }, 0x0400), [0x0500], 'BADC: logical 0x0004 | bit 0 = 0x0005, stored 0x0500');
  t.throws(() => encodeRegisters(1, { type: 'bit', bit: 0 }), { code: 'MODBUS_VALUE_INVALID' });
  t.equal(decodeRegisters([1], { type: 'bool' }), 1);
  t.same(encodeRegisters(true, { type: 'bool' }), [1]);
});

t.test('values that do not fit are typed errors', async (t) => {
  const bad: Array<[number | string, DataType, number?]> = [[40000, 'int16'], [-1, 'uint16'], [70000, 'uint16'], [2 ** 31, 'int32'], [-1, 'uint32'], [10000, 'bcd16'], [-1, 'bcd32'], [1e39, 'float32'], [2, 'bit', 0], [Infinity, 'float64']];
  for (const [v, type, cur] of bad) t.throws(() => encodeRegisters(v, { type, bit: 0 }, cur), { code: 'MODBUS_VALUE_INVALID' }, `${v} as ${type}`);
  t.throws(() => encodeRegisters('TOO LONG', { type: 'string', length: 2 }), { code: 'MODBUS_VALUE_INVALID' });
  t.throws(() => encodeRegisters('12', { type: 'int16' }), { code: 'MODBUS_VALUE_INVALID' });
  t.throws(() => decodeRegisters([0x12a4], { type: 'bcd16' }), { code: 'MODBUS_VALUE_INVALID', details: { reason: 'bcd_invalid_digit' } });
  t.throws(() => decodeRegisters([1], { type: 'float32' }), { code: 'MODBUS_VALUE_INVALID' });
  t.equal(Number.isNaN(decodeRegisters([0x7fc0, 0], { type: 'float32' })), true, 'NaN decodes (the mapper flags it)');
});

t.test('scale and offset', async (t) => {
  t.equal(scaleValue(1234, 0.1), 123.4);
  t.equal(scaleValue(-40, 0.5, 10), -10);
  t.equal(unscaleValue(123.4, 0.1), 1234);
  t.equal(unscaleValue(-10, 0.5, 10), -40);
  t.throws(() => unscaleValue(1, 0));
});

const ints: Partial<Record<DataType, fc.Arbitrary<number>>> = {
  int16: fc.integer({ min: -0x8000, max: 0x7fff }), uint16: fc.integer({ min: 0, max: 0xffff }),
  int32: fc.integer({ min: -0x80000000, max: 0x7fffffff }), uint32: fc.integer({ min: 0, max: 0xffffffff }),
  int64: fc.maxSafeInteger(), uint64: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  bcd16: fc.integer({ min: 0, max: 9999 }), bcd32: fc.integer({ min: 0, max: 99999999 }),
};

t.test('round trip value → registers → value, every type × order', async (t) => {
  for (const order of BYTE_ORDERS) {
    for (const [type, arb] of Object.entries(ints) as Array<[DataType, fc.Arbitrary<number>]>) {
      fc.assert(fc.property(arb, (v) => decodeRegisters(encodeRegisters(v, { type, order }), { type, order }) === v));
    }
    // float32 decodes to the shortest decimal of the same float32: lossless.
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => Object.is(Math.fround(decodeRegisters(encodeRegisters(v, { type: 'float32', order }), { type: 'float32', order }) as number), v)));
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => Object.is(decodeRegisters(encodeRegisters(v, { type: 'float64', order }), { type: 'float64', order }), v)));
    fc.assert(fc.property(fc.string({ maxLength: 8 }).filter((s) => !/[\0 ]$/.test(s) && !s.includes('\0') && Buffer.byteLength(s) <= 8), (s) => decodeRegisters(encodeRegisters(s, { type: 'string', order, length: 4 }), { type: 'string', order, length: 4 }) === s));
    t.pass(`${order}: every type round-trips`);
  }
});

t.test('round trip registers → value → registers for the bijective types', async (t) => {
  const word = fc.integer({ min: 0, max: 0xffff });
  for (const order of BYTE_ORDERS) {
    for (const [type, n] of [['int16', 1], ['uint16', 1], ['int32', 2], ['uint32', 2]] as Array<[DataType, number]>) {
      fc.assert(fc.property(fc.array(word, { minLength: n, maxLength: n }), (w) => {
        const v = decodeRegisters(w, { type, order });
        return JSON.stringify(encodeRegisters(v, { type, order })) === JSON.stringify(w);
      }));
    }
    // float32: every non-NaN image survives (NaN payloads are not preserved, and the mapper never stores NaN anyway).
    fc.assert(fc.property(fc.array(word, { minLength: 2, maxLength: 2 }), (w) => {
      const v = decodeRegisters(w, { type: 'float32', order }) as number;
      return !Number.isFinite(v) || JSON.stringify(encodeRegisters(v, { type: 'float32', order })) === JSON.stringify(w);
    }));
  }
  t.pass('images survive decode → encode');
});

t.test('decodeAt (the poller\'s no-copy path) agrees with decodeRegisters on every golden image', async (t) => {
  for (const g of GOLDEN) {
    for (const [order, image] of Object.entries(g.images) as Array<[ByteOrder, number[]]>) {
      const layout = { type: g.type, order, bit: g.bit, length: g.length };
      const padded = [0xdead, 0xbeef, ...image, 0xffff];
      t.equal(decodeAt(padded, 2, layout), decodeRegisters(image, layout), `${g.type} ${order}`);
    }
  }
  t.throws(() => decodeAt([1, 2], 1, { type: 'float32' }), { code: 'MODBUS_VALUE_INVALID' });
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }), fc.constantFrom(...BYTE_ORDERS), fc.constantFrom<DataType>('int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'int64', 'uint64'), (w, order, type) =>
    Object.is(decodeAt([9, ...w], 1, { type, order }), decodeRegisters(w.slice(0, type.endsWith('16') ? 1 : type.endsWith('64') ? 4 : 2), { type, order }))));
});

t.test('shortestFloat32: the shortest decimal of the same float32', async (t) => {
  t.same([123.456, 0.1, -9999, 1e-40, 3.4e38, 1.5].map((v) => shortestFloat32(Math.fround(v))), [123.456, 0.1, -9999, 1e-40, 3.4e38, 1.5]);
  fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
    const d = shortestFloat32(v);
    if (Math.fround(d) !== v && !(v === 0 && d === 0)) return false;
    const digits = Number(d.toPrecision(9)).toExponential().split('e')[0]!.replace(/[-.]/g, '').replace(/0+$/, '').length;
    // No shorter decimal is the same float32.
    return digits <= 1 || Math.fround(Number(v.toPrecision(digits - 1))) !== v;
  }));
});
