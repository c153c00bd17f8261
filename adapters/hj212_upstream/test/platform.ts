// A stand-in for a provincial/national platform, written from the HJ 212-2017 text and NOT from our codec:
// it frames, checks the CRC (Appendix A, implemented again below), answers 9014 to frames with the A flag,
// and can refuse or drop connections, delay or withhold acks, and send a history request to the station.
import net from 'node:net';
import tls from 'node:tls';

/**
 * CRC of HJ 212-2017 Appendix A, from its text: the register starts at 0xFFFF; for each byte of the data
 * segment, the register's high byte is XORed with the byte into the low byte (register = (register >> 8) ^ byte);
 * then 8 times: shift right by one, and when the bit shifted out was 1, XOR with 0xA001. Printed as 4 hex digits.
 */
export function standardCrc(bytes: Buffer): string {
  let reg = 0xffff;
  for (const b of bytes) {
    reg = (reg >> 8) ^ b;
    for (let i = 0; i < 8; i++) {
      const out = reg & 1;
      reg >>= 1;
      if (out) reg ^= 0xa001;
    }
  }
  return reg.toString(16).toUpperCase().padStart(4, '0');
}

/** CRC-16/MODBUS (register ^= byte instead of the high-byte XOR), for platforms configured with that dialect. */
export function modbusCrc(bytes: Buffer): string {
  let reg = 0xffff;
  for (const b of bytes) {
    reg ^= b;
    for (let i = 0; i < 8; i++) { const out = reg & 1; reg >>= 1; if (out) reg ^= 0xa001; }
  }
  return reg.toString(16).toUpperCase().padStart(4, '0');
}

export interface PlatformFrame {
  raw: string;
  /** The 4 CRC digits checked against standardCrc (or modbusCrc, per the platform's dialect). */
  crcOk: boolean;
  header: Record<string, string>;
  qn?: string; cn: string; mn?: string; pw?: string; st?: string; flag: number;
  /** CP plain fields and item fields: `DataTime`, `w01018-Rtd`… */
  cp: Record<string, string>;
  cpText: string;
  at: number;
}

export interface PlatformOptions {
  crc?: 'hj212' | 'modbus';
  /** Delay before each 9014. */
  ackDelayMs?: number;
  /** Return true to not answer this frame (n = how many frames with this QN were received, 1 for the first). */
  withhold?: (f: PlatformFrame, n: number) => boolean;
  /** Answer with this instead of 9014 (e.g. `CN=9011` + `QnRtn=3`), for refusals; undefined: the usual 9014. */
  answer?: (f: PlatformFrame) => { cn: string; cp: string } | undefined;
  /** Accept then immediately close every connection. */
  refuse?: boolean;
  /** Serve TLS with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer };
}

function parse(raw: string, dialect: 'hj212' | 'modbus'): PlatformFrame | undefined {
  // ## + 4-digit length + data segment + 4 hex CRC + CR LF (Table 3)
  if (!raw.startsWith('##')) return undefined;
  const len = Number(raw.slice(2, 6));
  const bytes = Buffer.from(raw, 'latin1');
  const data = bytes.subarray(6, 6 + len);
  const crc = bytes.subarray(6 + len, 10 + len).toString('latin1');
  const text = data.toString('utf8');
  const cpAt = text.indexOf('CP=&&');
  const header: Record<string, string> = {};
  for (const kv of text.slice(0, cpAt).split(';')) {
    if (!kv) continue;
    const i = kv.indexOf('=');
    header[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const cpText = text.slice(cpAt + 5, text.lastIndexOf('&&'));
  const cp: Record<string, string> = {};
  for (const group of cpText.split(';')) for (const kv of group.split(',')) {
    const i = kv.indexOf('=');
    if (i > 0) cp[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return {
    raw, crcOk: crc === (dialect === 'modbus' ? modbusCrc(data) : standardCrc(data)), header, cp, cpText,
    qn: header.QN, cn: header.CN ?? '', mn: header.MN, pw: header.PW, st: header.ST, flag: Number(header.Flag ?? 0), at: Date.now(),
  };
}

/** A frame as a 2017 platform writes it: `##` + length + data + CRC + CRLF. */
export function frame(data: string, dialect: 'hj212' | 'modbus' = 'hj212'): Buffer {
  const d = Buffer.from(data, 'utf8');
  return Buffer.concat([Buffer.from(`##${String(d.length).padStart(4, '0')}`), d, Buffer.from(`${dialect === 'modbus' ? modbusCrc(d) : standardCrc(d)}\r\n`)]);
}

export class Platform {
  readonly frames: PlatformFrame[] = [];
  readonly acks: string[] = [];
  readonly sockets = new Set<net.Socket>();
  private server?: net.Server;
  private readonly seen = new Map<string, number>();
  private listeners: Array<() => void> = [];
  port = 0;

  constructor(public options: PlatformOptions = {}) {}

  async start(port = 0): Promise<number> {
    const onSocket = (s: net.Socket) => {
      if (this.options.refuse) { s.destroy(); return; }
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
      let buf = '';
      s.setEncoding('latin1');
      s.on('data', (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf('\r\n'); end >= 0; end = buf.indexOf('\r\n')) {
          const raw = buf.slice(0, end + 2);
          buf = buf.slice(end + 2);
          const f = parse(raw, this.options.crc ?? 'hj212');
          if (f) this.receive(f, s);
        }
      });
    };
    const server = this.options.tls ? tls.createServer(this.options.tls, onSocket) : net.createServer(onSocket);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private receive(f: PlatformFrame, s: net.Socket) {
    this.frames.push(f);
    const n = (this.seen.get(f.qn ?? '') ?? 0) + 1;
    this.seen.set(f.qn ?? '', n);
    for (const l of this.listeners) l();
    // Flag bit 0 (A): the station asks for an answer. 9014 data answer: same QN, ST=91, Flag=4 (2017).
    if (!(f.flag & 1) || !f.crcOk || this.options.withhold?.(f, n)) return;
    const other = this.options.answer?.(f);
    const answer = frame(`QN=${f.qn};ST=91;CN=${other?.cn ?? '9014'};PW=${f.pw};MN=${f.mn};Flag=4;CP=&&${other?.cp ?? ''}&&`, this.options.crc);
    const send = () => { if (!s.destroyed) { s.write(answer); this.acks.push(f.qn ?? ''); } };
    if (this.options.ackDelayMs) setTimeout(send, this.options.ackDelayMs); else send();
  }

  /** Platform → station: a data request with BeginTime/EndTime (e.g. CN=2051 minute history), Flag=5 (2017, A). */
  requestHistory(r: { qn: string; cn: string; mn: string; pw?: string; st?: string; begin: string; end: string }) {
    const data = `QN=${r.qn};ST=${r.st ?? '32'};CN=${r.cn};PW=${r.pw ?? '123456'};MN=${r.mn};Flag=5;CP=&&BeginTime=${r.begin};EndTime=${r.end}&&`;
    for (const s of this.sockets) s.write(frame(data, this.options.crc));
  }

  /** Resolves when pred holds over the received frames (checked on every frame). */
  waitFor(pred: (frames: PlatformFrame[]) => boolean, timeoutMs = 5000): Promise<void> {
    if (pred(this.frames)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const l = () => { if (pred(this.frames)) { done(); resolve(); } };
      const t = setTimeout(() => { done(); reject(new Error(`platform: condition not met in ${timeoutMs} ms (${this.frames.length} frames)`)); }, timeoutMs);
      const done = () => { clearTimeout(t); this.listeners = this.listeners.filter((x) => x !== l); };
      this.listeners.push(l);
    });
  }

  async waitConnected(timeoutMs = 5000) {
    const until = Date.now() + timeoutMs;
    while (this.sockets.size === 0) {
      if (Date.now() > until) throw new Error('platform: no station connected');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  dropConnections() { for (const s of this.sockets) s.destroy(); }

  async stop() {
    this.dropConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
