// hj212_upstream: the hub as HJ 212 stations of an upstream platform. Live batches go out as 2011/2051/2061/2031
// frames with the A flag, one per station + DataTime, each resent (same QN) until 9014 or the recount is spent;
// the platform's history requests are answered from the store, paced, on the same connection.
import { definePublisher, LifelineError, readConfigFile, withSchemaDefaults, type PublishBatch, type PublishOutcome, type PublisherContext } from '../../hub/sdk/index.ts';
import type { BuildInput, Hj212Frame } from '../hj212/codec/types.ts';
import { cnInfo, encodeFrame, isHj212Error, replyTo } from '../hj212/codec/index.ts';
import { Hj212Client } from '../hj212/transport/client.ts';
import { QnSource } from '../hj212/transport/qn.ts';
import { manifest, type UpstreamConfig } from './manifest.ts';
import { buildMessages } from './frames.ts';
import { answerHistory, isHistoryRequest } from './history.ts';

const ACKED_KEYS = 1000;

/** The schema's defaults filled in (the hub has done so already; tests and benches may pass only what they set). */
export function withDefaults(c: Partial<UpstreamConfig> & Pick<UpstreamConfig, 'host' | 'port' | 'stations'>): UpstreamConfig {
  return withSchemaDefaults<UpstreamConfig>(manifest.configSchema, c);
}

class Upstream {
  private readonly client: Hj212Client;
  private readonly qns: QnSource;
  private stopped = false;
  private failures = 0;
  private nextAttemptAt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private lastError?: string;
  private connection = new AbortController();
  private historyChain: Promise<unknown> = Promise.resolve();
  /** Messages already acknowledged per batch (by idempotency key): a retried batch resends only the rest. */
  private readonly acked = new Map<string, Set<string>>();
  private readonly stats = { frames_acked: 0, history_requests: 0, history_frames: 0 };

  constructor(private readonly cfg: UpstreamConfig, private readonly ctx: PublisherContext) {
    this.qns = new QnSource(ctx.clock, cfg.timezone);
    const t = cfg.tls;
    const at = `/publish/targets/${ctx.name}/config`;
    this.client = new Hj212Client({
      host: cfg.host, port: cfg.port, timeoutMs: cfg.timeout_s * 1000, retries: cfg.recount, maxDataLength: cfg.max_data_length,
      nextQn: () => this.qns.next(), crc: cfg.crc,
      tls: t ? {
        ca: t.ca ? readConfigFile(t.ca, `${at}/tls/ca`) : undefined, cert: t.cert ? readConfigFile(t.cert, `${at}/tls/cert`) : undefined, key: t.key ? readConfigFile(t.key, `${at}/tls/key`) : undefined,
        servername: t.servername, rejectUnauthorized: t.reject_unauthorized ?? true,
      } : undefined,
      onRequest: (f) => this.onRequest(f),
      onError: (e) => { this.ctx.metrics.error('frame_failed'); this.ctx.logger.error({ err: e, code: e.code }, e.message); },
      onConnect: () => { this.failures = 0; this.lastError = undefined; this.connection = new AbortController(); ctx.logger.info({ host: cfg.host, port: cfg.port }, 'connected to the platform'); },
      onClose: () => { this.connection.abort(); if (!this.stopped) { ctx.logger.warn({ host: cfg.host, port: cfg.port }, 'platform connection closed'); this.scheduleReconnect(); } },
    });
  }

  private backoffMs(): number {
    return Math.min(this.cfg.reconnect_initial_s * 1000 * 2 ** Math.max(0, this.failures - 1), this.cfg.reconnect_max_s * 1000);
  }

  private noteFailure(e: unknown) {
    this.failures++;
    this.lastError = (e as Error).message;
    this.nextAttemptAt = this.ctx.clock.now() + this.backoffMs();
    this.ctx.metrics.error('connect_failed');
  }

  /** Keep a connection open (the platform's requests arrive on it), retrying with exponential backoff. */
  private scheduleReconnect() {
    if (this.stopped || this.reconnectTimer) return;
    const wait = Math.max(0, this.nextAttemptAt - this.ctx.clock.now(), this.failures ? 0 : this.cfg.reconnect_initial_s * 1000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped || this.client.connected) return;
      this.client.open().catch((e) => { this.noteFailure(e); this.scheduleReconnect(); });
    }, wait);
    this.reconnectTimer.unref?.();
  }

  /** Connects in the background (a slow or absent platform never delays the hub's start). */
  async start() {
    this.client.open().catch((e) => { this.noteFailure(e); this.scheduleReconnect(); });
  }

  private async ensureConnected(): Promise<PublishOutcome | undefined> {
    if (this.client.connected) return undefined;
    const wait = this.nextAttemptAt - this.ctx.clock.now();
    if (wait > 0) return { status: 'retry', reason: `platform ${this.cfg.host}:${this.cfg.port} unreachable: ${this.lastError ?? 'not connected'}`, retryAfterMs: wait };
    try {
      await this.client.open();
      return undefined;
    } catch (e) {
      this.noteFailure(e);
      this.scheduleReconnect();
      return { status: 'retry', reason: `platform ${this.cfg.host}:${this.cfg.port} unreachable: ${(e as Error).message}`, retryAfterMs: this.backoffMs() };
    }
  }

  async send(batch: PublishBatch): Promise<PublishOutcome> {
    if (this.stopped) return { status: 'retry', reason: 'publisher is stopping' };
    const { messages, unrouted } = buildMessages(batch.observations, this.cfg);
    if (unrouted) this.ctx.metrics.dropped(unrouted);
    if (!messages.length) return { status: 'ok' };
    const notConnected = await this.ensureConnected();
    if (notConnected) return notConnected;
    let done = this.acked.get(batch.idempotencyKey);
    for (const m of messages) {
      if (done?.has(m.key)) continue;
      try {
        await this.client.send({ ...m.input, qn: this.qns.next() });
      } catch (e) {
        if (isHj212Error(e)) return { status: 'permanent', reason: `frame ${m.key} cannot be encoded: ${(e as Error).message}` };
        this.ctx.metrics.error(e instanceof LifelineError ? e.code.toLowerCase() : 'send_failed');
        this.lastError = (e as Error).message;
        return { status: 'retry', reason: (e as Error).message };
      }
      this.stats.frames_acked++;
      this.ctx.metrics.sent(m.count);
      if (!done) {
        if (this.acked.size >= ACKED_KEYS) this.acked.delete(this.acked.keys().next().value!);
        this.acked.set(batch.idempotencyKey, (done = new Set()));
      }
      done.add(m.key);
    }
    this.acked.delete(batch.idempotencyKey);
    return { status: 'ok' };
  }

  private write(input: BuildInput, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || !this.client.connected) return Promise.reject(new Error('the connection the request came on is closed'));
    let bytes: Uint8Array;
    try { bytes = encodeFrame(input, { crc: this.cfg.crc }); } catch (e) { return Promise.reject(e); } // a rejection the caller handles, never a throw from a socket event
    return this.client.write(bytes);
  }

  private onRequest(f: Hj212Frame) {
    if (f.cn.startsWith('9')) return; // answers to frames we no longer wait for
    const signal = this.connection.signal;
    if (isHistoryRequest(f)) {
      this.stats.history_requests++;
      // One request at a time, in arrival order; live uploads go on meanwhile (history is paced).
      this.historyChain = this.historyChain.then(() => answerHistory(f, {
        cfg: this.cfg, history: this.ctx.history, signal: AbortSignal.any([signal, this.ctx.signal]), logger: this.ctx.logger,
        now: () => this.ctx.clock.now(), send: (input) => this.write(input, signal),
      })).then((a) => {
        this.stats.history_frames += a.frames;
        this.ctx.logger.info({ qn: f.qn, cn: f.cn, ...a }, 'history request answered');
      }).catch((e) => this.ctx.logger.warn({ qn: f.qn, err: (e as Error).message }, 'history answer interrupted'));
      return;
    }
    const info = cnInfo(f.cn, f.version);
    const answer = info?.kind === 'notice' || info?.down === 'notice' ? replyTo(f, '9013') : replyTo(f, '9011', { QnRtn: info ? 2 : 8 });
    this.ctx.logger.info({ qn: f.qn, cn: f.cn }, 'platform request not supported by this publisher: refused');
    this.write(answer, signal).catch(() => undefined);
  }

  health() {
    const connected = this.client.connected;
    return { status: connected ? 'ok' as const : this.failures > 0 ? 'down' as const : 'degraded' as const, detail: { connected, host: this.cfg.host, port: this.cfg.port, last_error: this.lastError, ...this.stats } };
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.connection.abort();
    this.client.close();
    await this.historyChain.catch(() => undefined);
  }
}

export default definePublisher<UpstreamConfig>({
  manifest,
  create: (config, ctx) => new Upstream(withDefaults(config), ctx),
});
