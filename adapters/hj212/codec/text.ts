// Bytes ↔ text for the codec: ASCII fast path, strict UTF-8, GB18030 fallback, character counting for the
// lenient "length in chars" reading, and text index → byte offset for error reports.
import iconv from 'iconv-lite';

type SliceFn = (this: Uint8Array, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as { latin1Slice?: SliceFn };
const nativeLatin1 = typeof proto.latin1Slice === 'function' ? proto.latin1Slice : undefined;
const latin1Decoder = new TextDecoder('latin1');
const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** bytes[start, end) as a one-byte string (callers guarantee ASCII). Native, no TextDecoder. */
export function asciiSlice(bytes: Uint8Array, start: number, end: number): string {
  if (nativeLatin1 !== undefined) return nativeLatin1.call(bytes, start, end);
  return latin1Decoder.decode(bytes.subarray(start, end));
}

/** Strict UTF-8 decode, or undefined when the bytes are not valid UTF-8. */
export function utf8OrUndefined(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return utf8Fatal.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

export function gb18030(bytes: Uint8Array, start: number, end: number): string {
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start), 'gb18030');
}

/** Offset of the first byte in [start, end) that breaks UTF-8, or -1. */
export function firstInvalidUtf8(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > end) return i;
    for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    if (utf8OrUndefined(b, i, i + n) === undefined) return i; // overlong / surrogate forms
    i += n;
  }
  return -1;
}

export const NEED = -1;
export const FAIL = -2;

/**
 * Where a data segment of `units` characters that starts at `start` ends, reading UTF-8 and counting UTF-16
 * code units (what Java/C# `length()` gives): the end offset, NEED when more bytes are needed (never past
 * `limit`), or FAIL when the bytes are not UTF-8 or the count cannot land exactly.
 */
export function utf8CharEnd(b: Uint8Array, start: number, avail: number, units: number, limit: number): number {
  let i = start;
  let u = 0;
  while (u < units) {
    if (i >= limit) return FAIL;
    if (i >= avail) return NEED;
    const c = b[i]!;
    if (c < 0x80) { i++; u++; continue; }
    const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0) return FAIL;
    for (let k = 1; k < n; k++) {
      if (i + k >= avail) return i + k >= limit ? FAIL : NEED;
      if ((b[i + k]! & 0xc0) !== 0x80) return FAIL;
    }
    i += n;
    u += n === 4 ? 2 : 1;
  }
  return u === units ? i : FAIL;
}

/** As utf8CharEnd for GB18030/GBK bytes (2-byte and 4-byte sequences count as one character). */
export function gbCharEnd(b: Uint8Array, start: number, avail: number, chars: number, limit: number): number {
  let i = start;
  for (let u = 0; u < chars; u++) {
    if (i >= limit) return FAIL;
    if (i >= avail) return NEED;
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    if (c < 0x81 || c > 0xfe) return FAIL;
    if (i + 1 >= avail) return i + 1 >= limit ? FAIL : NEED;
    const d = b[i + 1]!;
    if (d >= 0x30 && d <= 0x39) {
      if (i + 3 >= avail) return i + 3 >= limit ? FAIL : NEED;
      const e = b[i + 2]!, f = b[i + 3]!;
      if (e < 0x81 || e > 0xfe || f < 0x30 || f > 0x39) return FAIL;
      i += 4;
    } else if (d >= 0x40 && d <= 0xfe && d !== 0x7f) {
      i += 2;
    } else {
      return FAIL;
    }
  }
  return i;
}

export type TextEncoding = 'ascii' | 'utf8' | 'gb18030';

/** Byte length of text[0, index) in the encoding the frame was decoded with. */
export function byteLengthOf(text: string, index: number, enc: TextEncoding): number {
  if (enc === 'ascii') return index;
  const head = text.slice(0, index);
  return enc === 'utf8' ? Buffer.byteLength(head, 'utf8') : iconv.encode(head, 'gb18030').length;
}
