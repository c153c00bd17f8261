// The publisher contract (push upstream). Same shape as adapters; the delivery engine that drives it
// (outbox → batches → retries/backoff → dead-letter) is built on this in the publishing work.
import type { AlarmNotification, Observation, ObservationKind } from '../../schemas/generated/types.ts';
import type { AdapterLogger, AdapterMetrics, AdapterHealth, AdapterStability } from './adapter.ts';
import type { CliCommand } from './cli.ts';

/** @category Publisher */
export interface PublisherManifest {
  /** snake_case target noun: `hj212_upstream`, `http_push`, `mqtt_publish`. */
  id: string;
  version: string;
  title: string;
  description: string;
  stability: AdapterStability;
  configSchema: Record<string, unknown>;
  /** Commands this publisher adds to the `lifeline` CLI (see CliCommand). */
  commands?: CliCommand[];
  /**
   * What it can carry (a target's `stream`): observations, and alarm events when it handles `PublishBatch.alarms`.
   * Absent: observations only (a target with stream: alarms is refused at start).
   */
  streams?: Array<'observations' | 'alarms'>;
}

/**
 * One alarm event for a target with stream: alarms: the standard notification, and `body` when the target has a
 * template (alarms.template): the JSON to send instead, as is (such a batch holds one notice).
 * @category Publisher
 */
export interface AlarmNotice {
  notification: AlarmNotification;
  body?: unknown;
}

/** One delivery attempt's batch, in observation-time order per point. @category Publisher */
export interface PublishBatch {
  /** Stable across retries of the same batch: targets that dedupe use it as the idempotency key. */
  idempotencyKey: string;
  attempt: number;
  /** Empty for a target with stream: alarms. */
  observations: Observation[];
  /** Alarm events, in order (stream: alarms only). */
  alarms?: AlarmNotice[];
}

/**
 * Result of send(): `ok`, or an error classified as retryable (backoff, honour retryAfterMs) or
 * permanent (dead-letter with the reason).
 * @category Publisher
 */
export type PublishOutcome =
  | { status: 'ok' }
  | { status: 'retry'; reason: string; retryAfterMs?: number }
  | { status: 'permanent'; reason: string; response?: unknown };

/**
 * What a history read selects: one kind, a time range, optionally narrowed by registry codes (an absent
 * list does not filter; several lists must all match).
 * @category Publisher
 */
export interface HistoryQuery {
  /** Site codes. */
  sites?: string[];
  /** Device codes. */
  devices?: string[];
  /** Point codes. */
  points?: string[];
  /** Indicator codes (`gas.pressure`). */
  indicators?: string[];
  kind: ObservationKind;
  /** Inclusive start (observation time). */
  from: Date;
  /** Inclusive end: an upstream platform's EndTime names the last record it wants. */
  to: Date;
  /** Observations per yielded page (default 500). */
  pageSize?: number;
}

/**
 * Read-only access to stored observations, for targets that answer an upstream platform's requests for
 * historical data (HJ 212 补传). Pages come in (time, id) order; the next page is read only when the
 * previous one was consumed (keyset pagination, so a long range never sits in memory at once).
 * @category Publisher
 */
export interface HistoryReader {
  read(q: HistoryQuery): AsyncIterable<Observation[]>;
}

/** @category Publisher */
export interface PublisherContext {
  name: string;
  logger: AdapterLogger;
  metrics: AdapterMetrics;
  signal: AbortSignal;
  clock: { now(): number };
  /** The store's observations, when the hub provides them to this publisher (absent: history unavailable). */
  history?: HistoryReader;
}

/** @category Publisher */
export interface PublisherInstance {
  start(): Promise<void>;
  send(batch: PublishBatch): Promise<PublishOutcome>;
  stop(): Promise<void>;
  health(): AdapterHealth | Promise<AdapterHealth>;
}

/** @category Publisher */
export interface PublisherDefinition<C = Record<string, unknown>> {
  manifest: PublisherManifest;
  create(config: C, ctx: PublisherContext): PublisherInstance | Promise<PublisherInstance>;
}

/** Declare a publisher (upstream target). @category Publisher */
export function definePublisher<C = Record<string, unknown>>(def: PublisherDefinition<C>): PublisherDefinition<C> {
  return Object.freeze({ ...def });
}
