// One delivery attempt of a target's head batch, the same for both drivers: load the batch's observations (in
// time order), call the publisher, record the outcome in the store (done / retry at next_at / dead).
import type { Logger } from 'pino';
import type { SqlDriver } from '../store/driver.ts';
import type { RegistryService } from '../registry/service.ts';
import type { HubMetrics } from '../metrics.ts';
import type { AlarmNotice, PublisherInstance, PublishOutcome } from '../sdk/publisher.ts';
import { COLUMNS, type StoredObservationRow } from '../store/observations.ts';
import { byIdsWhere } from '../store/time-span.ts';
import { presentObservation } from '../api/present.ts';
import { backoffMs, type TargetSpec } from './targets.ts';
import { markDead, markDone, markRetry, nextBatch, type BatchRow } from './store.ts';
import type { Observation } from '../../schemas/generated/types.ts';
import { noteOutcome, type FailureStreak } from './health.ts';
import { loadNotifications, templateVars } from '../alarms/notify.ts';
import type { AlarmLevel } from '../alarms/present.ts';

export interface DeliverDeps {
  db: SqlDriver;
  registry: RegistryService;
  metrics: HubMetrics;
  logger: Logger;
  /** For targets with stream: alarms: level names and colours, the hub zone (template times), the hub clock (overdue). */
  notify?: { levels: AlarmLevel[]; zone: string; clock: { now(): number } };
}

export interface Target {
  spec: TargetSpec;
  publisher: PublisherInstance;
  /** The next batch's contents, read while the current one is being sent. */
  prefetch?: { id: string; observations: Promise<Contents | undefined> };
  /** Failed attempts since the last delivery that got through (health.ts); undefined while delivering fine. */
  failing?: FailureStreak;
}

export type AttemptResult = 'done' | 'retry' | 'dead' | 'stale';
/** What the store said comes next, read in the same round trip as marking a batch done. */
export type Next = { paused: boolean; head?: BatchRow };

/** Observations of a batch as the API shows them, ordered by time (so by time within each point). */
export async function loadBatch(d: DeliverDeps, b: Pick<BatchRow, 'ids' | 'lo' | 'hi'>) {
  const params: unknown[] = [b.ids];
  const span = b.lo !== null && b.hi !== null ? { lo: b.lo, hi: b.hi } : undefined;
  const rows = (await d.db.query<StoredObservationRow>(`SELECT ${COLUMNS} FROM observation WHERE ${byIdsWhere('$1', span, params)} ORDER BY observation.time, observation.id`, params)).rows;
  const reg = d.registry.registry;
  return rows.map((r) => presentObservation(r, reg));
}

type Contents = { observations: Observation[]; alarms?: AlarmNotice[] };

/** A batch's contents for its target: observations, or (stream: alarms) the alarm events as notices. */
async function contents(d: DeliverDeps, spec: TargetSpec, b: Pick<BatchRow, 'ids' | 'lo' | 'hi'>): Promise<Contents> {
  if (spec.stream !== 'alarms') return { observations: await loadBatch(d, b) };
  const n = d.notify ?? { levels: [], zone: 'UTC', clock: { now: () => Date.now() } };
  const reg = d.registry.registry;
  const list = await loadNotifications(d.db, b.ids, { registry: reg, levels: n.levels, zone: n.zone, nowMs: n.clock.now() });
  const tpl = spec.alarms.template;
  return { observations: [], alarms: list.map((x) => (tpl ? { notification: x, body: tpl(templateVars(x, reg, n.levels, n.zone)) } : { notification: x })) };
}

export async function attempt(d: DeliverDeps, t: Target, b: BatchRow, onNext?: (n: Next) => void): Promise<AttemptResult> {
  const { spec } = t;
  const pre = t.prefetch?.id === b.id ? await t.prefetch.observations : undefined;
  const got = pre ?? await contents(d, spec, b);
  const { observations, alarms } = got;
  const size = alarms ? alarms.length : observations.length;
  // Read the next batch while this one travels (hides a store round trip per batch).
  t.prefetch = { id: '', observations: Promise.resolve(undefined) };
  const slot = t.prefetch;
  slot.observations = nextBatch(d.db, spec.name, b.id).then(async (n) => {
    if (!n) return undefined;
    slot.id = n.id;
    return contents(d, spec, n);
  }).catch(() => undefined);
  let outcome: PublishOutcome;
  const started = performance.now();
  if (!size) outcome = { status: 'ok' }; // every observation of it was deleted meanwhile: nothing to send
  else {
    try {
      outcome = await t.publisher.send({ idempotencyKey: b.idempotency_key, attempt: b.attempt + 1, observations, ...(alarms ? { alarms } : {}) });
    } catch (e) {
      // A publisher that throws instead of classifying: treat as retryable unless it says it is permanent.
      const err = e as { retryable?: boolean; retryAfterMs?: number; message?: string };
      outcome = err.retryable === false ? { status: 'permanent', reason: err.message ?? String(e) } : { status: 'retry', reason: err.message ?? String(e), retryAfterMs: err.retryAfterMs };
    }
  }
  const m = d.metrics;
  m.publishAttempts.inc({ target: spec.name, outcome: outcome.status });
  m.publishSendSeconds.observe({ target: spec.name }, (performance.now() - started) / 1000);
  const attemptNo = b.attempt + 1;
  const dead = outcome.status === 'permanent' || (outcome.status === 'retry' && attemptNo >= spec.retry.maxAttempts);
  t.failing = noteOutcome(t.failing, outcome.status === 'ok' ? { ok: true } : { ok: false, dead, error: outcome.reason }, Date.now(), d.logger, spec.name);
  if (outcome.status === 'ok') {
    const { updated, next } = await markDone(d.db, b);
    if (!updated) return 'stale';
    onNext?.(next);
    m.publishDelivered.inc({ target: spec.name }, size);
    return 'done';
  }
  if (dead) {
    const reason = outcome.status === 'permanent' ? outcome.reason : `gave up after ${attemptNo} attempts; last: ${outcome.reason}`;
    if (!(await markDead(d.db, b, reason, outcome.status === 'permanent' ? outcome.response : undefined))) return 'stale';
    m.publishDeadLettered.inc({ target: spec.name });
    d.logger.warn({ target: spec.name, batch: b.id, idempotency_key: b.idempotency_key, attempts: attemptNo, reason }, 'batch dead-lettered');
    return 'dead';
  }
  const delay = backoffMs(spec.retry, attemptNo, outcome.status === 'retry' ? outcome.retryAfterMs : undefined);
  if (!(await markRetry(d.db, b, outcome.reason, delay))) return 'stale';
  // A warning, not info: an upstream that does not take data is what an operator must see (and /health says degraded).
  d.logger.warn({ target: spec.name, batch: b.id, attempt: attemptNo, retry_in_ms: delay, reason: outcome.reason }, 'delivery failed; will retry');
  return 'retry';
}
