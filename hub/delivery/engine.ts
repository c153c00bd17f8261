// The delivery engine: builds each target's batches from the outbox (one loop, both drivers) and hands sending to
// the configured driver (embedded, or BullMQ on Redis). Also what the API and CLI use: status, pause/resume,
// dead letters, replay. See docs/publishing.md for the guarantees.
import type { Logger } from 'pino';
import type { SqlDriver } from '../store/driver.ts';
import type { RegistryService } from '../registry/service.ts';
import type { HubMetrics } from '../metrics.ts';
import type { PublisherContext } from '../sdk/publisher.ts';
import { LifelineError } from '../sdk/errors.ts';
import { STREAM_TOPIC, type PublishSettings, type TargetSpec } from './targets.ts';
import type { Target } from './deliver.ts';
import { OutboxHorizon } from './horizon.ts';
import { buildBatches, ensureTargets, targetStatus, setPaused, deadLetters, replayDead, pruneDone, pruneOutbox, type DeadLetterRow } from './store.ts';
import { embeddedDriver, type Driver } from './embedded.ts';
import { Waker } from './wait.ts';
import { targetStatusOf, type TargetStatus } from './status.ts';
import { createHistoryReader } from './history.ts';
import { targetHealth, type StoredState, type TargetHealth } from './health.ts';
import type { AlarmLevel } from '../alarms/present.ts';

export interface EngineDeps {
  db: SqlDriver;
  registry: RegistryService;
  metrics: HubMetrics;
  logger: Logger;
  clock: { now(): number };
  /** Alarm level names and colours and the hub zone, for targets with stream: alarms. */
  alarms?: { levels: AlarmLevel[]; zone: string };
}

export type { TargetStatus } from './status.ts';

export interface DeliveryEngine {
  driver: PublishSettings['driver'];
  targets(): string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<TargetStatus[]>;
  /** Each target ok, or degraded with why (health.ts). In memory: cheap enough for /health, never waits on the store. */
  health(): TargetHealth[];
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  deadLetters(name: string, afterId?: string, limit?: number): Promise<DeadLetterRow[]>;
  replay(name: string, ids: string[] | 'all'): Promise<string[]>;
  /** Build batches now instead of at the next poll (tests, after a big ingest). */
  wake(): void;
}

export async function createDelivery(s: PublishSettings, d: EngineDeps): Promise<DeliveryEngine> {
  const abort = new AbortController();
  const logger = d.logger.child({ component: 'publish' });
  // For targets that answer upstream requests for past data (HJ 212 补传).
  const history = createHistoryReader(d.db, { domainOf: (i) => d.registry.registry.catalogue.get(i)?.domain });
  const targets: Target[] = [];
  for (const spec of s.targets) {
    const event = (event: string, n: number, errorType = '') => d.metrics.adapterEvents.inc({ adapter: `publish.${spec.name}`, event, error_type: errorType }, n);
    const ctx: PublisherContext = {
      name: spec.name,
      logger: logger.child({ target: spec.name }),
      metrics: { received: (n = 1) => event('received', n), sent: (n = 1) => event('sent', n), error: (t, n = 1) => event('error', n, t), dropped: (n = 1) => event('dropped', n) },
      signal: abort.signal,
      clock: d.clock,
      history,
    };
    targets.push({ spec, publisher: await spec.def.create(spec.config as never, ctx) });
  }
  const byName = new Map(targets.map((t) => [t.spec.name, t]));
  const active = targets.filter((t) => t.spec.enabled);
  const deps = { db: d.db, registry: d.registry, metrics: d.metrics, logger, notify: { levels: d.alarms?.levels ?? [], zone: d.alarms?.zone ?? 'UTC', clock: d.clock } };
  let driver: Driver | undefined;
  const horizon = new OutboxHorizon(d.db);
  const builderWaker = new Waker();
  const caughtUp = new Map<string, string>(); // target → the horizon its cursor already reached
  const loops: Promise<void>[] = [];
  const deliveredBase = new Map<string, number>();
  let stored = new Map<string, StoredState>(); // the store's view of each target, refreshed with the gauges

  const need = (name: string): Target => {
    const t = byName.get(name);
    if (!t) throw new LifelineError('PUBLISH_TARGET_NOT_FOUND', `no publish target "${name}" (configured: ${[...byName.keys()].join(', ') || 'none'})`, { details: { target: name } });
    return t;
  };

  async function buildLoop(): Promise<void> {
    while (!abort.signal.aborted) {
      let busy = false;
      try {
        const safe = await horizon.safeMax();
        for (const t of active) {
          if (caughtUp.get(t.spec.name) === safe) continue; // idle: nothing new below the horizon
          for (let i = 0; i < 20 && !abort.signal.aborted; i++) {
            const r = await buildBatches(d.db, t.spec, d.registry.registry, safe);
            if (r.caughtUp) caughtUp.set(t.spec.name, safe); else caughtUp.delete(t.spec.name);
            if (r.batches) driver!.built(t.spec.name);
            if (r.caughtUp || r.waitMs > 0) break;
            busy = true;
          }
        }
      } catch (e) {
        if (abort.signal.aborted) break;
        logger.error({ err: e }, 'building publish batches failed; retrying');
        await builderWaker.sleep(1000, abort.signal);
      }
      if (!busy) await builderWaker.sleep(s.pollMs, abort.signal);
    }
  }

  async function refreshGauges(): Promise<void> {
    const all = await status();
    stored = new Map(all.map((st) => [st.name, st]));
    for (const st of all) {
      const l = { target: st.name };
      d.metrics.publishBacklog.set(l, st.backlog);
      d.metrics.publishLag.set(l, st.lag_seconds);
      d.metrics.publishDeadLetters.set(l, st.dead_letters);
      d.metrics.publishPaused.set(l, st.state === 'paused' ? 1 : 0);
    }
  }

  async function maintenance(): Promise<void> {
    const w = new Waker();
    let pruned = 0;
    while (!abort.signal.aborted) {
      try {
        await refreshGauges();
        if (Date.now() - pruned > 600_000) { await pruneDone(d.db); pruned = Date.now(); }
      } catch (e) { if (!abort.signal.aborted) logger.warn({ err: e }, 'publish status refresh failed'); }
      await w.sleep(2000, abort.signal);
    }
  }

  // The outbox is a change feed, not the record (observations are): entries every target has read go after a while,
  // and with no targets at all they would otherwise pile up for ever.
  async function pruneLoop(): Promise<void> {
    const w = new Waker();
    await w.sleep(5000, abort.signal);
    while (!abort.signal.aborted) {
      try {
        const n = await pruneOutbox(d.db, [...byName.keys()], s.outboxRetentionH * 3600);
        if (n) logger.info({ deleted: n, retention_h: s.outboxRetentionH }, 'outbox entries read by every target pruned');
      } catch (e) { if (!abort.signal.aborted) logger.warn({ err: e }, 'outbox pruning failed; trying again later'); }
      await w.sleep(60_000, abort.signal);
    }
  }

  async function status(): Promise<TargetStatus[]> {
    const rows = await targetStatus(d.db, [...byName.keys()], [...byName.values()].map((t) => STREAM_TOPIC[t.spec.stream]));
    const deliveredNow = async (name: string) => {
      const v = (await d.metrics.publishDelivered.get()).values.find((x) => x.labels.target === name)?.value ?? 0;
      return v - (deliveredBase.get(name) ?? 0);
    };
    const out: TargetStatus[] = [];
    for (const r of rows) out.push(targetStatusOf(r, byName.get(r.target)!.spec, await deliveredNow(r.target)));
    return out;
  }

  return {
    driver: s.driver,
    targets: () => [...byName.keys()],
    async start() {
      if (s.outboxRetentionH > 0) loops.push(pruneLoop());
      if (!targets.length) return;
      await ensureTargets(d.db, targets.map((t) => ({ name: t.spec.name, start: t.spec.start })));
      for (const v of (await d.metrics.publishDelivered.get()).values) deliveredBase.set(String(v.labels.target), v.value);
      for (const t of targets) await t.publisher.start();
      if (s.driver === 'bullmq') {
        const { bullmqDriver } = await import('./bullmq.ts');
        driver = bullmqDriver(deps, active, { redisUrl: s.redisUrl!, prefix: s.keyPrefix, pollMs: s.pollMs });
      } else driver = embeddedDriver(deps, active, s.pollMs);
      await driver.start();
      loops.push(buildLoop(), maintenance());
      logger.info({ driver: s.driver, targets: [...byName.keys()] }, 'publishing started');
    },
    async stop() {
      if (abort.signal.aborted) return;
      abort.abort();
      builderWaker.wake();
      await driver?.stop();
      await Promise.all(loops);
      for (const t of targets) await t.publisher.stop().catch((e) => logger.error({ err: e, target: t.spec.name }, 'publisher stop failed'));
    },
    status,
    health: () => targets.map((t) => targetHealth(t.spec.name, t.failing, stored.get(t.spec.name))),
    async pause(name) { need(name); await setPaused(d.db, name, true); driver?.poke(name); },
    async resume(name) { need(name); await setPaused(d.db, name, false); driver?.poke(name); },
    async deadLetters(name, afterId, limit = 100) { need(name); return deadLetters(d.db, name, afterId, limit); },
    async replay(name, ids) {
      need(name);
      const done = await replayDead(d.db, name, ids);
      if (ids !== 'all' && done.length !== ids.length) {
        if (!done.length) throw new LifelineError('PUBLISH_DEAD_LETTER_NOT_FOUND', `target "${name}" has no dead-lettered batch ${ids.join(', ')}`, { details: { target: name, ids } });
      }
      driver?.poke(name);
      return done;
    },
    wake: () => builderWaker.wake(),
  };
}

export type { TargetSpec };
