// The MQTT side: one client, a persistent session, subscriptions from topic templates, and PUBACK only
// after the message's readings (or its quarantine entries) are committed.
//
// How the acknowledgement is held back. MQTT.js handles incoming packets strictly one at a time: the
// next packet is read only after the current one's handler finished, and for a QoS 1 PUBLISH the
// handler sends PUBACK when `handleMessage(packet, callback)` calls back without an error (MQTT.js 5
// `customHandleAcks` works the same way, and only for MQTT 5). Holding the callback until the commit
// would allow one message per transaction. So `handleMessage` calls back at once with a sentinel error,
// which makes MQTT.js skip its PUBACK and read on, and the adapter sends the PUBACK itself once the
// group commit holding the message resolved (AckQueue keeps them in arrival order). Nothing is ever
// acknowledged on a connection other than the one the message came in on: a lost connection drops the
// queue and the broker redelivers what it still holds.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import {
  LifelineError, createIngestBatcher, compileProfile, loadProfile, mappingRejection, jsonTooDeep, MAX_DEPTH, truncateText,
  type AdapterContext, type AdapterHealth, type CompiledProfile, type IngestOptions, type IngestResult,
  type RejectedInput, type SourceReading,
} from '../../hub/sdk/index.ts';
import type { JsonMqttConfig } from './manifest.ts';
import { compileTopic, type TopicTemplate } from './topic.ts';
import { AckQueue } from './acks.ts';

/** Passed to handleMessage's callback so that MQTT.js does not send PUBACK itself. */
const PUBACK_AFTER_COMMIT = Object.freeze(new Error('json_mqtt acknowledges after commit'));
const KEEP_TEXT = 4096;

interface Subscription {
  template: TopicTemplate;
  profile: CompiledProfile;
  qos: 0 | 1;
  granted?: number;
}

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'suspended' | 'stopped';

export class JsonMqttSubscriber {
  private readonly subs: Subscription[];
  private readonly ingest: (batch: SourceReading[], options?: IngestOptions) => Promise<IngestResult>;
  private readonly tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  private client?: MqttClient;
  private acks?: AckQueue;
  private state: State = 'idle';
  private stopped = false;
  private subscribedOnce = false;
  private sessionPresent?: boolean;
  private inFlight = 0;
  private blocked?: () => void;
  private readonly work = new Set<Promise<void>>();
  private failures = 0;
  private recoverTimer?: NodeJS.Timeout;
  private lastError?: { message: string; at: string };
  private readonly unmatchedSeen = new Set<string>();
  private subscribedWaiters: Array<() => void> = [];
  readonly counts = { messages: 0, readings: 0, duplicates: 0, quarantined: 0, rejected: 0, unmatched: 0, dropped: 0, empty: 0, connects: 0, ingest_failures: 0 };

  constructor(private readonly config: JsonMqttConfig, private readonly ctx: AdapterContext) {
    const at = (p: string) => `/adapters/${ctx.name}/${p}`;
    this.subs = config.subscriptions.map((s, i) => {
      let template: TopicTemplate;
      try { template = compileTopic(s.topic); }
      catch (e) { throw new LifelineError('CONFIG_INVALID', `${at(`subscriptions/${i}/topic`)}: ${(e as Error).message}`, { details: { path: at(`subscriptions/${i}/topic`) }, stage: 'config' }); }
      let profile: CompiledProfile;
      try {
        const opts = { protocol: 'json_mqtt', timezone: config.timezone ?? ctx.timezone };
        profile = typeof s.profile === 'string'
          ? loadProfile(s.profile, ctx.configDir, opts)
          : compileProfile(s.profile, { ...opts, name: `subscriptions/${i}` });
      } catch (e) {
        throw new LifelineError('CONFIG_INVALID', `${at(`subscriptions/${i}/profile`)}: ${(e as Error).message}`, { details: { path: at(`subscriptions/${i}/profile`) }, stage: 'config', cause: e });
      }
      return { template, profile, qos: s.qos };
    });
    for (const k of ['ca', 'cert', 'key'] as const) {
      const file = config.broker[k];
      if (!file) continue;
      try { this.tls[k] = readFileSync(file); }
      catch (e) { throw new LifelineError('CONFIG_INVALID', `${at(`broker/${k}`)}: cannot read ${file}: ${(e as Error).message}`, { details: { path: at(`broker/${k}`) }, stage: 'config' }); }
    }
    this.ingest = createIngestBatcher((b, o) => ctx.ingest(b, o), { maxRecords: config.batch_max_records, maxWaitMs: config.batch_max_wait_ms });
  }

  /** Connect; resolves once subscribed, or after connect_timeout_ms while it keeps trying in the background. */
  async start(): Promise<void> {
    if (this.client || this.stopped) return;
    const b = this.config.broker;
    const password = b.password ?? (b.password_env ? process.env[b.password_env] : undefined);
    const options: IClientOptions = {
      protocolVersion: b.protocol_version,
      clientId: b.client_id,
      clean: b.clean,
      keepalive: b.keepalive,
      reconnectPeriod: b.reconnect_period_ms,
      reconnectOnConnackError: true, // a broker refusing (busy, not authorised yet) is retried like any other failure
      connectTimeout: b.connect_timeout_ms,
      resubscribe: false, // done here, so that granted QoS is recorded
      queueQoSZero: false,
      rejectUnauthorized: b.reject_unauthorized,
      ...(b.username !== undefined ? { username: b.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...this.tls,
      ...(b.protocol_version === 5
        ? { properties: { sessionExpiryInterval: b.clean ? 0 : b.session_expiry_s, receiveMaximum: this.config.max_in_flight } }
        : {}),
    };
    this.state = 'connecting';
    const client = mqtt.connect(b.url, options);
    if (typeof (client as unknown as { _sendPacket?: unknown })._sendPacket !== 'function') {
      client.end(true);
      throw new LifelineError('INTERNAL', 'the installed MQTT.js has no _sendPacket(): json_mqtt cannot acknowledge after commit with it (tested with mqtt 5.16)');
    }
    this.client = client;
    client.handleMessage = (packet, callback) => this.onPublish(client, packet, callback);
    client.on('connect', (connack) => this.onConnect(client, connack));
    client.on('close', () => {
      this.acks?.close();
      this.acks = undefined;
      if (!this.subscribedOnce) this.resolveSubscribed(); // the first attempt failed: start() returns, retries go on
      if (!this.stopped && this.state !== 'suspended') this.state = 'reconnecting';
    });
    client.on('error', (e) => { this.noteError(`broker: ${e.message}`); this.ctx.metrics.error('connection'); });
    const subscribed = new Promise<void>((resolve) => this.subscribedWaiters.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([subscribed, new Promise<void>((r) => { timer = setTimeout(r, b.connect_timeout_ms); })]);
    clearTimeout(timer);
    if ((this.state as State) !== 'connected') this.ctx.logger.warn({ broker: this.brokerLabel(), last_error: this.lastError?.message }, 'not connected to the broker yet; retrying in the background');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.state = 'stopped';
    clearTimeout(this.recoverTimer);
    const client = this.client;
    if (!client) return;
    // Let messages already being committed finish: their PUBACKs go out before the DISCONNECT.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.work]), new Promise((r) => { timer = setTimeout(r, 5000); })]);
    clearTimeout(timer);
    this.blocked?.();
    this.blocked = undefined;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => client.end(true, () => resolve()), 2000);
      client.end(false, () => { clearTimeout(t); resolve(); });
    });
    for (const w of this.subscribedWaiters) w();
    this.subscribedWaiters = [];
  }

  health(): AdapterHealth {
    const refused = this.subs.filter((s) => s.granted !== undefined && (s.granted >= 0x80 || s.granted < s.qos));
    const status: AdapterHealth['status'] = this.state === 'connected' && !refused.length ? 'ok' : this.state === 'idle' || this.state === 'stopped' ? 'ok' : 'degraded';
    return {
      status,
      detail: {
        broker: this.brokerLabel(),
        state: this.state,
        client_id: this.config.broker.client_id,
        protocol_version: this.config.broker.protocol_version,
        session_present: this.sessionPresent ?? null,
        in_flight: this.inFlight,
        unacknowledged: this.acks?.pending ?? 0,
        ...this.counts,
        subscriptions: this.subs.map((s) => ({
          topic: s.template.template, filter: s.template.filter, profile: s.profile.name, qos: s.qos,
          granted: s.granted === undefined ? null : s.granted >= 0x80 ? 'refused' : s.granted,
        })),
        ...(this.lastError ? { last_error: this.lastError.message, last_error_at: this.lastError.at } : {}),
      },
    };
  }

  private brokerLabel(): string {
    try { const u = new URL(this.config.broker.url); u.username = ''; u.password = ''; return u.toString().replace(/\/$/, ''); }
    catch { return this.config.broker.url; }
  }

  private noteError(message: string): void {
    this.lastError = { message, at: new Date(this.ctx.clock.now()).toISOString() };
  }

  private onConnect(client: MqttClient, connack: IConnackPacket): void {
    if (this.stopped) return;
    this.counts.connects++;
    clearTimeout(this.recoverTimer);
    this.state = 'connected';
    this.sessionPresent = connack.sessionPresent;
    this.acks?.close();
    const acks = new AckQueue((messageId) => {
      if (client.connected && this.acks === acks) (client as unknown as { _sendPacket(p: object): void })._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
    });
    this.acks = acks;
    this.ctx.logger.info({ broker: this.brokerLabel(), session_present: connack.sessionPresent }, 'connected to the broker');
    // A broker that lost the session (restarted without persistence, session expired) has lost the
    // subscriptions too; subscribe on the first connection in any case, since the config may have changed.
    if (this.subscribedOnce && connack.sessionPresent) { this.resolveSubscribed(); return; }
    const filters: Record<string, { qos: 0 | 1 }> = {};
    for (const s of this.subs) filters[s.template.filter] = { qos: Math.max(filters[s.template.filter]?.qos ?? 0, s.qos) as 0 | 1 };
    client.subscribe(filters, (err, granted) => {
      if (err) { this.noteError(`subscribe: ${err.message}`); this.ctx.logger.error({ err }, 'subscribe failed'); return; }
      for (const g of granted ?? []) {
        for (const s of this.subs) if (s.template.filter === g.topic) s.granted = g.qos;
        if (g.qos >= 0x80) { this.noteError(`broker refused subscription ${g.topic} (reason ${g.qos})`); this.ctx.logger.error({ topic: g.topic, reason: g.qos }, 'subscription refused'); }
      }
      this.subscribedOnce = true;
      this.resolveSubscribed();
    });
  }

  private resolveSubscribed(): void {
    for (const w of this.subscribedWaiters) w();
    this.subscribedWaiters = [];
  }

  /** MQTT.js hands every PUBLISH here, one at a time (see the top of this file). */
  private onPublish(client: MqttClient, packet: IPublishPacket, callback: (error?: Error) => void): void {
    const qos1 = packet.qos === 1;
    const next = () => callback(qos1 ? PUBACK_AFTER_COMMIT : undefined);
    if (packet.qos === 2) { callback(); return; } // never subscribed at QoS 2
    // Stopping, or suspended after a failed commit: leave it unacknowledged; the broker redelivers it.
    if (this.stopped || this.state === 'suspended' || client !== this.client) { next(); return; }
    const ackDone = qos1 && this.acks ? this.acks.add(packet.messageId!) : undefined;
    this.inFlight++;
    // Messages are mapped one after the other, in arrival order (the next packet is read once this one is
    // mapped and queued for commit), and committed in groups; mapping them all at once would interleave
    // their (asynchronous) JSONata evaluations and hold every one of them back until the slowest is done.
    let mapped!: () => void;
    const isMapped = new Promise<void>((r) => { mapped = r; });
    const w = (async () => {
      let committed = false;
      try {
        const prepared = await this.prepare(packet);
        mapped();
        committed = prepared ? await this.commit(prepared) : true;
      } catch (e) {
        mapped();
        this.ctx.logger.error({ err: e }, 'message handling failed');
      }
      if (committed) ackDone?.();
    })().finally(() => {
      this.work.delete(w);
      this.inFlight--;
      if (this.blocked && this.inFlight < this.config.max_in_flight) { const b = this.blocked; this.blocked = undefined; b(); }
    });
    this.work.add(w);
    // Backpressure: stop reading from the broker while max_in_flight messages are being handled.
    void isMapped.then(() => { if (this.inFlight >= this.config.max_in_flight) this.blocked = next; else next(); });
  }

  /** Map one message: what to commit for it, or null when there is nothing to store (it may be acknowledged at once). */
  private async prepare(packet: IPublishPacket): Promise<{ readings: SourceReading[]; rejected: RejectedInput[] } | null> {
    const topic = packet.topic.toString();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.counts.messages++;
    this.ctx.metrics.received();
    let sub: Subscription | undefined;
    let vars: Record<string, string> | undefined;
    for (const s of this.subs) { vars = s.template.match(topic); if (vars) { sub = s; break; } }
    if (!sub || !vars) {
      // A subscription the broker kept from an earlier configuration (persistent session).
      this.counts.unmatched++;
      this.ctx.metrics.dropped();
      if (this.unmatchedSeen.size < 100 && !this.unmatchedSeen.has(topic)) {
        this.unmatchedSeen.add(topic);
        this.ctx.logger.warn({ topic }, 'message on a topic no subscription template matches (a subscription left in the broker session?); dropped');
      }
      return null;
    }
    if (payload.length === 0) { this.counts.empty++; return null; } // e.g. a retained message being cleared
    const readings: SourceReading[] = [];
    const rejected: RejectedInput[] = [];
    if (payload.length > this.config.max_payload_bytes) {
      this.ctx.metrics.error('payload_too_large');
      rejected.push({ record: { topic, bytes: payload.length }, reason: 'MQTT_PAYLOAD_TOO_LARGE', message: `payload of ${payload.length} bytes is larger than max_payload_bytes (${this.config.max_payload_bytes})` });
    } else {
      const text = payload.toString('utf8');
      let json: unknown;
      let parsed = false;
      try { json = JSON.parse(text); parsed = true; }
      catch (e) {
        this.ctx.metrics.error('not_json');
        if (this.config.non_json === 'drop') { this.counts.dropped++; this.ctx.metrics.dropped(); return null; }
        rejected.push({ record: { topic, payload: truncateText(text, KEEP_TEXT, '…') }, reason: 'MQTT_NOT_JSON', message: `payload is not JSON: ${(e as Error).message}` });
      }
      if (parsed && jsonTooDeep(json)) {
        // It parsed, but mapping and the quarantine's JSON column would overflow the stack on it, failing the
        // whole group commit again on every redelivery: keep it as text.
        parsed = false;
        this.ctx.metrics.error('payload_too_deep');
        rejected.push({ record: { topic, payload: truncateText(text, KEEP_TEXT, '…') }, reason: 'MQTT_PAYLOAD_TOO_DEEP', message: `payload nests deeper than ${MAX_DEPTH} levels` });
      }
      if (parsed) {
        try {
          const res = await sub.profile.map({ payload: json, vars: { topic, ...vars }, receivedAt: this.ctx.clock.now() });
          readings.push(...res.readings);
          if (res.failures[0]?.code === 'MAPPING_TOO_MANY_RECORDS') {
            // Nothing of it was mapped: keep its start as text (like MQTT_NOT_JSON), not all of it.
            const f = res.failures[0];
            rejected.push({ record: { topic, bytes: payload.length, payload: truncateText(text, KEEP_TEXT, '…') }, reason: f.code, message: f.message, ...(f.field ? { field: f.field } : {}) });
          } else {
            // One entry per message, keeping the payload once with its failures (not one copy per failure).
            const r = mappingRejection(res, { topic }, { key: 'payload', value: json });
            if (r) rejected.push(r);
          }
          if (res.failed) this.ctx.metrics.error('mapping_failed', res.failed);
        } catch (e) {
          this.ctx.metrics.error('mapping_failed');
          rejected.push({ record: { topic, payload: json }, reason: 'MAPPING_FAILED', message: (e as Error).message });
        }
      }
    }
    return { readings, rejected };
  }

  /** Commit one message's readings and rejects (group commit). True once they are in the store, so it may be acknowledged. */
  private async commit({ readings, rejected }: { readings: SourceReading[]; rejected: RejectedInput[] }): Promise<boolean> {
    try {
      const res = await this.ingest(readings, rejected.length ? { rejected } : undefined);
      this.counts.readings += res.accepted;
      this.counts.duplicates += res.duplicates;
      this.counts.quarantined += res.quarantined;
      this.counts.rejected += res.rejected ?? rejected.length;
      this.ctx.metrics.sent(res.accepted);
      this.failures = 0;
      return true;
    } catch (e) {
      this.onIngestFailed(e);
      return false;
    }
  }

  /**
   * The store did not commit: acknowledge nothing more on this connection, and after a back-off drop
   * it and connect again, so that the broker redelivers every message not acknowledged yet.
   */
  private onIngestFailed(e: unknown): void {
    this.counts.ingest_failures++;
    this.ctx.metrics.error('ingest_failed');
    this.noteError(`ingest: ${(e as Error).message}`);
    if (this.state === 'suspended' || this.stopped) return;
    this.state = 'suspended';
    this.acks?.close();
    this.failures++;
    const delay = Math.min(30_000, 1000 * 2 ** (this.failures - 1));
    this.ctx.logger.error({ err: e, retry_in_ms: delay }, 'commit failed; messages stay unacknowledged and are received again after reconnecting');
    this.recoverTimer = setTimeout(() => {
      const client = this.client;
      if (this.stopped || !client) return;
      client.end(true, () => {
        if (this.stopped) return;
        this.state = 'reconnecting';
        client.reconnect();
      });
    }, delay);
  }
}
