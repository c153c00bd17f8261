// One Modbus TCP connection (modbus-serial), with its errors turned into typed LifelineErrors.
import ModbusSerial from 'modbus-serial';

// modbus-serial is CommonJS: its module object is the client class (and `.default` points to itself).
type ModbusClient = InstanceType<typeof ModbusSerial.default>;
const ModbusRTU = ((ModbusSerial as unknown as { default?: unknown }).default ?? ModbusSerial) as unknown as new () => ModbusClient;
import { LifelineError } from '../../../hub/sdk/index.ts';
import type { ModbusFunction } from '../codec/types.ts';

export interface ClientOptions { host: string; port: number; unitId: number; timeoutMs: number }

/** Map whatever modbus-serial threw to MODBUS_TIMEOUT, MODBUS_EXCEPTION or MODBUS_CONNECTION_FAILED. */
export function toModbusError(e: unknown, what: string): LifelineError {
  if (e instanceof LifelineError) return e;
  const err = e as { name?: string; message?: string; modbusCode?: number; errno?: string; code?: string };
  if (err?.name === 'TransactionTimedOutError' || err?.errno === 'ETIMEDOUT') {
    return new LifelineError('MODBUS_TIMEOUT', `${what}: no reply in time`, { retryable: true, stage: 'receiving', cause: e });
  }
  if (typeof err?.modbusCode === 'number') {
    return new LifelineError('MODBUS_EXCEPTION', `${what}: Modbus exception ${err.modbusCode}`, { details: { exception: err.modbusCode }, retryable: false, stage: 'receiving', cause: e });
  }
  return new LifelineError('MODBUS_CONNECTION_FAILED', `${what}: ${err?.message ?? err?.code ?? String(e)}`, { retryable: true, stage: 'receiving', cause: e });
}

export class ModbusConnection {
  private client: ModbusClient | undefined;
  private closedByUs = false;
  /** Requests in flight: close() settles them at once instead of leaving them to their timeout. */
  private readonly pending = new Set<(e: Error) => void>();
  onClose?: () => void;

  constructor(private readonly o: ClientOptions) {}

  get open(): boolean { return !!this.client?.isOpen; }

  /** Open the TCP connection; rejects with MODBUS_CONNECTION_FAILED (refused, unreachable, no answer within the timeout). */
  async connect(): Promise<void> {
    this.close();
    const c = new ModbusRTU();
    c.on('error', () => undefined);
    this.client = c;
    this.closedByUs = false;
    const what = `${this.o.host}:${this.o.port}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.connectTCP(this.o.host, { port: this.o.port }),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`connect timed out after ${Math.max(this.o.timeoutMs, 1000)} ms`)), Math.max(this.o.timeoutMs, 1000)); }),
      ]);
    } catch (e) {
      this.close();
      throw new LifelineError('MODBUS_CONNECTION_FAILED', `${what}: ${(e as Error).message ?? String(e)}`, { retryable: true, stage: 'receiving', cause: e });
    } finally { clearTimeout(timer); }
    c.setID(this.o.unitId);
    c.setTimeout(this.o.timeoutMs);
    c.on('close', () => { if (!this.closedByUs && this.client === c) { this.client = undefined; this.onClose?.(); } });
  }

  private ready(what: string) {
    const c = this.client;
    if (!c?.isOpen) throw new LifelineError('MODBUS_CONNECTION_FAILED', `${what}: not connected`, { retryable: true, stage: 'receiving' });
    return c;
  }

  /** Settle `p` early when the connection is closed by us. */
  private guarded<T>(p: Promise<T>): Promise<T> {
    let cancel!: (e: Error) => void;
    const closed = new Promise<never>((_, reject) => { cancel = reject; });
    this.pending.add(cancel);
    return Promise.race([p, closed]).finally(() => this.pending.delete(cancel));
  }

  /** Read `count` registers (numbers 0…65535) or bits (0/1) from a table. */
  async read(fn: ModbusFunction, address: number, count: number): Promise<number[]> {
    const what = `${this.o.host}:${this.o.port}/${this.o.unitId} ${fn}@${address}+${count}`;
    const c = this.ready(what);
    try {
      switch (fn) {
        case 'holding_registers': return (await this.guarded(c.readHoldingRegisters(address, count))).data;
        case 'input_registers': return (await this.guarded(c.readInputRegisters(address, count))).data;
        case 'coils': return (await this.guarded(c.readCoils(address, count))).data.slice(0, count).map((b: boolean) => (b ? 1 : 0));
        case 'discrete_inputs': return (await this.guarded(c.readDiscreteInputs(address, count))).data.slice(0, count).map((b: boolean) => (b ? 1 : 0));
      }
    } catch (e) { throw toModbusError(e, what); }
  }

  /** Write registers (FC6 for one, FC16 for more) or one coil (FC5). */
  async write(fn: 'holding_registers' | 'coils', address: number, words: number[]): Promise<void> {
    const what = `${this.o.host}:${this.o.port}/${this.o.unitId} write ${fn}@${address}`;
    const c = this.ready(what);
    try {
      if (fn === 'coils') await this.guarded(c.writeCoil(address, words[0] !== 0));
      else if (words.length === 1) await this.guarded(c.writeRegister(address, words[0]!));
      else await this.guarded(c.writeRegisters(address, words));
    } catch (e) { throw toModbusError(e, what); }
  }

  close(): void {
    const c = this.client;
    this.client = undefined;
    for (const cancel of this.pending) cancel(new Error('connection closed'));
    this.pending.clear();
    if (!c) return;
    this.closedByUs = true;
    (c as unknown as import('node:events').EventEmitter).removeAllListeners('close');
    try { c.destroy(() => undefined); } catch { /* already closed */ }
  }
}
