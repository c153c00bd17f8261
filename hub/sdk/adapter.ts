// The adapter contract. Adapters import only from hub/sdk (this folder); never from hub internals.
import type { SourceReading, Device } from '../../schemas/generated/types.ts';
import type { CliCommand } from './cli.ts';
import type { ContractDriverFactory } from './contract.ts';

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
  /**
   * What the adapter adds to the conformance kit: `driver` loads its adapter-contract driver (a module whose default
   * export is a ContractDriverFactory, see contract.ts), only when `lifeline conformance adapter` runs.
   */
  conformance?: { driver: () => Promise<{ default: ContractDriverFactory }> };
  /** JSON Schema (draft-07) of this adapter's config block; `$id` should be `lifeline:adapter/<id>`. */
  configSchema: Record<string, unknown>;
  /** Commands this adapter adds to the `lifeline` CLI (`lifeline hj212 decode …`, `lifeline sim modbus …`). */
  commands?: CliCommand[];
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

/** A request to an adapter's HTTP route. @category Adapter */
export interface AdapterHttpRequest {
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes received (what an HMAC signature covers). */
  rawBody: Buffer;
  /** rawBody parsed as JSON, or undefined when it is empty or not JSON (then `bodyError` says why). */
  body: unknown;
  bodyError?: string;
  /** The API key holder, when the route was authenticated by the hub (auth 'ingest'). */
  principal?: string;
}

/** What an adapter's HTTP handler answers. Throw a LifelineError for an error answer. @category Adapter */
export interface AdapterHttpResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * An HTTP route an adapter serves on the hub's own server (e.g. vendor webhooks).
 * @category Adapter
 */
export interface AdapterHttpRoute {
  method: 'GET' | 'POST' | 'PUT';
  /** fastify path under /v1/, with `:params`, e.g. `/v1/ingest/:profile`. */
  url: string;
  /** Largest body accepted, bytes (413 PAYLOAD_TOO_LARGE beyond; default: server.body_limit_bytes). */
  bodyLimit?: number;
  /**
   * Who may call it. `ingest`: the hub requires an API key with the ingest scope before the handler runs.
   * `none`: the handler authenticates the request itself (e.g. an HMAC signature); the route is listed as public.
   * A function decides per request from its params/headers (e.g. per webhook profile; the route is listed
   * with the ingest scope): it runs before the body is read, and should answer 'ingest' for anything unknown.
   */
  auth: 'ingest' | 'none' | ((req: { params: Record<string, string>; headers: Record<string, string | string[] | undefined> }) => 'ingest' | 'none');
  /** One line for the API docs. */
  summary?: string;
  handler(req: AdapterHttpRequest): Promise<AdapterHttpResponse>;
}

/** Serving HTTP on the hub's server. Call `route()` in create(); routes open when the hub listens. @category Adapter */
export interface AdapterHttp {
  route(route: AdapterHttpRoute): void;
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
  /** Directory of the hub's config file: resolve relative paths in your config (profiles, certificates) against it. */
  configDir: string;
  /** HTTP routes on the hub's own server (register them in create()). */
  http: AdapterHttp;
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
