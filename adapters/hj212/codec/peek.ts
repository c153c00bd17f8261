// Header fields without a full decode (no CRC, no CP): to pick a device's decode options (mode, CRC dialect)
// by MN before decoding, and to answer a frame that failed to decode with the standard's QnRtn.
import { asciiSlice } from './text.ts';

export interface PeekedHeader { qn?: string; st?: string; cn?: string; pw?: string; mn?: string; flag?: number }

/**
 * Reads QN, ST, CN, PW, MN and Flag from a frame's header (bytes from `##`). Stops at `CP=`, at the first
 * non-printable byte or after 300 bytes. Never throws; fields it cannot read are left out. About 0.2 µs.
 */
export function peekHeader(b: Uint8Array): PeekedHeader {
  const out: PeekedHeader = {};
  const end = Math.min(b.length, 306);
  let i = 6;
  while (i < end) {
    const ks = i;
    while (i < end) { const c = b[i]!; if (c === 61 || c === 59 || c === 44 || c < 0x20 || c > 0x7e) break; i++; }
    const ke = i;
    if (i >= end || b[i] !== 61) break;
    if (ke - ks === 2 && b[ks] === 67 && b[ks + 1] === 80) break; // CP=
    const vs = ++i;
    while (i < end) { const c = b[i]!; if (c === 59 || c === 44 || c < 0x20 || c > 0x7e) break; i++; }
    const ve = i;
    const n = ke - ks, c0 = b[ks], c1 = b[ks + 1];
    if (n === 2) {
      const v = asciiSlice(b, vs, ve);
      if (c0 === 81 && c1 === 78) out.qn = v;
      else if (c0 === 83 && c1 === 84) out.st = v;
      else if (c0 === 67 && c1 === 78) out.cn = v;
      else if (c0 === 80 && c1 === 87) out.pw = v;
      else if (c0 === 77 && c1 === 78) out.mn = v;
    } else if (n === 4 && c0 === 70 && c1 === 108 && b[ks + 2] === 97 && b[ks + 3] === 103 && ve > vs && ve - vs <= 3) {
      let f = 0;
      for (let k = vs; k < ve; k++) { const dgt = b[k]! - 48; if (dgt < 0 || dgt > 9) { f = -1; break; } f = f * 10 + dgt; }
      if (f >= 0 && f <= 255) out.flag = f;
    }
    if (i >= end || (b[i] !== 59 && b[i] !== 44)) break;
    i++;
  }
  return out;
}
