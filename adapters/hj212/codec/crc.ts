// HJ 212 CRC16 (Appendix A, identical in 2005 and 2017) and the two field dialects seen in the wild.
//
// The standard's algorithm, per byte b of the data segment:
//   register = (register >> 8) ^ b;  then 8× { lsb = register & 1; register >>= 1; if (lsb) register ^= 0xA001 }
// After the XOR the register holds at most 8 significant bits, so the 8 shifts depend only on that byte:
// one 256-entry table lookup per byte. This is NOT CRC-16/MODBUS (which keeps the high byte: register ^= b).
import type { CrcDialect } from './types.ts';

/** T[x] = x shifted 8 times through the reflected 0xA001 polynomial (shared by both algorithms). */
export const CRC_TABLE = /* @__PURE__ */ (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i;
    for (let k = 0; k < 8; k++) r = r & 1 ? (r >>> 1) ^ 0xa001 : r >>> 1;
    t[i] = r;
  }
  return t;
})();

/**
 * After each byte the register is T[x] for an 8-bit x, so the state is x: x' = H[x] ^ b with H[x] = T[x] >> 8,
 * and the CRC is T[x_last]. H2 steps two bytes at once (64 KB table): x'' = H2[x << 8 | b1] ^ b2.
 */
export const CRC_H = /* @__PURE__ */ Uint8Array.from(CRC_TABLE, (v) => v >>> 8);
export const CRC_H2 = /* @__PURE__ */ (() => {
  const t = new Uint8Array(65536);
  for (let x = 0; x < 256; x++) for (let c = 0; c < 256; c++) t[(x << 8) | c] = CRC_H[CRC_H[x]! ^ c]!;
  return t;
})();

/** The standard's CRC over bytes[start, end). Empty range → 0xFFFF. */
export function crc16Hj212(bytes: Uint8Array, start: number, end: number): number {
  if (start >= end) return 0xffff;
  const h = CRC_H, h2 = CRC_H2;
  let x = 0xff ^ bytes[start]!;
  let i = start + 1;
  for (; i + 1 < end; i += 2) x = h2[(x << 8) | bytes[i]!]! ^ bytes[i + 1]!;
  if (i < end) x = h[x]! ^ bytes[i]!;
  return CRC_TABLE[x]!;
}

/** CRC-16/MODBUS over bytes[start, end) (init 0xFFFF, reflected 0xA001, register ^= b). */
export function crc16Modbus(bytes: Uint8Array, start: number, end: number): number {
  const t = CRC_TABLE;
  let r = 0xffff;
  for (let i = start; i < end; i++) r = (r >>> 8) ^ t[(r ^ bytes[i]!) & 0xff]!;
  return r;
}

/**
 * CRC16 of bytes[start, end) in the given dialect, as the number whose 4 hex digits (crcHex) go on the wire:
 * - `hj212`: the standard (Appendix A);
 * - `modbus`: CRC-16/MODBUS printed high byte first;
 * - `modbus_le`: CRC-16/MODBUS printed low byte first (the value returned is byte-swapped, so crcHex prints it as sent).
 */
export function crc16(bytes: Uint8Array, start: number, end: number, dialect: CrcDialect = 'hj212'): number {
  if (dialect === 'hj212') return crc16Hj212(bytes, start, end);
  const m = crc16Modbus(bytes, start, end);
  return dialect === 'modbus' ? m : ((m & 0xff) << 8) | (m >>> 8);
}

const HEX = '0123456789ABCDEF';

/** 4 uppercase hex digits, zero-padded: 0x1C80 → "1C80", 0x7 → "0007". */
export function crcHex(n: number): string {
  return HEX[(n >>> 12) & 15]! + HEX[(n >>> 8) & 15]! + HEX[(n >>> 4) & 15]! + HEX[n & 15]!;
}

/** Value of one ASCII hex digit (either case), or -1. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Every dialect, in the order a diagnosis tries them. */
export const CRC_DIALECTS: readonly CrcDialect[] = ['hj212', 'modbus', 'modbus_le'];
