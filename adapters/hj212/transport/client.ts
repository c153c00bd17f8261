// Client side of HJ 212 (a station, or the hub forwarding to an upstream platform): send with the A flag,
// wait for 9014 with the same QN, resend the same frame on timeout up to the retry count, reconnect.
import net from 'node:net';
import tls from 'node:tls';
import { LifelineError } from '../../../hub/sdk/index.ts';
import type { BuildInput, CrcDialect, Hj212Frame } from '../codec/types.ts';
import { decodeFrame, encodeFrame, splitRecords, Framer, QN_RTN } from '../codec/index.ts';

export interface ClientOptions {
  host: string;
  port: number;
  /** Answer timeout per attempt (the standard's OverTime; 10 s for cellular links). */
  timeoutMs?: number;
  /** Resends after the first attempt (the standard's ReCount, 3). */
  retries?: number;
  /** Longest data segment before a message is split on record boundaries. */
  maxDataLength?: number;
  /** Fresh QN for each segment of a split message. */
  nextQn: () => string;
  /** Frames the platform sends that are not answers (requests to the station). */
  onRequest?: (frame: Hj212Frame) => void;
  /** CRC dialect written on frames and expected on answers (default the standard's, hj212). */
  crc?: CrcDialect;
  /** Connect with TLS (these options) instead of plain TCP. */
  tls?: tls.ConnectionOptions;
  /** Give up a connection attempt after this long (default timeoutMs). */
  connectTimeoutMs?: number;
  /** Told when a connection opens / closes (an upstream publisher reconnects with backoff). */
  onConnect?: () => void;
  onClose?: () => void;
  /**
   * Told when handling one received frame failed (onRequest threw): that frame is dropped, the connection and
   * the process carry on. Without it such errors are dropped silently.
   */
  onError?: (error: LifelineError) => void;
}

export interface SendReport { qns: string[]; attempts: number; roundTripMs: number }

export class Hj212Client {
  private socket?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private framer = new Framer({ maxDataLength: 9999, mode: 'lenient' });
  private readonly waiters = new Map<string, (f: Hj212Frame) => void>();
  private closed = false;

  constructor(private readonly o: ClientOptions) {}

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const s: net.Socket = this.o.tls ? tls.connect({ ...this.o.tls, host: this.o.host, port: this.o.port }) : net.connect({ host: this.o.host, port: this.o.port });
      s.setNoDelay(true);
      const limit = setTimeout(() => s.destroy(new Error(`connect to ${this.o.host}:${this.o.port} timed out`)), this.o.connectTimeoutMs ?? this.o.timeoutMs ?? 10_000);
      let settled = false;
      s.once(this.o.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(limit);
        settled = true;
        if (this.closed) { s.destroy(); this.connecting = undefined; reject(new Error('client closed')); return; }
        this.socket = s; this.connecting = undefined; this.framer = new Framer({ maxDataLength: 9999, mode: 'lenient' }); resolve(s);
        this.notify(this.o.onConnect, 'onConnect');
      });
      // 'on', not 'once': a socket may report more than one error (reset, then a write after it), and an
      // 'error' event without a listener is an uncaught exception. Errors after the connect end in 'close'.
      s.on('error', (e) => {
        clearTimeout(limit);
        if (settled) return;
        settled = true; this.connecting = undefined; reject(e);
      });
      s.on('data', (chunk) => {
        for (const ev of this.framer.push(chunk)) {
          if (ev.type === 'frame') this.received(ev.bytes);
        }
      });
      s.on('close', () => { clearTimeout(limit); if (this.socket === s) { this.socket = undefined; this.notify(this.o.onClose, 'onClose'); } });
    });
    return this.connecting;
  }

  /** Runs a caller's callback from a socket event: what it throws is reported, never left to the event loop. */
  private notify(fn: (() => void) | undefined, name: string) {
    try { fn?.(); } catch (e) {
      try { this.o.onError?.(new LifelineError('HJ212_FRAME_FAILED', `${name} callback failed: ${(e as Error)?.message ?? String(e)}`, { stage: 'receiving', cause: e })); } catch { /* nothing left to tell */ }
    }
  }

  /** One frame from the peer: an answer for a waiter, or a request for onRequest. A failure drops that frame only. */
  private received(bytes: Uint8Array) {
    let f: Hj212Frame;
    try { f = decodeFrame(bytes, { mode: 'lenient', crc: this.o.crc }); } catch { return; }
    try {
      const qn = f.qn ?? (f.cp.fields.QN as string | undefined);
      const w = qn ? this.waiters.get(qn) : undefined;
      if (w && (f.cn === '9014' || f.cn === '9013' || f.cn === '9011')) w(f);
      else this.o.onRequest?.(f);
    } catch (e) {
      const err = new LifelineError('HJ212_FRAME_FAILED', `handling a frame from ${this.o.host}:${this.o.port} (CN ${f.cn}, QN ${f.qn ?? '-'}) failed: ${(e as Error)?.message ?? String(e)}; the frame was dropped`, { stage: 'receiving', cause: e, details: { cn: f.cn, qn: f.qn ?? null } });
      try { this.o.onError?.(err); } catch { /* a failing reporter must not escape either */ }
    }
  }

  /** Open the connection now (rejects when the peer is unreachable); a no-op when already open. */
  async open(): Promise<void> {
    await this.connect();
  }

  /** Whether a connection is open right now. */
  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /** Send raw bytes without waiting (simulators use it for malformed or unacknowledged frames). */
  async write(bytes: Uint8Array): Promise<void> {
    const s = await this.connect();
    s.write(bytes);
  }

  /**
   * Send a message (split on record boundaries when long), each part with the A flag; resolves when every
   * part was answered 9014. Rejects with HJ212_UPLOAD_REFUSED when the peer answers a part with 9011 and a
   * QnRtn other than 1 (wrong PW, MN, …), and with COMMAND_TIMEOUT after the retries (naming the last socket
   * error when the peer could not be reached). Any other answer to the QN (9013, 9011 QnRtn=1) is not an
   * acknowledgement of data: the part keeps waiting for its 9014.
   */
  async send(input: BuildInput, opts: { maxDataLength?: number } = {}): Promise<SendReport> {
    const parts = splitRecords({ ...input, ackRequested: true }, opts.maxDataLength ?? this.o.maxDataLength ?? 1024, () => this.o.nextQn());
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const retries = this.o.retries ?? 3;
    const started = performance.now();
    let attempts = 0;
    for (const part of parts) {
      const qn = part.qn!;
      const bytes = encodeFrame(part, { crc: this.o.crc });
      let answered = false;
      let socketError: string | undefined;
      for (let attempt = 0; attempt <= retries && !answered && !this.closed; attempt++) {
        attempts++;
        let giveUp = () => {};
        const answer = new Promise<Hj212Frame | undefined>((resolve) => {
          const t = setTimeout(() => { this.waiters.delete(qn); resolve(undefined); }, timeoutMs);
          giveUp = () => { clearTimeout(t); this.waiters.delete(qn); resolve(undefined); };
          this.waiters.set(qn, (f) => {
            const refused = f.cn === '9011' && String(f.cp.fields.QnRtn ?? '') !== '1';
            if (f.cn !== '9014' && !refused) return;
            clearTimeout(t); this.waiters.delete(qn); resolve(f);
          });
        });
        try {
          (await this.connect()).write(bytes);
          socketError = undefined;
        } catch (e) {
          // Nothing was sent, so no answer can come: retry after a pause instead of waiting out the timeout.
          socketError = (e as Error).message;
          giveUp();
          await new Promise((r) => setTimeout(r, Math.min(timeoutMs, 1000)));
        }
        const f = await answer;
        if (f?.cn === '9011') {
          const code = Number(f.cp.fields.QnRtn);
          throw new LifelineError('HJ212_UPLOAD_REFUSED', `the peer refused QN ${qn}: 9011 QnRtn=${f.cp.fields.QnRtn ?? '(none)'} (${QN_RTN[code]?.en ?? 'unknown code'})`, { details: { qn, qnRtn: f.cp.fields.QnRtn ?? null } });
        }
        answered = f !== undefined;
      }
      if (!answered) throw new LifelineError('COMMAND_TIMEOUT', `no 9014 for QN ${qn} after ${retries + 1} attempts of ${timeoutMs} ms${socketError ? `; last connection error: ${socketError}` : ''}`);
    }
    return { qns: parts.map((p) => p.qn!), attempts, roundTripMs: performance.now() - started };
  }

  close() {
    this.closed = true;
    this.socket?.destroy();
  }
}
