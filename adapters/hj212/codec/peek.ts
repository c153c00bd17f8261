// Header fields without a full decode (no CRC, no CP): to pick a device's decode options (mode, CRC dialect)
// by MN before decoding, and to answer a frame that failed to decode with the standard's QnRtn.
import { asciiSlice } from './text.ts';
import { isUnsafeFieldChar } from './charset.ts';

export interface PeekedHeader {
  qn?: string; st?: string; cn?: string; pw?: string; mn?: string; flag?: number;
  /**
   * Fields present but left out above because their value could not be sent back: a control character, space,
   * separator or non-ASCII byte in it (`['MN']` for `MN=AB CD`). An answer omits them rather than echo them.
   */
  unechoable?: Array<'QN' | 'ST' | 'CN' | 'PW' | 'MN'>;
}

/**
 * Reads QN, ST, CN, PW, MN and Flag from a frame's header (bytes from `##`). Stops at `CP=`, at a key that is
 * not printable ASCII or after 300 bytes. A value runs to the next `;` or `,`; one with a byte the builder
 * cannot write (or a non-ASCII byte, whose encoding is not known here) is listed in `unechoable` instead.
 * Never throws; fields it cannot read are left out. About 0.2 µs.
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
    let safe = true;
    while (i < end) { const c = b[i]!; if (c === 59 || c === 44) break; if (c > 0x7e || isUnsafeFieldChar(c)) safe = false; i++; }
    const ve = i;
    if (ve >= end && end < b.length) safe = false; // cut by the 300-byte limit: not the whole value
    const n = ke - ks, c0 = b[ks], c1 = b[ks + 1];
    if (n === 2) {
      const name = c0 === 81 && c1 === 78 ? 'QN' : c0 === 83 && c1 === 84 ? 'ST' : c0 === 67 && c1 === 78 ? 'CN' : c0 === 80 && c1 === 87 ? 'PW' : c0 === 77 && c1 === 78 ? 'MN' : undefined;
      if (name && !safe) (out.unechoable ??= []).push(name);
      else if (name) {
        const v = asciiSlice(b, vs, ve);
        if (name === 'QN') out.qn = v;
        else if (name === 'ST') out.st = v;
        else if (name === 'CN') out.cn = v;
        else if (name === 'PW') out.pw = v;
        else out.mn = v;
      }
    } else if (n === 4 && c0 === 70 && c1 === 108 && b[ks + 2] === 97 && b[ks + 3] === 103 && ve > vs && ve - vs <= 3) {
      let f = 0;
      for (let k = vs; k < ve; k++) { const dgt = b[k]! - 48; if (dgt < 0 || dgt > 9) { f = -1; break; } f = f * 10 + dgt; }
      if (f >= 0 && f <= 255) out.flag = f;
    }
    if (i >= end) break;
    i++;
  }
  return out;
}
