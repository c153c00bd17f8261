// The hub's error model: one base class, stable codes, classification for retry decisions.
// Every code here is documented in docs/reference/errors.md (a test checks both ways).

/** Where in the flow an error happened (used as a metric label, never the message). */
export type ErrorStage = 'receiving' | 'processing' | 'sending' | 'config' | 'store';

/** Stable error codes of the hub and its SDK. */
export const HubErrorCodes = {
  CONFIG_INVALID: { status: 400, retryable: false, meaning: 'The configuration file does not match the schema or refers to something that does not exist.' },
  CONFIG_NOT_FOUND: { status: 400, retryable: false, meaning: 'The configuration file could not be read.' },
  ADAPTER_NOT_FOUND: { status: 400, retryable: false, meaning: 'An adapter named in `adapters` is neither built in nor provided by a plugin.' },
  ADAPTER_INVALID: { status: 400, retryable: false, meaning: 'A plugin module does not default-export a valid defineAdapter(...) result.' },
  INGEST_INVALID: { status: 400, retryable: false, meaning: 'An ingest batch is malformed; nothing from it was stored.' },
  BODY_INVALID: { status: 400, retryable: false, meaning: 'A request body (other than an ingest batch) is not valid JSON or does not match the route\'s body schema.' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, meaning: 'The request body is larger than server.body_limit_bytes.' },
  INGEST_UNSUPPORTED_MEDIA: { status: 415, retryable: false, meaning: 'The request body is neither JSON nor protobuf.' },
  UNKNOWN_POINT: { status: 422, retryable: false, meaning: 'A reading names a point (or device + field) that is not registered; it was quarantined.' },
  UNKNOWN_DEVICE: { status: 422, retryable: false, meaning: 'A reading names a device or protocol identity that is not registered; it was quarantined.' },
  INVALID_TIME: { status: 422, retryable: false, meaning: 'A reading\'s time is not a valid date-time; it was quarantined.' },
  MISSING_VALUE: { status: 422, retryable: false, meaning: 'A reading has no value (nor avg) and a normal (N) flag; it was quarantined.' },
  UNIT_UNKNOWN: { status: 422, retryable: false, meaning: 'A reading\'s unit is not a valid UCUM code; it was quarantined.' },
  UNIT_INCOMPATIBLE: { status: 422, retryable: false, meaning: 'A reading\'s unit cannot be converted to the indicator\'s unit (different dimension, or %LEL without a lower explosive limit); it was quarantined.' },
  INVALID_RECORD: { status: 422, retryable: false, meaning: 'A reading handed to ctx.ingest does not match the SourceReading schema; it was quarantined.' },
  COMMAND_UNSUPPORTED: { status: 400, retryable: false, meaning: 'The adapter takes no commands (manifest.capabilities.commands is false).' },
  COMMAND_INVALID: { status: 400, retryable: false, meaning: 'The command request is malformed for this adapter; the message names the field.' },
  COMMAND_TIMEOUT: { status: 504, retryable: true, meaning: 'The device did not answer the command within its timeout and retries.' },
  DEVICE_NOT_CONNECTED: { status: 409, retryable: true, meaning: 'The device the command is for has no open connection to the hub right now.' },
  REGISTRY_CONFLICT: { status: 409, retryable: false, meaning: 'A registry change would break a reference or duplicate a unique code/identity.' },
  REGISTRY_NOT_FOUND: { status: 404, retryable: false, meaning: 'No site, device or point with that code.' },
  REGISTRY_INVALID: { status: 400, retryable: false, meaning: 'A registry entity does not match its schema or refers to an unknown indicator/site/device.' },
  QUERY_INVALID: { status: 400, retryable: false, meaning: 'A query parameter is malformed (bad time, unknown filter value, bad cursor).' },
  AUTH_MISSING: { status: 401, retryable: false, meaning: 'The request carries no API key.' },
  AUTH_INVALID: { status: 401, retryable: false, meaning: 'The API key is not known.' },
  AUTH_FORBIDDEN: { status: 403, retryable: false, meaning: 'The API key lacks the scope this route needs.' },
  STORE_UNAVAILABLE: { status: 503, retryable: true, meaning: 'The store cannot be reached; retry later. Nothing was acknowledged.' },
  STORE_COMMIT_FAILED: { status: 503, retryable: true, meaning: 'The batch transaction failed and was rolled back; nothing from it was stored. Retry.' },
  NOT_FOUND: { status: 404, retryable: false, meaning: 'No such route.' },
  INTERNAL: { status: 500, retryable: true, meaning: 'An unexpected error; the log has the details.' },
} as const satisfies Record<string, { status: number; retryable: boolean; meaning: string }>;

export type HubErrorCode = keyof typeof HubErrorCodes;

export interface LifelineErrorOptions {
  /** Field path (JSON pointer) or other structured detail, e.g. `{ path: '/records/3/value' }` or `{ offset: 17 }`. */
  details?: Record<string, unknown>;
  /** Whether retrying the same operation may succeed. */
  retryable?: boolean;
  /** For throttling: how long to wait before retrying. */
  retryAfterMs?: number;
  /** HTTP status when it reaches the API. */
  httpStatus?: number;
  stage?: ErrorStage;
  cause?: unknown;
}

/**
 * Base of every error the hub, its adapters and publishers raise: a stable `code`, structured `details`
 * (field path or byte offset) and a message a person can act on.
 * @category Errors
 */
export class LifelineError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly httpStatus: number;
  readonly stage?: ErrorStage;

  constructor(code: string, message: string, opts: LifelineErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LifelineError';
    this.code = code;
    this.details = opts.details ?? {};
    const known = (HubErrorCodes as Record<string, { status: number; retryable: boolean }>)[code];
    this.retryable = opts.retryable ?? known?.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.httpStatus = opts.httpStatus ?? known?.status ?? 500;
    this.stage = opts.stage;
  }

  /** What a remote peer may see: never a stack trace. */
  toJSON() {
    return { code: this.code, message: this.message, details: this.details, retryable: this.retryable };
  }
}

export const isLifelineError = (e: unknown): e is LifelineError => e instanceof LifelineError;
