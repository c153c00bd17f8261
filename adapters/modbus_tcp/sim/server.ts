// A small Modbus TCP server (MBAP over net) for tests, demos and the bench: register images per unit,
// FC 1/2/3/4/5/6/15/16, and faults on cue (silence, delays, exceptions, dropped connections).
import { createServer, type Server, type Socket } from 'node:net';
import type { ModbusFunction } from '../codec/types.ts';

/** One unit's four tables (sized to what the map uses; beyond that: exception 2). */
export class UnitImage {
  readonly tables: Record<ModbusFunction, Uint16Array>;
  constructor(size: Partial<Record<ModbusFunction, number>> = {}) {
    this.tables = {
      coils: new Uint16Array(size.coils ?? 0), discrete_inputs: new Uint16Array(size.discrete_inputs ?? 0),
      holding_registers: new Uint16Array(size.holding_registers ?? 0), input_registers: new Uint16Array(size.input_registers ?? 0),
    };
  }
  set(fn: ModbusFunction, address: number, words: ArrayLike<number>) { this.tables[fn].set(words, address); }
}

/** Faults for one unit (or `*` for all), set at run time. */
export interface UnitBehaviour {
  /** Never answer (a dead unit behind a gateway). */
  silent?: boolean;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Answer every request with this exception code (1-11). */
  exception?: number;
}

export interface SimServerOptions { host?: string; port?: number }

const FC: Record<number, ModbusFunction> = { 1: 'coils', 2: 'discrete_inputs', 3: 'holding_registers', 4: 'input_registers' };

export class ModbusSimServer {
  readonly units = new Map<number, UnitImage>();
  readonly behaviour = new Map<number | '*', UnitBehaviour>();
  /** Requests received, per unit id. */
  readonly requestsByUnit = new Map<number, number>();
  /** Every request as `unit fc address count` (tests count merged requests); capped at 10,000 entries. */
  readonly log: Array<{ unit: number; fc: number; address: number; count: number }> = [];
  /** Called after a client wrote registers or coils. */
  onWrite?: (unit: number, fn: ModbusFunction, address: number, words: number[]) => void;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly o: SimServerOptions = {}) {}

  get requests(): number { let n = 0; for (const v of this.requestsByUnit.values()) n += v; return n; }

  async listen(port = this.o.port ?? 0): Promise<number> {
    const server = createServer((s) => {
      // A connection accepted while closing (a client reconnecting in that very tick) would keep close() waiting.
      if (this.server !== server) { s.destroy(); return; }
      this.onSocket(s);
    });
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, this.o.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); }); });
    } catch (e) { this.server = undefined; throw e; }
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Close every client connection now (a PLC dropping its sockets); the server keeps listening. */
  dropConnections(): void { for (const s of this.sockets) s.destroy(); this.sockets.clear(); }

  /** Stop listening and drop every connection (a power cycle starts with this; listen(port) again to come back). */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.dropConnections();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private onSocket(s: Socket) {
    this.sockets.add(s);
    s.setNoDelay(true);
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 7) {
        const len = buf.readUInt16BE(4);
        if (len < 2 || len > 254) { s.destroy(); return; }
        if (buf.length < 6 + len) break;
        const frame = buf.subarray(0, 6 + len);
        buf = buf.subarray(6 + len);
        this.handle(s, frame);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
  }

  private handle(s: Socket, frame: Buffer) {
    const tid = frame.readUInt16BE(0), unit = frame[6]!, pdu = frame.subarray(7);
    const fc = pdu[0]!;
    this.requestsByUnit.set(unit, (this.requestsByUnit.get(unit) ?? 0) + 1);
    if (this.log.length < 10_000) this.log.push({ unit, fc, address: pdu.length >= 3 ? pdu.readUInt16BE(1) : -1, count: fc <= 4 && pdu.length >= 5 ? pdu.readUInt16BE(3) : fc === 15 || fc === 16 ? pdu.readUInt16BE(3) : 1 });
    const b = { ...this.behaviour.get('*'), ...this.behaviour.get(unit) };
    if (b.silent) return;
    const reply = b.exception ? exception(fc, b.exception) : this.answer(unit, pdu);
    if (!reply) return; // unknown unit: a gateway stays silent
    const out = Buffer.alloc(7 + reply.length);
    out.writeUInt16BE(tid, 0); out.writeUInt16BE(0, 2); out.writeUInt16BE(1 + reply.length, 4); out[6] = unit;
    reply.copy(out, 7);
    if (b.delayMs) setTimeout(() => { if (!s.destroyed) s.write(out); }, b.delayMs);
    else s.write(out);
  }

  private answer(unit: number, pdu: Buffer): Buffer | undefined {
    const img = this.units.get(unit) ?? this.units.get(0);
    if (!img) return undefined;
    const fc = pdu[0]!;
    if (pdu.length < 5) return exception(fc, 3);
    const address = pdu.readUInt16BE(1);
    const fn = FC[fc];
    if (fn) {
      const count = pdu.readUInt16BE(3);
      const bits = fc <= 2;
      if (count < 1 || count > (bits ? 2000 : 125)) return exception(fc, 3);
      const table = img.tables[fn];
      if (address + count > table.length) return exception(fc, 2);
      if (bits) {
        const n = Math.ceil(count / 8);
        const r = Buffer.alloc(2 + n);
        r[0] = fc; r[1] = n;
        for (let i = 0; i < count; i++) if (table[address + i]) r[2 + (i >> 3)]! |= 1 << (i & 7);
        return r;
      }
      const r = Buffer.alloc(2 + count * 2);
      r[0] = fc; r[1] = count * 2;
      for (let i = 0; i < count; i++) r.writeUInt16BE(table[address + i]!, 2 + i * 2);
      return r;
    }
    const write = (tfn: ModbusFunction, words: number[]): Buffer | undefined => {
      const t = img.tables[tfn];
      if (address + words.length > t.length) return exception(fc, 2);
      t.set(words, address);
      this.onWrite?.(unit, tfn, address, words);
      return undefined;
    };
    switch (fc) {
      case 5: {
        const v = pdu.readUInt16BE(3);
        if (v !== 0xff00 && v !== 0) return exception(fc, 3);
        return write('coils', [v ? 1 : 0]) ?? Buffer.from(pdu.subarray(0, 5));
      }
      case 6: return write('holding_registers', [pdu.readUInt16BE(3)]) ?? Buffer.from(pdu.subarray(0, 5));
      case 15: case 16: {
        const count = pdu.readUInt16BE(3), bytes = pdu[5]!;
        if (pdu.length < 6 + bytes) return exception(fc, 3);
        const words = fc === 16
          ? Array.from({ length: count }, (_, i) => pdu.readUInt16BE(6 + 2 * i))
          : Array.from({ length: count }, (_, i) => (pdu[6 + (i >> 3)]! >> (i & 7)) & 1);
        return write(fc === 16 ? 'holding_registers' : 'coils', words) ?? Buffer.from(pdu.subarray(0, 5));
      }
      default: return exception(fc, 1);
    }
  }
}

function exception(fc: number, code: number): Buffer { return Buffer.from([fc | 0x80, code]); }
