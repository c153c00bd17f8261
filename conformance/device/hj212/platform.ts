// The kit's platform side for HJ 212: a TCP listener that records every byte as evidence, decodes each frame with
// the product's codec (strict judgement, lenient reading with the CRC dialect found), and answers the way a
// platform does, unless a probe has claimed the frame.
import net from 'node:net';
import type { LogEvent } from '../../report/model.ts';
import { Framer, decodeFrame, crc16, crcHex, CRC_DIALECTS, encodeFrame, replyTo, cnInfo, isHj212Error, type CrcDialect, type Hj212Frame, type BuildInput } from '../../../adapters/hj212/codec/index.ts';

export type { LogEvent };

/** A frame received, as the analysis sees it. */
export interface Rx {
  n: number;
  t: number;
  conn: number;
  bytes: Uint8Array;
  /** Decoded frame (lenient, any known CRC dialect), or undefined when the codec cannot read it. */
  frame?: Hj212Frame;
  /** Deviations the lenient reading accepted (codec warning codes). */
  warnings: string[];
  /** The codec's error when the frame cannot be read at all. */
  error?: { code: string; message: string; field?: string };
  /** CRC dialect the frame matched (hj212 = the standard's). */
  dialect?: CrcDialect;
  /** Data-segment length field. */
  length: number;
}

export const printable = (b: Uint8Array): string => {
  let s = '';
  for (const c of b) s += c === 13 ? '\\r' : c === 10 ? '\\n' : c < 32 || c === 127 ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c);
  return /[\x80-\xff]/.test(s) ? Buffer.from(b).toString('utf8').replace(/\r/g, '\\r').replace(/\n/g, '\\n') : s;
};
const ascii = (b: Uint8Array) => b.every((c) => c >= 32 && c < 127 || c === 13 || c === 10);

/** Reads one frame as leniently as the codec allows, trying the standard's CRC, then the dialects seen in the field. */
export function readFrame(bytes: Uint8Array): Pick<Rx, 'frame' | 'warnings' | 'error' | 'dialect' | 'length'> {
  const length = Number(Buffer.from(bytes.subarray(2, 6)).toString('latin1')) || 0;
  let first: unknown;
  for (const crc of ['hj212', 'modbus', 'modbus_le'] as CrcDialect[]) {
    try {
      const frame = decodeFrame(bytes, { mode: 'lenient', crc, maxDataLength: 9999, fallbackEncoding: 'gb18030', allowMissingCrc: true });
      const dialect = frame.warnings.includes('crc_modbus_le') ? 'modbus_le' : frame.warnings.includes('crc_modbus') ? 'modbus' : 'hj212';
      return { frame, warnings: frame.warnings, dialect, length };
    } catch (e) {
      first ??= e;
      if (!isHj212Error(e) || e.code !== 'HJ212_CRC_MISMATCH') break;
    }
  }
  const e = first as { code?: string; message?: string; details?: { field?: string } };
  return { warnings: [], error: { code: e?.code ?? 'INTERNAL', message: e?.message ?? String(first), field: e?.details?.field }, length };
}

export interface PlatformOptions {
  host: string;
  port: number;
  /** Told about each frame before the default answer; return true when it handled (or withholds) the answer. */
  intercept?: (rx: Rx) => boolean;
  onRx?: (rx: Rx) => void;
}

export class KitPlatform {
  readonly log: LogEvent[] = [];
  readonly rx: Rx[] = [];
  private server?: net.Server;
  private readonly sockets = new Map<number, net.Socket>();
  private nextConn = 1;
  /** The connection the device last sent on (requests go there). */
  current?: number;
  private waiters: Array<(rx: Rx) => void> = [];
  private readonly subscribers = new Set<(rx: Rx) => void>();

  constructor(private readonly o: PlatformOptions) {}

  event(e: Omit<LogEvent, 'n' | 't'>, t = Date.now()): LogEvent {
    const ev = { n: this.log.length + 1, t, ...e };
    this.log.push(ev);
    return ev;
  }

  note(text: string): number { return this.event({ kind: 'note', text }).n; }

  async listen(): Promise<{ host: string; port: number }> {
    this.server = net.createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => { this.server!.once('error', reject); this.server!.listen(this.o.port, this.o.host, () => resolve()); });
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  private accept(s: net.Socket) {
    const conn = this.nextConn++;
    this.sockets.set(conn, s);
    s.setNoDelay(true);
    this.event({ kind: 'conn', conn, text: `connection ${conn} from ${s.remoteAddress}:${s.remotePort}` });
    const framer = new Framer({ maxDataLength: 9999, mode: 'lenient' });
    s.on('data', (chunk) => {
      const t = Date.now();
      for (const ev of framer.push(chunk)) {
        if (ev.type === 'error') { this.event({ kind: 'rx_error', conn, text: `${ev.error.code}: ${ev.error.message}` }, t); continue; }
        try { this.received(conn, ev.bytes.slice(), t); } catch (e) { this.note(`kit error handling a frame: ${(e as Error).message}`); }
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => { this.sockets.delete(conn); this.event({ kind: 'conn', conn, text: `connection ${conn} closed` }); });
  }

  /** Frames kept as evidence; past this a flooding device is still answered, but its frames are no longer kept. */
  static readonly MAX_FRAMES = 200_000;
  private truncated = false;

  private received(conn: number, bytes: Uint8Array, t: number) {
    if (this.rx.length >= KitPlatform.MAX_FRAMES) {
      if (!this.truncated) { this.truncated = true; this.note(`more than ${KitPlatform.MAX_FRAMES} frames: later frames are answered but not kept as evidence`); }
      const rest = readFrame(bytes);
      this.answer({ n: 0, t, conn, bytes, ...rest });
      return;
    }
    const ev = this.event({ kind: 'rx', conn, text: printable(bytes), ...(ascii(bytes) ? {} : { hex: Buffer.from(bytes).toString('hex') }) }, t);
    const rx: Rx = { n: ev.n, t, conn, bytes, ...readFrame(bytes) };
    this.rx.push(rx);
    this.current = conn;
    this.o.onRx?.(rx);
    if (!this.o.intercept?.(rx)) this.answer(rx);
    for (const w of this.waiters.splice(0)) w(rx);
    for (const f of this.subscribers) f(rx);
  }

  /** The standard platform answer to `rx` (9014 to an upload, 9013 to a notice or heartbeat) when it asks for one. */
  answer(rx: Rx, opts: { corruptCrc?: boolean; qn?: string } = {}): number | undefined {
    const f = rx.frame;
    if (!f || !f.ackRequested) return undefined;
    const reply = cnInfo(f.cn, f.version)?.reply ?? (f.cn === '9015' ? '9013' : undefined);
    if (reply !== '9014' && reply !== '9013') return undefined;
    const input = replyTo(f, reply);
    if (opts.qn) input.qn = opts.qn;
    return this.send(rx.conn, input, opts);
  }

  /** Sends a frame on a connection (the standard's CRC; corruptCrc makes it wrong in every dialect); returns its event number. */
  send(conn: number, input: BuildInput, opts: { corruptCrc?: boolean } = {}): number | undefined {
    const s = this.sockets.get(conn);
    let bytes = encodeFrame(input);
    if (opts.corruptCrc) {
      bytes = bytes.slice();
      const at = bytes.length - 6;
      const valid = CRC_DIALECTS.map((d) => crc16(bytes, 6, at, d));
      let bad = valid[0]! ^ 0x5a5a;
      while (valid.includes(bad)) bad = (bad + 0x0101) & 0xffff;
      bytes.set(Buffer.from(crcHex(bad), 'latin1'), at);
    }
    const ev = this.event({ kind: 'tx', conn, text: printable(bytes) });
    if (!s || s.destroyed) { this.note(`connection ${conn} is closed: frame #${ev.n} not delivered`); return ev.n; }
    s.write(bytes);
    return ev.n;
  }

  /** Every frame from now on goes to `fn` (after it was answered) until the returned function is called. */
  subscribe(fn: (rx: Rx) => void): () => void {
    this.subscribers.add(fn);
    return () => { this.subscribers.delete(fn); };
  }

  /** The next frame matching `pred`, or undefined after `ms`. */
  next(pred: (rx: Rx) => boolean, ms: number): Promise<Rx | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiters = this.waiters.filter((w) => w !== check); resolve(undefined); }, ms);
      const check = (rx: Rx) => {
        if (pred(rx)) { clearTimeout(timer); resolve(rx); } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets.values()) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
