// The adapter contract. Adapters import only from hub/sdk (this folder); never from hub internals.
import type { SourceReading, Device } from '../../schemas/generated/types.ts';

/** How an adapter gets its data. @category Adapter */
export type AdapterDirection = 'listen' | 'poll' | 'subscribe';
/** Maturity of an adapter (OpenTelemetry stability levels). @category Adapter */
export type AdapterStability = 'development' | 'alpha' | 'beta' | 'stable' | 'deprecated';

/**
 * Static description of an adapter, readable without running it.
 * @category Adapter
 */
export interface AdapterManifest {
  /** snake_case protocol noun, unique among adapters: `hj212`, `modbus_tcp`. */
  id: string;
  /** semver. */
  version: string;
  title: string;
  /** One line. */
  description: string;
  direction: AdapterDirection;
  stability: AdapterStability;
  capabilities?: { acknowledges?: boolean; commands?: boolean; history?: boolean };
  /** JSON Schema (draft-07) of this adapter's config block; `$id` should be `lifeline:adapter/<id>`. */
  configSchema: Record<string, unknown>;
}

/** What happened to one record of a batch. @category Adapter */
export type RecordOutcome =
  | { outcome: 'accepted'; id: string; flags: string[] }
  | { outcome: 'duplicate' }
  | { outcome: 'quarantined'; reason: string; message: string; field?: string };

/**
 * Result of ctx.ingest(): resolved only after the batch is committed.
 * @category Adapter
 */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  quarantined: number;
  /** How many `rejected` inputs were written to quarantine with the batch. */
  rejected: number;
  /** Same order and length as the batch. */
  results: RecordOutcome[];
}

/** Options for one ingest call. @category Adapter */
export interface IngestOptions {
  /**
   * A cursor to store in the SAME transaction as this batch (e.g. the last row id an SQL poller read),
   * so that the readings and the position they cover are committed together or not at all.
   */
  checkpoint?: { key: string; value: unknown };
  /** Zone for times without an offset (default: the device's, then the hub's). */
  timezone?: string;
  /**
   * Raw inputs that could not even become a SourceReading (a payload a mapping could not read, an SQL
   * row with a bad column). They are written to the quarantine IN THE SAME TRANSACTION as the batch and
   * its checkpoint, so a cursor never moves past an input that was neither stored nor quarantined.
   */
  rejected?: RejectedInput[];
}

/** An input kept in quarantine instead of stored. @category Adapter */
export interface RejectedInput {
  /** The raw input (payload, row), as JSON. */
  record: unknown;
  /** Stable UPPER_SNAKE code, e.g. `MAPPING_FAILED`, `ROW_INVALID`. */
  reason: string;
  /** What is wrong, for a person. */
  message: string;
  /** JSON pointer (or expression name) of the offending part. */
  field?: string;
}

/** Minimal structured logger (pino-compatible). @category Adapter */
export interface AdapterLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Per-adapter counters (Vector's component set). @category Adapter */
export interface AdapterMetrics {
  received(n?: number): void;
  sent(n?: number): void;
  error(errorType: string, n?: number): void;
  dropped(n?: number): void;
}

/** Read-only view of registered devices, for allowlists and credentials. @category Adapter */
export interface RegistryView {
  /** Devices carrying an identity for `protocol`. */
  devicesFor(protocol: string): Device[];
  /** The device whose `protocol` identity has this key. */
  findDevice(protocol: string, key: string): Device | undefined;
}

/**
 * What the hub gives an adapter instance.
 * @category Adapter
 */
export interface AdapterContext {
  /** Instance name (the adapter id, or the key under `adapters`). */
  name: string;
  /** Validate, map, convert, commit. Resolves after commit; acknowledge your source only then. */
  ingest(batch: SourceReading[], options?: IngestOptions): Promise<IngestResult>;
  /** The last checkpoint committed with ingest(…, { checkpoint }) under `key`, if any. */
  checkpoint(key: string): Promise<unknown>;
  registry: RegistryView;
  logger: AdapterLogger;
  metrics: AdapterMetrics;
  /** Aborted when the hub is stopping. */
  signal: AbortSignal;
  /** Injected clock (tests replace it). */
  clock: { now(): number };
  /** Hub-wide default zone for times without an offset. */
  timezone: string;
  /** The hub's data directory (for files an adapter keeps, e.g. certificates). */
  dataDir: string;
}

/** Health an adapter reports. @category Adapter */
export interface AdapterHealth {
  status: 'ok' | 'degraded' | 'down';
  /** Human-readable details (connections, last error). */
  detail?: Record<string, unknown>;
}

/** A running adapter instance. `stop()` is idempotent and legal before `start()`. @category Adapter */
export interface AdapterInstance {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): AdapterHealth | Promise<AdapterHealth>;
  /**
   * A command to a device through this adapter (manifest.capabilities.commands), from
   * `POST /v1/adapters/<id>/commands` (admin scope, audited). Validate the request and throw a
   * LifelineError with a stable code when it is wrong; resolve with the device's answer.
   */
  command?(request: unknown): Promise<unknown>;
}

/** @category Adapter */
export interface AdapterDefinition<C = Record<string, unknown>> {
  manifest: AdapterManifest;
  /** `config` was validated (with defaults filled) against manifest.configSchema. */
  create(config: C, ctx: AdapterContext): AdapterInstance | Promise<AdapterInstance>;
}

/**
 * Declare an adapter. The returned object is what a plugin module default-exports.
 * @category Adapter
 */
export function defineAdapter<C = Record<string, unknown>>(def: AdapterDefinition<C>): AdapterDefinition<C> {
  return Object.freeze({ ...def, [ADAPTER_BRAND]: true }) as AdapterDefinition<C>;
}

export const ADAPTER_BRAND = Symbol.for('lifeline.adapter');
