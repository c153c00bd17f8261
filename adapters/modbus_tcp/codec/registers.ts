// Pure register codec: 16-bit register images <-> typed values, for every type × byte order. No I/O.
import { LifelineError, shortestFloat32 } from '../../../hub/sdk/index.ts';

// Shared with the OPC UA adapter (its Float values); re-exported for this codec's callers and tests.
export { shortestFloat32 };
import { registerCount, type ByteOrder, type Layout } from './types.ts';

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  new LifelineError('MODBUS_VALUE_INVALID', message, { details, retryable: false, stage: 'processing' });

/** Do the words of this order come last-first, and are the two bytes of each word swapped? */
const wordSwap = (o: ByteOrder) => o === 'CDAB' || o === 'DCBA';
const byteSwap = (o: ByteOrder) => o === 'BADC' || o === 'DCBA';

/** Registers as read (in address order) → big-endian bytes of the value. Strings: byte order only. */
export function toCanonical(words: ArrayLike<number>, order: ByteOrder = 'ABCD', wordsToo = true): Uint8Array {
  const n = words.length;
  const out = new Uint8Array(n * 2);
  const ws = wordsToo && wordSwap(order), bs = byteSwap(order);
  for (let i = 0; i < n; i++) {
    const w = words[ws ? n - 1 - i : i]! & 0xffff;
    out[2 * i] = bs ? w & 0xff : w >>> 8;
    out[2 * i + 1] = bs ? w >>> 8 : w & 0xff;
  }
  return out;
}

/** Big-endian bytes of a value → registers in address order (inverse of toCanonical). */
export function fromCanonical(bytes: Uint8Array, order: ByteOrder = 'ABCD', wordsToo = true): number[] {
  const n = bytes.length >> 1;
  const out = new Array<number>(n);
  const ws = wordsToo && wordSwap(order), bs = byteSwap(order);
  for (let i = 0; i < n; i++) {
    const hi = bytes[2 * i]!, lo = bytes[2 * i + 1]!;
    out[ws ? n - 1 - i : i] = bs ? (lo << 8) | hi : (hi << 8) | lo;
  }
  return out;
}

function bcdDigits(bytes: Uint8Array): number {
  let v = 0;
  for (const b of bytes) {
    const hi = b >>> 4, lo = b & 0xf;
    if (hi > 9 || lo > 9) throw invalid(`BCD register holds a non-decimal nibble (0x${b.toString(16).padStart(2, '0')})`, { reason: 'bcd_invalid_digit' });
    v = v * 100 + hi * 10 + lo;
  }
  return v;
}

// Scratch for the hot path (decodeAt): canonical bytes of one value, reused, so a poll allocates nothing per value.
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Decode the value whose first register is `words[start]` (the poller's path: no copy of the answer).
 * Same results and errors as decodeRegisters(words.slice(start, start + n), l).
 */
export function decodeAt(words: ArrayLike<number>, start: number, l: Layout): number | string {
  const n = registerCount(l);
  if (start < 0 || start + n > words.length) throw invalid(`${l.type} at ${start} needs ${n} register(s); the answer has ${words.length}`);
  if (l.type === 'string' || l.type === 'bcd16' || l.type === 'bcd32') return decodeRegisters(Array.prototype.slice.call(words, start, start + n) as number[], l);
  const order = l.order ?? 'ABCD';
  const ws = wordSwap(order), bs = byteSwap(order);
  for (let i = 0; i < n; i++) {
    const w = words[start + (ws ? n - 1 - i : i)]! & 0xffff;
    scratch.setUint16(2 * i, bs ? ((w & 0xff) << 8) | (w >>> 8) : w);
  }
  switch (l.type) {
    case 'bool': return scratch.getUint16(0) ? 1 : 0;
    case 'uint16': return scratch.getUint16(0);
    case 'int16': return scratch.getInt16(0);
    case 'bit': return (scratch.getUint16(0) >>> (l.bit ?? 0)) & 1;
    case 'uint32': return scratch.getUint32(0);
    case 'int32': return scratch.getInt32(0);
    case 'float32': return shortestFloat32(scratch.getFloat32(0));
    case 'float64': return scratch.getFloat64(0);
    case 'int64': return Number(scratch.getBigInt64(0));
    case 'uint64': return Number(scratch.getBigUint64(0));
  }
}

/**
 * Decode one value from the registers it occupies (`words.length` must equal registerCount(layout)).
 * Returns a number (64-bit integers beyond 2^53 lose precision), or a string for `string`.
 * Throws MODBUS_VALUE_INVALID for a BCD register with a nibble above 9.
 */
export function decodeRegisters(words: ArrayLike<number>, l: Layout): number | string {
  const need = registerCount(l);
  if (words.length !== need) throw invalid(`${l.type} needs ${need} register(s), got ${words.length}`);
  const order = l.order ?? 'ABCD';
  if (l.type === 'string') {
    const b = toCanonical(words, order, false);
    let end = b.length;
    while (end > 0 && (b[end - 1] === 0 || b[end - 1] === 0x20)) end--;
    return Buffer.from(b.buffer, b.byteOffset, end).toString('utf8');
  }
  const b = toCanonical(words, order);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (l.type) {
    case 'bool': return dv.getUint16(0) ? 1 : 0;
    case 'uint16': return dv.getUint16(0);
    case 'int16': return dv.getInt16(0);
    case 'bit': return (dv.getUint16(0) >>> (l.bit ?? 0)) & 1;
    case 'uint32': return dv.getUint32(0);
    case 'int32': return dv.getInt32(0);
    case 'float32': return shortestFloat32(dv.getFloat32(0));
    case 'float64': return dv.getFloat64(0);
    case 'int64': return Number(dv.getBigInt64(0));
    case 'uint64': return Number(dv.getBigUint64(0));
    case 'bcd16': case 'bcd32': return bcdDigits(b);
  }
}

const INT_RANGE: Partial<Record<Layout['type'], [number | bigint, number | bigint]>> = {
  int16: [-0x8000, 0x7fff], uint16: [0, 0xffff], int32: [-0x80000000, 0x7fffffff], uint32: [0, 0xffffffff],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n], bcd16: [0, 9999], bcd32: [0, 99999999], bit: [0, 1], bool: [0, 1],
};

/**
 * Encode a raw value (before scale/offset) into the registers of its layout, in address order.
 * `current` is the register's present value, needed for `bit` (read-modify-write). Throws MODBUS_VALUE_INVALID
 * when the value does not fit the type.
 */
export function encodeRegisters(value: number | string | boolean, l: Layout, current?: number): number[] {
  const order = l.order ?? 'ABCD';
  const n = registerCount(l);
  if (l.type === 'string') {
    if (typeof value !== 'string') throw invalid('a string point needs a string value');
    const raw = Buffer.from(value, 'utf8');
    if (raw.length > n * 2) throw invalid(`"${value}" is ${raw.length} bytes; the point holds ${n * 2}`, { max_bytes: n * 2 });
    const b = new Uint8Array(n * 2);
    b.set(raw);
    return fromCanonical(b, order, false);
  }
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (typeof v !== 'number' || Number.isNaN(v)) throw invalid(`${l.type} needs a number, got ${JSON.stringify(value)}`);
  const b = new Uint8Array(n * 2);
  const dv = new DataView(b.buffer);
  if (l.type === 'float32' || l.type === 'float64') {
    if (!Number.isFinite(v)) throw invalid(`${l.type} value must be finite`);
    if (l.type === 'float32') {
      if (Math.abs(v) > 3.4028234663852886e38) throw invalid(`${v} is outside the float32 range`, { value: v });
      dv.setFloat32(0, v);
    } else dv.setFloat64(0, v);
    return fromCanonical(b, order);
  }
  const int = Math.round(v);
  const [lo, hi] = INT_RANGE[l.type]!;
  if (!Number.isFinite(v) || int < Number(lo) || int > Number(hi) || (typeof lo === 'bigint' && (BigInt(int) < lo || BigInt(int) > (hi as bigint)))) {
    throw invalid(`${v} does not fit ${l.type} (${lo}…${hi})`, { value: v, min: Number(lo), max: Number(hi) });
  }
  switch (l.type) {
    case 'bool': return [int];
    case 'uint16': dv.setUint16(0, int); break;
    case 'int16': dv.setInt16(0, int); break;
    case 'bit': {
      if (current === undefined) throw invalid('writing one bit of a register needs the register\'s current value');
      const cur = decodeRegisters([current], { type: 'uint16', order }) as number;
      dv.setUint16(0, int ? cur | (1 << (l.bit ?? 0)) : cur & ~(1 << (l.bit ?? 0)) & 0xffff);
      break;
    }
    case 'uint32': dv.setUint32(0, int); break;
    case 'int32': dv.setInt32(0, int); break;
    case 'int64': dv.setBigInt64(0, BigInt(int)); break;
    case 'uint64': dv.setBigUint64(0, BigInt(int)); break;
    case 'bcd16': case 'bcd32': {
      const s = String(int).padStart(n * 4, '0');
      for (let i = 0; i < n * 2; i++) b[i] = (Number(s.charAt(2 * i)) << 4) | Number(s.charAt(2 * i + 1));
      break;
    }
  }
  return fromCanonical(b, order);
}

/** Apply scale/offset: value = raw × scale + offset (strings pass through). */
export function scaleValue(raw: number, scale = 1, offset = 0): number {
  if (scale === 1 && offset === 0) return raw;
  // Round away binary noise from the multiplication (e.g. 1234 × 0.1 = 123.4, not 123.40000000000001).
  return Number((raw * scale + offset).toPrecision(15));
}

/** Inverse of scaleValue: the raw value to store for an engineering value. */
export function unscaleValue(value: number, scale = 1, offset = 0): number {
  if (scale === 0) throw invalid('scale 0 cannot be inverted');
  if (scale === 1 && offset === 0) return value;
  return Number(((value - offset) / scale).toPrecision(15));
}
