// One OPC UA server: client, session, subscription and monitored items, supervised. node-opcua repairs a lost
// channel on its own (its reconnection retries forever); the adapter supervises the rest: the first connection
// (retried with backoff, each failure kept for health), a fresh subscription after every reconnection (browse paths
// re-resolved, items re-created), retries of items that could not be monitored, and a full rebuild when the session
// or subscription is gone.
import {
  OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, TimestampsToReturn, DataChangeFilter, DataChangeTrigger,
  DeadbandType, UserTokenType, makeBrowsePath, coerceNodeId, StatusCodes,
  type ClientSession, type ClientSubscription, type ClientMonitoredItemBase, type DataValue, type UserIdentityInfo,
  type OPCUACertificateManager, type MonitoringParametersOptions, type ReadValueIdOptions,
} from 'node-opcua';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { truncateText, type AdapterContext, type SourceReading, type RejectedInput } from '../../hub/sdk/index.ts';
import type { EndpointConfig, ItemConfig, OpcUaConfig } from './manifest.ts';
import { qualifyBrowsePath } from './browse-path.ts';
import { toReading } from './map.ts';
import { describeError, type ErrorInfo } from './errors.ts';
import { dropRejectedCopiesOfTrusted } from './pki.ts';

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

interface ItemState {
  cfg: ItemConfig;
  /** NodeId it is monitored under (resolved from browse_path / nsu=). */
  nodeId?: string;
  status: 'pending' | 'monitored' | 'unresolved';
  reason?: string;
  /** A value of an unsupported type was quarantined for this item since it was (re)monitored. */
  quarantined?: boolean;
}

const MAX_PER_CALL = 1000;
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((r) => {
  if (signal.aborted) return r();
  const t = setTimeout(() => { signal.removeEventListener('abort', done); r(); }, ms);
  const done = () => { clearTimeout(t); r(); };
  signal.addEventListener('abort', done, { once: true });
});

export class Endpoint {
  state: State = 'idle';
  lastError?: ErrorInfo & { at: string };
  outageStart?: number;
  connectedSince?: number;
  reconnections = 0;
  values = 0;
  private items: ItemState[];
  private client?: OPCUAClient;
  private session?: ClientSession;
  private subscription?: ClientSubscription;
  private byMonitored = new Map<ClientMonitoredItemBase, ItemState>();
  private abort = new AbortController();
  private loop?: Promise<void>;
  /** Resolves the current "connected" phase when something needs a full rebuild. */
  private wake?: (why: string) => void;
  private rebuilding?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private pending: SourceReading[] = [];
  private flushScheduled = false;
  private readonly own: { file: string; thumbprint: string };

  constructor(
    readonly cfg: EndpointConfig,
    private readonly opts: OpcUaConfig,
    private readonly ctx: AdapterContext,
    private readonly cm: OPCUACertificateManager,
    private readonly ownCertificateFile: string,
    private readonly sink: (batch: SourceReading[]) => void,
    private readonly quarantine: (input: RejectedInput) => void = () => undefined,
  ) {
    this.items = cfg.items.map((cfg) => ({ cfg, status: 'pending' }));
    this.own = { file: ownCertificateFile, thumbprint: new X509Certificate(readFileSync(ownCertificateFile)).fingerprint.replace(/:/g, '').toLowerCase() };
  }

  start(): void { this.loop ??= this.run(); }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.abort.abort();
    this.wake?.('stopping');
    clearInterval(this.retryTimer);
    await this.teardown(); // also makes a connect() in progress fail at once
    await this.loop?.catch(() => undefined);
    await this.teardown();
  }

  private async run(): Promise<void> {
    let delay = this.opts.reconnect_initial_delay_ms;
    let first = true;
    let rescanPki = false;
    while (!this.abort.signal.aborted) {
      this.state = first ? 'connecting' : 'reconnecting';
      try {
        // Trusting the server is done in another process (`lifeline opcua pki trust` moves its certificate): the PKI
        // folders are read again right before the next try, not right after the failure: a trust made while the
        // endpoint waited (its backoff reaches reconnect_max_delay_ms) is then seen, whether or not the file watchers,
        // which a busy machine can delay, reported it. A rejected copy of a trusted certificate goes first (pki.ts).
        if (rescanPki) {
          rescanPki = false;
          let dropped: string[] = [];
          try { dropped = dropRejectedCopiesOfTrusted(this.cm.rootDir); } catch (e) { this.ctx.logger.warn({ endpoint: this.cfg.key, err: e }, 'OPC UA PKI: could not look for rejected copies of trusted certificates'); }
          if (dropped.length) this.ctx.logger.info({ endpoint: this.cfg.key, thumbprints: dropped }, 'OPC UA PKI: rejected copies of trusted certificates removed');
          await this.cm.reloadCertificates().catch(() => undefined);
        }
        await this.connect();
        delay = this.opts.reconnect_initial_delay_ms;
        if (!first) this.reconnections++;
        first = false;
        const why = await new Promise<string>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
        if (this.abort.signal.aborted) break;
        this.ctx.logger.warn({ endpoint: this.cfg.key, why }, 'OPC UA session lost: rebuilding');
        this.markOutage({ code: 'OPCUA_CONNECT_FAILED', message: why });
      } catch (e) {
        if (this.abort.signal.aborted) break;
        const info = describeError(e, this.own);
        this.markOutage(info);
        this.ctx.metrics.error(info.code.toLowerCase());
        this.ctx.logger.warn({ endpoint: this.cfg.key, url: this.cfg.url, code: info.code, err: info.message }, 'OPC UA connection failed');
        if (info.code === 'OPCUA_SERVER_CERT_UNTRUSTED') rescanPki = true;
      }
      first = false;
      await this.teardown();
      await sleep(delay, this.abort.signal);
      delay = Math.min(delay * 2, this.opts.reconnect_max_delay_ms);
    }
  }

  private markOutage(info: ErrorInfo): void {
    this.lastError = { ...info, at: new Date(this.ctx.clock.now()).toISOString() };
    this.outageStart ??= this.ctx.clock.now();
    this.connectedSince = undefined;
    if (this.state !== 'stopped') this.state = 'reconnecting';
  }

  private identity(): UserIdentityInfo {
    const a = this.cfg.auth;
    if (a?.type === 'username') return { type: UserTokenType.UserName, userName: a.username ?? '', password: a.password ?? '' };
    if (a?.type === 'certificate') {
      const pem = readFileSync(a.certificate!, 'utf8');
      const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      return { type: UserTokenType.Certificate, certificateData: der, privateKey: readFileSync(a.private_key!, 'utf8') } as UserIdentityInfo;
    }
    return { type: UserTokenType.Anonymous };
  }

  private async connect(): Promise<void> {
    const o = this.opts;
    const client = OPCUAClient.create({
      applicationName: o.application_name, applicationUri: o.application_uri,
      clientCertificateManager: this.cm, certificateFile: this.ownCertificateFile,
      securityMode: MessageSecurityMode[this.cfg.security_mode], securityPolicy: SecurityPolicy[this.cfg.security_policy],
      endpointMustExist: false, keepSessionAlive: true, requestedSessionTimeout: o.session_timeout_ms,
      defaultTransactionTimeout: o.request_timeout_ms, transportTimeout: o.request_timeout_ms,
      // One try per connect() here (the loop above retries with backoff and keeps each error for health); once
      // connected, node-opcua's own reconnection takes over a lost channel and retries without limit.
      connectionStrategy: { maxRetry: 1, initialDelay: o.reconnect_initial_delay_ms, maxDelay: o.reconnect_max_delay_ms },
      clientName: `lifeline-${this.cfg.key}`,
    });
    this.client = client;
    client.on('connection_lost', () => {
      if (this.state === 'stopped') return;
      this.ctx.logger.warn({ endpoint: this.cfg.key }, 'OPC UA connection lost: reconnecting');
      this.markOutage({ code: 'OPCUA_CONNECT_FAILED', message: 'connection lost; reconnecting' });
    });
    client.on('reconnection_attempt_has_failed', (err: Error) => {
      if (this.state === 'stopped') return;
      this.lastError = { ...describeError(err, this.own), at: new Date(this.ctx.clock.now()).toISOString() };
    });
    client.on('connection_reestablished', () => {
      if (this.state === 'stopped' || client !== this.client) return;
      // The channel (and maybe the session) is back; rebuild the subscription ourselves: NodeIds may have changed.
      void this.rebuildSubscription('reconnected');
    });
    await client.connect(this.cfg.url);
    if (this.abort.signal.aborted) return;
    const session = await client.createSession(this.identity());
    this.session = session;
    session.on('session_closed', () => this.wake?.('session closed by the server'));
    await this.rebuildSubscription('connected');
  }

  private async rebuildSubscription(why: string): Promise<void> {
    if (this.rebuilding) return this.rebuilding;
    this.rebuilding = (async () => {
      try {
        await this.createSubscription();
        if (why === 'reconnected') this.reconnections++;
        this.state = 'connected';
        this.connectedSince = this.ctx.clock.now();
        this.outageStart = undefined;
        this.ctx.logger.info({ endpoint: this.cfg.key, why, monitored: this.items.filter((i) => i.status === 'monitored').length }, 'OPC UA subscription ready');
        clearInterval(this.retryTimer);
        this.retryTimer = setInterval(() => void this.retryUnresolved(), this.opts.retry_unresolved_s * 1000);
        this.retryTimer.unref();
      } catch (e) {
        if (why === 'connected') throw e;
        this.wake?.(`subscription could not be re-created: ${(e as Error).message}`);
      } finally { this.rebuilding = undefined; }
    })();
    return this.rebuilding;
  }

  private async createSubscription(): Promise<void> {
    const session = this.session!;
    const old = this.subscription;
    this.subscription = undefined;
    this.byMonitored.clear();
    if (old) await old.terminate().catch(() => undefined);
    const sub = await session.createSubscription2({
      requestedPublishingInterval: this.cfg.publishing_interval_ms, requestedLifetimeCount: 100, requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 1,
    });
    this.subscription = sub;
    sub.on('terminated', () => { if (this.subscription === sub) this.wake?.('subscription terminated'); });
    for (const it of this.items) { it.status = 'pending'; it.reason = undefined; it.nodeId = undefined; it.quarantined = false; }
    await this.monitor(this.items);
  }

  private async retryUnresolved(): Promise<void> {
    const todo = this.items.filter((i) => i.status === 'unresolved');
    if (!todo.length || this.state !== 'connected' || this.rebuilding) return;
    try { await this.monitor(todo); } catch (e) { this.ctx.logger.warn({ endpoint: this.cfg.key, err: (e as Error).message }, 'retrying unresolved items failed'); }
  }

  /** Resolve NodeIds (browse paths, nsu=) and create monitored items, grouped by their parameters. */
  private async monitor(items: ItemState[]): Promise<void> {
    const session = this.session!;
    const sub = this.subscription!;
    const nsArray = await session.readNamespaceArray();
    const nsIndex = (uri: string) => nsArray.indexOf(uri);
    const defaultNs = typeof this.cfg.namespace === 'number' ? this.cfg.namespace
      : typeof this.cfg.namespace === 'string' ? nsIndex(this.cfg.namespace) : 1;
    // 1. NodeIds
    const byPath: ItemState[] = [];
    for (const it of items) {
      if (it.cfg.node_id) {
        const m = /^nsu=([^;]+);(.*)$/.exec(it.cfg.node_id);
        if (m) {
          const ix = nsIndex(m[1]!);
          if (ix < 0) { this.unresolved(it, `BadNamespaceUnknown: the server has no namespace ${m[1]}`); continue; }
          it.nodeId = `ns=${ix};${m[2]}`;
        } else it.nodeId = it.cfg.node_id;
        try { coerceNodeId(it.nodeId); } catch { this.unresolved(it, `BadNodeIdInvalid: ${it.cfg.node_id}`); }
      } else if (it.cfg.browse_path) {
        if (defaultNs < 0) { this.unresolved(it, `BadNamespaceUnknown: the server has no namespace ${this.cfg.namespace}`); continue; }
        byPath.push(it);
      } else this.unresolved(it, 'neither node_id nor browse_path given');
    }
    for (let i = 0; i < byPath.length; i += MAX_PER_CALL) {
      const chunk = byPath.slice(i, i + MAX_PER_CALL);
      const paths = chunk.map((it) => {
        try { return makeBrowsePath('RootFolder', qualifyBrowsePath(it.cfg.browse_path!, defaultNs)); } catch { return undefined; }
      });
      const ok = chunk.filter((_, k) => paths[k]);
      chunk.forEach((it, k) => { if (!paths[k]) this.unresolved(it, `BadBrowseNameInvalid: cannot parse ${it.cfg.browse_path}`); });
      const results = ok.length ? await session.translateBrowsePath(paths.filter((p) => p) as never[]) : [];
      ok.forEach((it, k) => {
        const r = results[k]!;
        const target = r.targets?.[0]?.targetId;
        if (r.statusCode.isGood() && target) it.nodeId = target.toString();
        else this.unresolved(it, `${r.statusCode.name}: browse path ${it.cfg.browse_path} not found`);
      });
    }
    // 2. Monitored items, one CreateMonitoredItems call per parameter set (and per MAX_PER_CALL items).
    const groups = new Map<string, ItemState[]>();
    for (const it of items) {
      if (!it.nodeId || it.status === 'unresolved') continue;
      const k = JSON.stringify([it.cfg.sampling_interval_ms ?? this.cfg.sampling_interval_ms, it.cfg.queue_size ?? this.cfg.queue_size, it.cfg.deadband ?? null]);
      groups.set(k, [...(groups.get(k) ?? []), it]);
    }
    for (const [key, list] of groups) {
      const [sampling, queue, deadband] = JSON.parse(key) as [number, number, ItemConfig['deadband'] | null];
      const params: MonitoringParametersOptions = { samplingInterval: sampling, queueSize: queue, discardOldest: true };
      if (deadband) {
        params.filter = new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: deadband.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute, deadbandValue: deadband.value,
        });
      }
      for (let i = 0; i < list.length; i += MAX_PER_CALL) {
        const chunk = list.slice(i, i + MAX_PER_CALL);
        const toMonitor: ReadValueIdOptions[] = chunk.map((it) => ({ nodeId: it.nodeId!, attributeId: AttributeIds.Value }));
        const group = await sub.monitorItems(toMonitor, params, TimestampsToReturn.Both);
        group.monitoredItems.forEach((mi, k) => {
          const it = chunk[k]!;
          if (mi.statusCode && mi.statusCode.isNotGood()) { this.unresolved(it, `${mi.statusCode.name}: ${it.nodeId}`); return; }
          it.status = 'monitored'; it.reason = undefined;
          this.byMonitored.set(mi, it);
        });
        group.on('changed', (mi: ClientMonitoredItemBase, dv: DataValue) => this.onValue(mi, dv));
      }
    }
  }

  private unresolved(it: ItemState, reason: string): void {
    if (it.status !== 'unresolved' || it.reason !== reason) this.ctx.logger.warn({ endpoint: this.cfg.key, item: it.cfg.name, reason }, 'OPC UA item not monitored');
    it.status = 'unresolved';
    it.reason = reason;
  }

  /** node-opcua calls this from an event: whatever goes wrong with one value is logged and counted, never thrown. */
  private onValue(mi: ClientMonitoredItemBase, dv: DataValue): void {
    try {
      this.handleValue(mi, dv);
    } catch (e) {
      this.ctx.metrics.error('value_failed');
      this.ctx.metrics.dropped();
      this.ctx.logger.error({ endpoint: this.cfg.key, err: e }, 'an OPC UA value could not be handled; dropped');
    }
  }

  private handleValue(mi: ClientMonitoredItemBase, dv: DataValue): void {
    const it = this.byMonitored.get(mi);
    if (!it) return;
    this.ctx.metrics.received();
    const sc = dv.statusCode;
    if (sc && (sc.value === StatusCodes.BadNodeIdUnknown.value || sc.value === StatusCodes.BadNodeIdInvalid.value)) {
      // The node is gone from the server: not a measurement; shown in health and retried.
      this.byMonitored.delete(mi);
      this.unresolved(it, `${sc.name}: ${it.nodeId}`);
      this.ctx.metrics.dropped();
      return;
    }
    const r = toReading({ field: it.cfg.name, key: this.cfg.key, device: it.cfg.device }, dv, this.ctx.clock.now());
    if ('unsupported' in r) {
      this.ctx.metrics.error('unsupported_type');
      this.ctx.metrics.dropped();
      if (!it.quarantined) { // the first one per item and subscription goes to quarantine, so it is seen; the rest are counted
        it.quarantined = true;
        const raw = dv.value?.value;
        this.quarantine({
          reason: 'OPCUA_VALUE_UNSUPPORTED', field: '/value',
          message: `item ${it.cfg.name} (${it.nodeId}) sent a ${r.unsupported} value; only numbers and booleans become readings (further values of this item are dropped and counted)`,
          record: { endpoint: this.cfg.key, item: it.cfg.name, node_id: it.nodeId, type: r.unsupported, value: stringifyForEvidence(raw), status: dv.statusCode?.name, source_timestamp: dv.sourceTimestamp?.toISOString() ?? null },
        });
      }
      return;
    }
    this.values++;
    this.pending.push(r.reading);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => { this.flushScheduled = false; const b = this.pending; this.pending = []; if (b.length) this.sink(b); });
    }
  }

  private async teardown(): Promise<void> {
    clearInterval(this.retryTimer);
    const client = this.client, session = this.session, sub = this.subscription;
    this.client = undefined; this.session = undefined; this.subscription = undefined;
    this.byMonitored.clear();
    if (sub) await withTimeout(sub.terminate(), 2000).catch(() => undefined);
    if (session) await withTimeout(session.close(), 2000).catch(() => undefined);
    if (client) await withTimeout(client.disconnect(), 3000).catch(() => undefined);
  }

  health() {
    const unresolved = this.items.filter((i) => i.status === 'unresolved');
    return {
      key: this.cfg.key, url: this.cfg.url, security: `${this.cfg.security_mode}/${this.cfg.security_policy}`,
      state: this.state,
      ...(this.connectedSince ? { connected_since: new Date(this.connectedSince).toISOString() } : {}),
      ...(this.outageStart ? { outage_start: new Date(this.outageStart).toISOString() } : {}),
      ...(this.lastError ? { last_error: this.lastError } : {}),
      reconnections: this.reconnections,
      values: this.values,
      items: { configured: this.items.length, monitored: this.items.filter((i) => i.status === 'monitored').length, unresolved: unresolved.length },
      ...(unresolved.length ? { unresolved: unresolved.slice(0, 50).map((i) => ({ name: i.cfg.name, code: 'OPCUA_ITEM_UNRESOLVED', ...(i.cfg.node_id ? { node_id: i.cfg.node_id } : { browse_path: i.cfg.browse_path }), reason: i.reason })) } : {}),
    };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<undefined>((r) => { t = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(t));
}

/** A value as evidence for the quarantine: JSON (bigint as text) cut to 200 characters; never throws. */
function stringifyForEvidence(raw: unknown): string | null {
  let text: string | undefined;
  try { text = JSON.stringify(raw, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)); } catch { text = String(raw); }
  return text === undefined ? null : truncateText(text, 200, '…');
}
