// The publisher contract (push upstream). Same shape as adapters; the delivery engine that drives it
// (outbox → batches → retries/backoff → dead-letter) is built on this in the publishing work.
import type { Observation } from '../../schemas/generated/types.ts';
import type { AdapterLogger, AdapterMetrics, AdapterHealth, AdapterStability } from './adapter.ts';

/** @category Publisher */
export interface PublisherManifest {
  /** snake_case target noun: `hj212_upstream`, `http_push`, `mqtt_publish`. */
  id: string;
  version: string;
  title: string;
  description: string;
  stability: AdapterStability;
  configSchema: Record<string, unknown>;
}

/** One delivery attempt's batch, in observation-time order per point. @category Publisher */
export interface PublishBatch {
  /** Stable across retries of the same batch: targets that dedupe use it as the idempotency key. */
  idempotencyKey: string;
  attempt: number;
  observations: Observation[];
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

/** @category Publisher */
export interface PublisherContext {
  name: string;
  logger: AdapterLogger;
  metrics: AdapterMetrics;
  signal: AbortSignal;
  clock: { now(): number };
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
