// One device: its own connection, queue and schedule. A slow or dead unit never stalls the others.
import type { AdapterContext } from '../../../hub/sdk/index.ts';
import { LifelineError } from '../../../hub/sdk/index.ts';
import { planReads, type ReadRequest } from '../codec/plan.ts';
import { requestFailed, requestReadings, type ModbusReading, type ReadingTarget } from '../map.ts';
import type { ProfilePoint } from '../profile.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { ModbusConnection } from './client.ts';

/** Further commits of one poll's readings after a failed one (0.5, 1, 2 s apart). */
const COMMIT_RETRIES = 3;

export interface PollerOptions {
  host: string; port: number; unitId: number; device?: string;
  points: ProfilePoint[];
  intervalMs: number; timeoutMs: number; retries: number;
  maxRegisters: number; maxBits: number; maxGapRegisters: number; maxGapBits: number;
  reconnect: BackoffOptions;
  writes: boolean;
}

export type Ingest = (batch: ModbusReading[]) => Promise<unknown>;

export interface DeviceHealth {
  key: string; device?: string; status: 'up' | 'down'; connected: boolean;
  last_ok: string | null; last_error: { code: string; message: string; at: string } | null;
  consecutive_failures: number; polls: number; requests: number; reconnects: number;
}

export class DevicePoller {
  readonly key: string;
  readonly target: ReadingTarget;
  readonly plan: ReadRequest[];
  readonly conn: ModbusConnection;
  private stopped = true;
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private tail: Promise<unknown> = Promise.resolve();
  private inflight: Promise<void> = Promise.resolve();
  private awaitingCommit = false;
  private attempt = 0;
  private lastOk?: number;
  private lastError?: { code: string; message: string; at: number };
  private failures = 0;
  private polls = 0;
  private requests = 0;
  private reconnects = 0;
  private connects = 0;

  constructor(readonly o: PollerOptions, private readonly ctx: Pick<AdapterContext, 'clock' | 'logger' | 'metrics'>, private readonly ingest: Ingest) {
    this.key = `${o.host}:${o.port}/${o.unitId}`;
    this.target = { device: o.device, key: this.key };
    this.plan = planReads(o.points, { maxRegisters: o.maxRegisters, maxBits: o.maxBits, maxGapRegisters: o.maxGapRegisters, maxGapBits: o.maxGapBits });
    this.conn = new ModbusConnection({ host: o.host, port: o.port, unitId: o.unitId, timeoutMs: o.timeoutMs });
    this.conn.onClose = () => { this.note(new LifelineError('MODBUS_CONNECTION_FAILED', `${this.key}: connection closed by the device`)); this.wake?.(); };
  }

  start(initialDelayMs = 0): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.supervise(initialDelayMs);
  }

  /**
   * The poll loop's boundary: an error nothing inside handled (a bug, a library throwing where it should reject)
   * is logged, shown in health, and the loop starts again after the reconnect backoff on a fresh connection.
   * The loop is never left to reject: nobody awaits it until stop(), so that would be an unhandled rejection.
   */
  private async supervise(initialDelayMs: number): Promise<void> {
    let delay = initialDelayMs;
    while (!this.stopped) {
      try {
        await this.run(delay);
        return;
      } catch (e) {
        if (this.stopped) return;
        this.note(e instanceof LifelineError ? e : new LifelineError('INTERNAL', `${this.key}: the poll loop failed: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
        this.ctx.metrics.error('poll_failed');
        this.ctx.logger.error({ device: this.key, err: e }, 'Modbus poll loop failed; restarting it');
        this.conn.close();
        delay = backoffDelay(this.attempt++, this.o.reconnect);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    this.conn.close();
    // Bounded: a request in flight is cancelled by close(); never let a device hold up the hub's shutdown.
    const bound = Math.max(2000, this.o.timeoutMs * (this.o.retries + 2));
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      Promise.all([this.loop, this.tail.catch(() => undefined)]).then(() => false),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(true), bound); }),
    ]);
    clearTimeout(timer);
    if (late && !this.awaitingCommit) this.ctx.logger.warn({ device: this.key }, `poller did not stop within ${bound} ms`);
    // The last poll's readings are still committed (behind other devices' batches when the store is busy).
    await Promise.race([(this.loop ?? Promise.resolve()).then(() => this.inflight), new Promise((r) => { timer = setTimeout(r, 30_000); })]);
    clearTimeout(timer);
  }

  /** Run `fn` on this device's queue (reads and writes never interleave on the connection). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }

  health(): DeviceHealth {
    const up = this.conn.open && this.failures === 0;
    return {
      key: this.key, ...(this.o.device ? { device: this.o.device } : {}), status: up ? 'up' : 'down', connected: this.conn.open,
      last_ok: this.lastOk ? new Date(this.lastOk).toISOString() : null,
      last_error: this.lastError ? { code: this.lastError.code, message: this.lastError.message, at: new Date(this.lastError.at).toISOString() } : null,
      consecutive_failures: this.failures, polls: this.polls, requests: this.requests, reconnects: this.reconnects,
    };
  }

  private note(e: unknown) {
    const err = e instanceof LifelineError ? e : new LifelineError('MODBUS_CONNECTION_FAILED', String((e as Error)?.message ?? e));
    this.lastError = { code: err.code, message: err.message, at: this.ctx.clock.now() };
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => { clearTimeout(this.timer); this.wake = undefined; resolve(); };
      this.timer = setTimeout(() => { this.wake = undefined; resolve(); }, Math.max(0, ms));
    });
  }

  private async run(initialDelayMs: number): Promise<void> {
    await this.sleep(initialDelayMs);
    let next = Date.now();
    while (!this.stopped) {
      if (!this.conn.open) {
        try {
          await this.conn.connect();
          if (this.connects++ > 0) { this.reconnects++; this.ctx.logger.info({ device: this.key, after_attempts: this.attempt + 1 }, 'reconnected'); }
          this.attempt = 0;
          next = Date.now();
        } catch (e) {
          if (this.stopped) break;
          this.failures++;
          this.note(e);
          this.ctx.metrics.error('connection_failed');
          const time = this.ctx.clock.now();
          const bad = this.plan.flatMap((r) => requestFailed(this.target, r, time, e));
          await this.inflight;
          this.inflight = this.deliver(bad);
          await this.sleep(backoffDelay(this.attempt++, this.o.reconnect));
          continue;
        }
      }
      const time = this.ctx.clock.now();
      const readings = await this.exclusive(() => this.pollOnce(time));
      if (this.stopped) break; // what failed because we are stopping is not the device's fault
      // The commit runs while the next poll waits: at most one batch per device in flight (backpressure),
      // and a slow commit does not push the schedule.
      this.awaitingCommit = true;
      await this.inflight;
      this.awaitingCommit = false;
      this.inflight = this.deliver(readings);
      // Fixed rate. A poll that is late (slow answer, busy event loop) is made at once; only when more than a
      // whole interval behind are the missed slots skipped, never bunched.
      next += this.o.intervalMs;
      const now = Date.now();
      if (next < now - this.o.intervalMs) next = now;
      if (this.conn.open) await this.sleep(next - now);
    }
  }

  /** One poll: every planned request, with retries on timeout. Failures become bad readings, not a dropped batch. */
  async pollOnce(time: number): Promise<ModbusReading[]> {
    this.polls++;
    const out: ModbusReading[] = [];
    let ok = 0, timeouts = 0;
    for (const req of this.plan) {
      let error: unknown;
      let data: number[] | undefined;
      for (let a = 0; a <= this.o.retries && !this.stopped; a++) {
        try { this.requests++; data = await this.conn.read(req.function, req.address, req.count); error = undefined; break; } catch (e) {
          error = e;
          if (!(e instanceof LifelineError) || e.code !== 'MODBUS_TIMEOUT') break;
        }
      }
      if (data) { ok++; out.push(...requestReadings(this.target, req, data, time)); continue; }
      this.note(error);
      const code = error instanceof LifelineError ? error.code : 'MODBUS_CONNECTION_FAILED';
      if (code === 'MODBUS_TIMEOUT') timeouts++;
      this.ctx.metrics.error(code === 'MODBUS_TIMEOUT' ? 'timeout' : code === 'MODBUS_EXCEPTION' ? 'exception' : 'connection_failed');
      out.push(...requestFailed(this.target, req, time, error));
    }
    // consecutive_failures counts polls in which nothing answered; a point with a bad address does not make the device down.
    if (ok || !this.plan.length) { this.failures = 0; this.lastOk = time; } else this.failures++;
    // Nothing answers at all (a silent TCP peer): reconnect after a few polls instead of waiting forever.
    if (!ok && timeouts === this.plan.length && this.failures >= 3) this.conn.close();
    return out;
  }

  private async deliver(batch: ModbusReading[]): Promise<void> {
    if (!batch.length) return;
    this.ctx.metrics.received(batch.length);
    // A poll cannot be asked for again, so a failed commit is retried (a store restart, a deadlock) before it is given up.
    for (let attempt = 0; ; attempt++) {
      try {
        const r = (await this.ingest(batch)) as { accepted?: number } | undefined;
        this.ctx.metrics.sent(r?.accepted ?? batch.length);
        return;
      } catch (e) {
        this.ctx.metrics.error('ingest_failed');
        if (attempt >= COMMIT_RETRIES || this.stopped) {
          this.ctx.metrics.dropped(batch.length);
          this.ctx.logger.warn({ device: this.key, err: e }, `commit of polled readings failed ${attempt + 1} times; they are dropped (the next poll reads fresh values)`);
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    }
  }
}
