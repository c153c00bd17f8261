// `lifeline hj212 decode '<frame>'`: one frame → pretty JSON, or the typed error with its byte offset and a
// caret under the frame. Accepts the frame with or without its CRLF, `\r\n` written literally (as shells and
// logs show it), and hex (`2323…`, for GBK or other binary captures).
import { decodeFrame, isHj212Error, qnRtnFor, QN_RTN, type CrcDialect } from './codec/index.ts';

export interface DecodeCommandOptions {
  mode?: 'strict' | 'lenient';
  crc?: CrcDialect;
}

/** The bytes the user meant: literal escapes resolved, CRLF appended when missing. */
export function frameBytesFromText(frameText: string): Uint8Array {
  const compact = frameText.replace(/\s+/g, '');
  if (/^(hex:)?2323([0-9a-fA-F]{2})+$/.test(compact)) return Uint8Array.from(Buffer.from(compact.replace(/^hex:/, ''), 'hex'));
  let s = frameText.replace(/^[ \t\r\n]+/, '').replace(/[ \t]+$/, '');
  s = s.replace(/\\r/g, '\r').replace(/\\n/g, '\n');
  if (!s.endsWith('\n')) s += '\r\n';
  return Uint8Array.from(Buffer.from(s, 'utf8'));
}

const wide = (cp: number) =>
  (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);

interface Cell { text: string; at: number; width: number }

/** The frame as printable cells (one per character; control and non-UTF-8 bytes escaped), each with its byte offset. */
function cells(b: Uint8Array): Cell[] {
  const out: Cell[] = [];
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c === 13) { out.push({ text: '\\r', at: i, width: 2 }); i++; continue; }
    if (c === 10) { out.push({ text: '\\n', at: i, width: 2 }); i++; continue; }
    if (c < 0x20 || c === 0x7f) { out.push({ text: `\\x${c.toString(16).padStart(2, '0')}`, at: i, width: 4 }); i++; continue; }
    if (c < 0x80) { out.push({ text: String.fromCharCode(c), at: i, width: 1 }); i++; continue; }
    const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    let ok = n > 0 && i + n <= b.length;
    for (let k = 1; ok && k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) ok = false;
    const ch = ok ? Buffer.from(b.subarray(i, i + n)).toString('utf8') : '';
    if (ok && !ch.includes('\ufffd')) {
      out.push({ text: ch, at: i, width: wide(ch.codePointAt(0)!) ? 2 : 1 });
      i += n;
    } else {
      out.push({ text: `\\x${c.toString(16).padStart(2, '0')}`, at: i, width: 4 });
      i++;
    }
  }
  return out;
}

/** The frame on one line with a caret under byte `offset` (a window of it when the frame is long). */
export function caretLines(b: Uint8Array, offset: number, maxWidth = 100): string {
  const cs = cells(b);
  let idx = cs.findIndex((c) => c.at >= offset);
  if (idx < 0) idx = cs.length;
  if (idx < cs.length && cs[idx]!.at > offset && idx > 0) idx--; // offset inside a multi-byte character
  let from = 0, to = cs.length;
  const width = (a: number, z: number) => cs.slice(a, z).reduce((n, c) => n + c.width, 0);
  if (width(0, cs.length) > maxWidth) {
    from = idx;
    while (from > 0 && width(from - 1, idx) < maxWidth * 0.7) from--;
    to = idx;
    while (to < cs.length && width(from, to + 1) < maxWidth) to++;
  }
  const pre = from > 0 ? '…' : '';
  const post = to < cs.length ? '…' : '';
  const line = pre + cs.slice(from, to).map((c) => c.text).join('') + post;
  const col = pre.length + width(from, idx);
  return `${line}\n${' '.repeat(col)}^ byte ${offset}`;
}

/** Decodes one frame given as text; never throws. */
export function decodeCommand(frameText: string, opts: DecodeCommandOptions = {}): { ok: boolean; output: string } {
  const mode = opts.mode ?? 'lenient';
  const bytes = frameBytesFromText(frameText);
  try {
    const frame = decodeFrame(bytes, { mode, crc: opts.crc });
    return { ok: true, output: JSON.stringify(frame, null, 2) };
  } catch (e) {
    if (!isHj212Error(e)) return { ok: false, output: `internal error: ${(e as Error)?.message ?? String(e)}` };
    const offset = e.details.offset;
    const q = qnRtnFor(e);
    const lines = [
      `${e.code}: ${e.message}`,
      `  mode ${mode}${opts.crc ? `, crc ${opts.crc}` : ''}; byte offset ${offset}${e.details.field ? `, field ${e.details.field}` : ''}; a 9011 answer would carry QnRtn=${q} (${QN_RTN[q]?.en ?? 'unknown'})`,
      '',
      caretLines(bytes, offset),
    ];
    return { ok: false, output: lines.join('\n') };
  }
}
