// Stream framing over TCP: bytes in arbitrary chunks → whole frames, following the length field.
//
// Never splits on `##` or CRLF (CP may contain `#`; a frame may arrive in 1-byte chunks or several per chunk).
// On bytes that cannot start or complete a frame it emits ONE error event (with the stream offset where the
// bad bytes begin) and resynchronises to the next `#`; a following valid frame ends the garbage run.
// Memory is bounded: at most 2 + 4 + maxDataLength + 4 + 2 bytes are held for one incomplete frame.
// Frames found inside a chunk are emitted as views of that chunk (no copy); frames completed across chunks
// are copies. The framer checks layout only; decodeFrame checks CRC, fields and CP.
import type { FramerEvent } from './types.ts';
import { Hj212Error, type Hj212ErrorCode } from './errors.ts';
import { FAIL, NEED, locate, tail } from './layout.ts';
import { MAX_DATA_FIELD, MAX_DATA_STANDARD } from './tables.ts';

export interface FramerOptions {
  /** Largest data segment accepted (the framer never holds more than 12 + this many bytes). */
  maxDataLength: number;
  /** strict: the standard's layout only; lenient: also bare-LF trailers, unpadded or missing CRC, length in chars, whitespace between frames. */
  mode: 'strict' | 'lenient';
}

const WHY_CODE: Record<string, Hj212ErrorCode> = { length: 'HJ212_LENGTH_MISMATCH', trailer: 'HJ212_BAD_TRAILER', crc: 'HJ212_CRC_MISMATCH', '': 'HJ212_LENGTH_MISMATCH' };
const WHY_TEXT: Record<string, string> = {
  length: 'the length field does not land on CRC + CRLF',
  trailer: 'no CRLF after the CRC',
  crc: 'the CRC is not 4 hex digits',
  '': 'the length field does not land on CRC + CRLF',
};

export class Framer {
  private readonly max: number;
  private readonly lenient: boolean;
  private readonly cap: number;
  private acc = new Uint8Array(0);
  private accLen = 0;
  /** Stream offset of acc[0]. */
  private accStart = 0;
  /** Stream offset of the next chunk's first byte. */
  private streamPos = 0;
  /** Inside a run of unframable bytes (already reported). */
  private inGarbage = false;
  // failure scratch of analyze()
  private failCode: Hj212ErrorCode = 'HJ212_BAD_HEADER';
  private failText = '';

  constructor(opts: FramerOptions) {
    this.lenient = opts.mode === 'lenient';
    const limit = this.lenient ? MAX_DATA_FIELD : MAX_DATA_STANDARD;
    this.max = Math.max(0, Math.min(Math.floor(opts.maxDataLength), limit));
    this.cap = 2 + 4 + this.max + 4 + 2;
  }

  /** Bytes held for an incomplete frame (≤ 12 + maxDataLength). */
  get buffered(): number {
    return this.accLen;
  }

  /** Stream offset where the incomplete frame held now began (-1 when none): tells one partial frame from the next. */
  get pendingStart(): number {
    return this.accLen > 0 ? this.accStart : -1;
  }

  /** Feeds one chunk; returns the frames completed and the errors found, in stream order. */
  push(chunk: Uint8Array): FramerEvent[] {
    const events: FramerEvent[] = [];
    const len = chunk.length;
    let pos = 0;
    let appended = 0;

    // 1. complete the frame held from earlier chunks
    while (this.accLen > 0) {
      const r = this.analyze(this.acc, 0, this.accLen);
      if (r === NEED) {
        if (pos >= len) break;
        if (this.accLen >= this.cap) { this.failCode = 'HJ212_TOO_LONG'; this.failText = 'frame longer than the limit'; }
        else {
          const take = Math.min(len - pos, this.cap - this.accLen);
          this.reserve(this.accLen + take);
          this.acc.set(chunk.subarray(pos, pos + take), this.accLen);
          this.accLen += take;
          pos += take;
          appended += take;
          continue;
        }
      }
      let cut: number;
      if (r > 0) {
        events.push({ type: 'frame', bytes: this.acc.slice(0, r) });
        this.inGarbage = false;
        cut = r;
      } else {
        this.report(events, this.accStart);
        const next = this.acc.subarray(0, this.accLen).indexOf(35, 1);
        cut = next < 0 ? this.accLen : next;
      }
      const leftover = this.accLen - cut;
      if (leftover <= appended) {
        // everything after the cut came from this chunk: continue scanning the chunk itself
        pos -= leftover;
        this.accLen = 0;
      } else {
        this.acc.copyWithin(0, cut, this.accLen);
        this.accLen = leftover;
        this.accStart += cut;
      }
    }

    // 2. frames inside the chunk
    let i = pos;
    while (i < len) {
      const c = chunk[i]!;
      if (c !== 35) {
        if (this.lenient && !this.inGarbage && (c === 13 || c === 10 || c === 32 || c === 9 || c === 0)) { i++; continue; }
        if (!this.inGarbage) {
          this.failCode = 'HJ212_BAD_HEADER';
          this.failText = 'bytes outside a frame (a frame starts with "##")';
          this.report(events, this.streamPos + i);
        }
        const j = chunk.indexOf(35, i + 1);
        i = j < 0 ? len : j;
        continue;
      }
      let r = this.analyze(chunk, i, len);
      if (r === NEED && len - i > this.cap) { this.failCode = 'HJ212_TOO_LONG'; this.failText = 'frame longer than the limit'; r = FAIL; }
      if (r === NEED) {
        this.reserve(len - i);
        this.acc.set(chunk.subarray(i), 0);
        this.accLen = len - i;
        this.accStart = this.streamPos + i;
        break;
      }
      if (r === FAIL) {
        this.report(events, this.streamPos + i);
        const j = chunk.indexOf(35, i + 1);
        i = j < 0 ? len : j;
        continue;
      }
      events.push({ type: 'frame', bytes: chunk.subarray(i, r) });
      this.inGarbage = false;
      i = r;
    }
    this.streamPos += len;
    return events;
  }

  /** Frame end, NEED or FAIL (failCode/failText set) for a candidate at b[i] === '#'. */
  private analyze(b: Uint8Array, i: number, avail: number): number {
    if (i + 1 >= avail) return NEED;
    if (b[i + 1] !== 35) { this.failCode = 'HJ212_BAD_HEADER'; this.failText = 'a single "#" outside a frame'; return FAIL; }
    let L = 0;
    for (let k = 2; k < 6; k++) {
      if (i + k >= avail) return NEED;
      const d = b[i + k]! - 48;
      if (d < 0 || d > 9) { this.failCode = 'HJ212_BAD_HEADER'; this.failText = '"##" not followed by a 4-digit length'; return FAIL; }
      L = L * 10 + d;
    }
    if (L > this.max) { this.failCode = 'HJ212_TOO_LONG'; this.failText = `declared data segment of ${L} bytes exceeds maxDataLength ${this.max}`; return FAIL; }
    const r = locate(b, i, avail, L, this.lenient, i + 6 + this.max);
    if (r === FAIL) { this.failCode = WHY_CODE[tail.why]!; this.failText = WHY_TEXT[tail.why]!; }
    return r;
  }

  private report(events: FramerEvent[], offset: number): void {
    if (this.inGarbage) return;
    this.inGarbage = true;
    const error = new Hj212Error(this.failCode, `${this.failText}; skipped to the next "##" (stream byte ${offset})`, { offset });
    events.push({ type: 'error', error });
  }

  private reserve(n: number): void {
    if (this.acc.length >= n) return;
    const next = new Uint8Array(Math.min(this.cap, Math.max(n, this.acc.length * 2, 1024)));
    next.set(this.acc.subarray(0, this.accLen));
    this.acc = next;
  }
}
