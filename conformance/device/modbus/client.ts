// The kit's own Modbus TCP client: one request at a time, every frame sent and received into the evidence log
// (hex), each answer timed and checked for form (MBAP protocol id, length, unit and function echoed, byte count).
import { connect, type Socket } from 'node:net';
import type { EvidenceLog } from '../../live/report.ts';

export const FC_OF = { coils: 1, discrete_inputs: 2, holding_registers: 3, input_registers: 4 } as const;
export type ReadFn = keyof typeof FC_OF;

export type Answer =
  | { kind: 'data'; values: number[]; ms: number; rx: number; tx: number; malformed?: string }
  | { kind: 'exception'; code: number; ms: number; rx: number; tx: number }
  | { kind: 'timeout'; ms: number; tx: number }
  | { kind: 'closed'; ms: number; tx: number; message: string };

export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'ILLEGAL FUNCTION', 2: 'ILLEGAL DATA ADDRESS', 3: 'ILLEGAL DATA VALUE', 4: 'SERVER DEVICE FAILURE', 5: 'ACKNOWLEDGE',
  6: 'SERVER DEVICE BUSY', 8: 'MEMORY PARITY ERROR', 10: 'GATEWAY PATH UNAVAILABLE', 11: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

export class KitModbusClient {
  private socket?: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private tid = 0;
  private waiting?: { tid: number; resolve: (frame: Buffer | Error) => void };

  constructor(private readonly o: { host: string; port: number; unit: number; timeoutMs: number; log: EvidenceLog }) {}

  /** Opens the connection; rejects with the socket's error (refused, unreachable) or after the timeout. */
  async open(): Promise<void> {
    const s = connect({ host: this.o.host, port: this.o.port });
    s.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`no TCP connection within ${Math.max(this.o.timeoutMs, 1000)} ms`)); }, Math.max(this.o.timeoutMs, 1000));
      s.once('connect', () => { clearTimeout(timer); resolve(); });
      s.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
    s.on('error', () => undefined);
    s.on('data', (d) => this.onData(d));
    s.on('close', () => {
      // A socket we dropped after a timeout may close after its successor opened: only the current one counts.
      if (this.socket !== s) return;
      this.socket = undefined;
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve(new Error('the device closed the connection'));
    });
    this.socket = s;
    this.o.log.add('conn', `connected to ${this.o.host}:${this.o.port}`);
  }

  close(): void { this.socket?.destroy(); this.socket = undefined; }

  private onData(d: Buffer) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 7) {
      const len = this.buf.readUInt16BE(4);
      if (this.buf.length < 6 + len) return;
      const frame = this.buf.subarray(0, 6 + len);
      this.buf = this.buf.subarray(6 + len);
      const w = this.waiting;
      if (w && frame.readUInt16BE(0) === w.tid) { this.waiting = undefined; w.resolve(Buffer.from(frame)); }
      else this.o.log.add('rx_error', `unexpected frame (transaction ${frame.readUInt16BE(0)}, none outstanding)`, frame);
    }
  }

  /** One read request (FC 1-4); never throws: timeouts, exceptions and closed connections are answers too. */
  async read(fn: ReadFn, address: number, count: number): Promise<Answer> {
    const fc = FC_OF[fn];
    const tid = (this.tid = (this.tid + 1) & 0xffff);
    const req = Buffer.alloc(12);
    req.writeUInt16BE(tid, 0); req.writeUInt16BE(0, 2); req.writeUInt16BE(6, 4); req[6] = this.o.unit;
    req[7] = fc; req.writeUInt16BE(address, 8); req.writeUInt16BE(count, 10);
    const what = `unit ${this.o.unit} FC${fc} ${fn} address ${address} count ${count}`;
    const t0 = performance.now();
    if (!this.socket) {
      try { await this.open(); } catch (e) {
        const tx = this.o.log.add('conn', `${what}: cannot reconnect: ${(e as Error).message}`);
        return { kind: 'closed', ms: performance.now() - t0, tx, message: (e as Error).message };
      }
    }
    const tx = this.o.log.add('tx', what, req);
    const frame = await new Promise<Buffer | Error | undefined>((resolve) => {
      const timer = setTimeout(() => { this.waiting = undefined; resolve(undefined); }, this.o.timeoutMs);
      this.waiting = { tid, resolve: (f) => { clearTimeout(timer); resolve(f); } };
      this.socket!.write(req);
    });
    const ms = performance.now() - t0;
    if (frame === undefined) {
      this.o.log.note(`#${tx}: no answer within ${this.o.timeoutMs} ms`);
      // A late answer would be taken for the next request's: start the next one on a fresh connection.
      this.close();
      return { kind: 'timeout', ms, tx };
    }
    if (frame instanceof Error) return { kind: 'closed', ms, tx, message: frame.message };
    const pfc = frame[7]!;
    if (pfc === (fc | 0x80) && frame.length >= 9) {
      const code = frame[8]!;
      const rx = this.o.log.add('rx', `exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'}) to #${tx} after ${ms.toFixed(1)} ms`, frame);
      return { kind: 'exception', code, ms, rx, tx };
    }
    const problems: string[] = [];
    if (frame.readUInt16BE(2) !== 0) problems.push(`MBAP protocol id ${frame.readUInt16BE(2)}, not 0`);
    if (frame[6] !== this.o.unit) problems.push(`unit id ${frame[6]} echoed, not ${this.o.unit}`);
    if (pfc !== fc) problems.push(`function ${pfc} in the answer, not ${fc}`);
    const bits = fc <= 2;
    const want = bits ? Math.ceil(count / 8) : count * 2;
    const byteCount = frame[8] ?? -1;
    if (byteCount !== want || frame.length !== 9 + want) problems.push(`byte count ${byteCount} with ${Math.max(0, frame.length - 9)} data bytes, not ${want}`);
    const values: number[] = [];
    const data = frame.subarray(9);
    if (bits) for (let i = 0; i < count; i++) values.push(((data[i >> 3] ?? 0) >> (i & 7)) & 1);
    else for (let i = 0; i < count; i++) values.push(data.length >= 2 * i + 2 ? data.readUInt16BE(2 * i) : 0);
    const rx = this.o.log.add('rx', `${bits ? 'bits' : 'registers'} [${values.map((v) => (bits ? String(v) : `0x${v.toString(16).padStart(4, '0')}`)).join(' ')}] to #${tx} after ${ms.toFixed(1)} ms${problems.length ? `; MALFORMED: ${problems.join('; ')}` : ''}`, frame);
    return { kind: 'data', values, ms, rx, tx, ...(problems.length ? { malformed: problems.join('; ') } : {}) };
  }
}
