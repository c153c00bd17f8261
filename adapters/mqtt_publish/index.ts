// mqtt_publish: observations as JSON to an MQTT broker. A batch is `ok` once every publish was acknowledged
// (PUBACK for QoS 1, PUBCOMP for QoS 2); disconnection, timeout or a transient broker refusal → `retry`.
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { definePublisher, readConfigFile, withSchemaDefaults, type Observation, type PublishBatch, type PublishOutcome, type PublisherContext } from '../../hub/sdk/index.ts';
import { manifest, type MqttPublishConfig } from './manifest.ts';
import { compileTopic } from './topic.ts';

/** MQTT 5 reason codes a retry cannot cure (the message or its topic is refused as such). */
const PERMANENT_REASONS = new Set([0x87 /* not authorized */, 0x90 /* topic name invalid */, 0x99 /* payload format invalid */]);

/** The schema's defaults filled in (the hub has done so already; tests and benches may pass only what they set). */
export function withDefaults(c: Partial<MqttPublishConfig> & Pick<MqttPublishConfig, 'url'>): MqttPublishConfig {
  return withSchemaDefaults<MqttPublishConfig>(manifest.configSchema, c);
}

interface Message { topic: string; payload: string; key: string }

class MqttPublisher {
  private client?: MqttClient;
  private readonly topicOf: (o: Observation) => string;
  private lastError?: string;
  private stopped = false;
  private readonly stats = { messages_acked: 0 };
  private readonly files: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};

  constructor(private readonly cfg: MqttPublishConfig, private readonly ctx: PublisherContext) {
    this.topicOf = compileTopic(cfg.topic);
    // Read at create(): a wrong path stops the hub at start, naming the key.
    for (const k of ['ca', 'cert', 'key'] as const) {
      const file = cfg.tls?.[k];
      if (file) this.files[k] = readConfigFile(file, `/publish/targets/${ctx.name}/config/tls/${k}`);
    }
  }

  async start() {
    const c = this.cfg;
    const opts: IClientOptions = {
      clientId: c.client_id ?? `lifeline-${this.ctx.name}-${randomBytes(4).toString('hex')}`,
      username: c.username, password: c.password, protocolVersion: c.protocol_version, keepalive: c.keepalive_s,
      reconnectPeriod: c.reconnect_s * 1000, connectTimeout: c.connect_timeout_s * 1000, clean: true,
      ca: this.files.ca, cert: this.files.cert, key: this.files.key, rejectUnauthorized: c.tls?.reject_unauthorized ?? true,
    };
    const client = mqtt.connect(c.url, opts);
    this.client = client;
    client.on('connect', () => { this.lastError = undefined; this.ctx.logger.info({ url: c.url }, 'connected to the broker'); });
    client.on('error', (e) => { this.lastError = e.message; this.ctx.metrics.error('connect_failed'); });
    client.on('close', () => { if (!this.stopped) this.lastError ??= 'connection closed'; });
  }

  private messages(batch: PublishBatch): Message[] {
    // Alarm events: one message each (the template's body, or the notification), on the topic of its alarm.
    if (batch.alarms) {
      return batch.alarms.map((n) => {
        const a = n.notification.alarm;
        const topic = this.topicOf({ domain: a.domain ?? '', site: a.site, device: a.device, point: a.point ?? '', indicator: a.indicator, kind: 'alarm' } as unknown as Observation);
        return { topic, payload: JSON.stringify(n.body !== undefined ? n.body : n.notification), key: `${batch.idempotencyKey}/${n.notification.event.id}` };
      });
    }
    if (this.cfg.payload === 'observation') {
      return batch.observations.map((o) => ({ topic: this.topicOf(o), payload: JSON.stringify(o), key: `${batch.idempotencyKey}/${o.id}` }));
    }
    const byTopic = new Map<string, Observation[]>();
    for (const o of batch.observations) {
      const t = this.topicOf(o);
      let list = byTopic.get(t);
      if (!list) byTopic.set(t, (list = []));
      list.push(o);
    }
    let i = 0;
    return [...byTopic].map(([topic, observations]) => ({ topic, payload: JSON.stringify({ idempotency_key: batch.idempotencyKey, observations }), key: `${batch.idempotencyKey}/${i++}` }));
  }

  private waitConnected(client: MqttClient): Promise<boolean> {
    if (client.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => { clearTimeout(t); client.off('connect', onConnect); resolve(ok); };
      const onConnect = () => done(true);
      const t = setTimeout(() => done(false), this.cfg.connect_timeout_s * 1000);
      client.on('connect', onConnect);
    });
  }

  async send(batch: PublishBatch): Promise<PublishOutcome> {
    const client = this.client;
    if (!client || this.stopped) return { status: 'retry', reason: 'publisher is not running' };
    const count = batch.alarms ? batch.alarms.length : batch.observations.length;
    if (!count) return { status: 'ok' };
    if (!(await this.waitConnected(client))) {
      return { status: 'retry', reason: `broker ${this.cfg.url} unreachable: ${this.lastError ?? 'not connected'}` };
    }
    const msgs = this.messages(batch);
    const base: IClientPublishOptions = { qos: this.cfg.qos, retain: this.cfg.retain };
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const interrupted = new Promise<PublishOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ status: 'retry', reason: `no acknowledgement within ${this.cfg.timeout_s} s` }), this.cfg.timeout_s * 1000);
      onClose = () => resolve({ status: 'retry', reason: `disconnected from ${this.cfg.url} before every message was acknowledged` });
      client.once('close', onClose);
    });
    const published = Promise.all(msgs.map((m) => client.publishAsync(m.topic, m.payload, this.cfg.protocol_version === 5
      ? { ...base, properties: { contentType: 'application/json', payloadFormatIndicator: true, userProperties: { 'idempotency-key': batch.idempotencyKey, 'message-key': m.key } } }
      : base).then(() => { this.stats.messages_acked++; })))
      .then((): PublishOutcome => ({ status: 'ok' }))
      .catch((e: Error & { code?: number }): PublishOutcome => {
        const reason = `broker refused a publish: ${e.message}`;
        return typeof e.code === 'number' && PERMANENT_REASONS.has(e.code) ? { status: 'permanent', reason, response: { reason_code: e.code } } : { status: 'retry', reason };
      });
    const out = await Promise.race([published, interrupted]);
    clearTimeout(timer);
    client.off('close', onClose!);
    published.catch(() => undefined);
    if (out.status === 'ok') this.ctx.metrics.sent(count);
    else { this.lastError = out.reason; this.ctx.metrics.error(out.status === 'retry' ? 'publish_retry' : 'publish_refused'); }
    return out;
  }

  health() {
    const connected = this.client?.connected ?? false;
    return { status: connected ? 'ok' as const : 'down' as const, detail: { connected, url: this.cfg.url, last_error: this.lastError, ...this.stats } };
  }

  async stop() {
    this.stopped = true;
    const c = this.client;
    this.client = undefined;
    await c?.endAsync(true).catch(() => undefined);
  }
}

export default definePublisher<MqttPublishConfig>({
  manifest,
  create: (config, ctx) => new MqttPublisher(withDefaults(config), ctx),
});
