// Where a frame ends: shared by the stream framer and decodeFrame so both read the same layout.
//
//   "##" LLLL <data: L bytes> CCCC CR LF          (the standard)
// lenient variants, each reported as a warning by decodeFrame:
//   CCCC LF            bare_lf_trailer
//   C..C (1–3 digits)  crc_unpadded (unpadded hex from Integer.toHexString / {CRC:X2})
//   (no CRC) CR LF     no_crc (only accepted with allowMissingCrc)
//   L counts characters (UTF-16 units of UTF-8 text, or GB18030 characters), not bytes: length_in_chars
import { hexDigit } from './crc.ts';
import { FAIL, NEED, gbCharEnd, utf8CharEnd } from './text.ts';

export { FAIL, NEED };

/** Details of the last successful tailAt/locate call (module scratch: no allocation on the hot path). */
export const tail = { dataEnd: 0, crcStart: 0, crcLen: 0, trailerLen: 0, end: 0, lengthInChars: false, why: '' as '' | 'length' | 'crc' | 'trailer' };

/**
 * Reads CRC + trailer at p. Returns the frame end, NEED (more bytes needed; never beyond what the layout
 * needs) or FAIL (tail.why says what did not fit).
 */
export function tailAt(b: Uint8Array, p: number, avail: number, lenient: boolean): number {
  let i = p;
  let h = 0;
  while (h < 4) {
    if (i >= avail) return NEED;
    if (hexDigit(b[i]!) < 0) break;
    h++;
    i++;
  }
  if (i >= avail) return NEED;
  const c = b[i]!;
  let end: number;
  if (c === 13) {
    if (i + 1 >= avail) return NEED;
    if (b[i + 1] !== 10) { tail.why = h === 4 ? 'trailer' : h === 0 ? 'length' : 'crc'; return FAIL; }
    end = i + 2;
  } else if (c === 10 && lenient) {
    end = i + 1;
  } else {
    tail.why = h === 4 ? 'trailer' : h === 0 ? 'length' : 'crc';
    return FAIL;
  }
  if (h < 4 && !lenient) { tail.why = h === 0 ? 'length' : 'crc'; return FAIL; }
  tail.dataEnd = p;
  tail.crcStart = p;
  tail.crcLen = h;
  tail.trailerLen = end - i;
  tail.end = end;
  tail.lengthInChars = false;
  return end;
}

/**
 * Locates the end of the frame that starts at `start` (its `##` and 4 length digits already checked) with
 * declared length L, given bytes up to `avail`. `limit` bounds the data end (start + 6 + maxDataLength).
 */
export function locate(b: Uint8Array, start: number, avail: number, L: number, lenient: boolean, limit: number): number {
  const p = start + 6 + L;
  const r = tailAt(b, p, avail, lenient);
  if (r !== FAIL || !lenient) return r;
  const why = tail.why;
  // Lenient: the length may count characters, not bytes (only possible when the data holds non-ASCII bytes).
  let nonAscii = false;
  const scanEnd = Math.min(p, avail);
  for (let i = start + 6; i < scanEnd; i++) if (b[i]! >= 0x80) { nonAscii = true; break; }
  if (!nonAscii) { tail.why = why; return FAIL; }
  for (const charEnd of [utf8CharEnd, gbCharEnd]) {
    const q = charEnd(b, start + 6, avail, L, limit + 1);
    if (q === NEED) return NEED;
    if (q === FAIL || q === p || q > limit) continue;
    const r2 = tailAt(b, q, avail, true);
    if (r2 === NEED) return NEED;
    if (r2 !== FAIL) { tail.lengthInChars = true; return r2; }
  }
  tail.why = why;
  return FAIL;
}
