// Read QN/ST/CN/PW/MN/Flag from a frame's header text without a full decode: enough to answer a frame that
// failed to decode with the standard's 9011 code, and to find a device's CRC dialect before checking the CRC.
export interface PeekedHeader { qn?: string; st?: string; cn?: string; pw?: string; mn?: string; flag?: number }

export function peekHeader(bytes: Uint8Array): PeekedHeader {
  const end = Math.min(bytes.length, 6 + 200);
  let text = '';
  for (let i = 6; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) break;
    text += String.fromCharCode(b);
  }
  const cp = text.indexOf('CP=');
  if (cp >= 0) text = text.slice(0, cp);
  const out: PeekedHeader = {};
  for (const part of text.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim(), v = part.slice(eq + 1).trim();
    if (k === 'QN') out.qn = v; else if (k === 'ST') out.st = v; else if (k === 'CN') out.cn = v;
    else if (k === 'PW') out.pw = v; else if (k === 'MN') out.mn = v;
    else if (k === 'Flag' && /^\d+$/.test(v)) out.flag = Number(v);
  }
  return out;
}
