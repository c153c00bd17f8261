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
  CONFORMANCE_INVALID: { status: 400, retryable: false, meaning: 'A conformance run cannot start: unknown profile, a capability statement that does not match its schema, or a bad option (listen address, duration, key file).' },
  INGEST_INVALID: { status: 400, retryable: false, meaning: 'An ingest batch is malformed; nothing from it was stored.' },
  BODY_INVALID: { status: 400, retryable: false, meaning: 'A request body (other than an ingest batch) is not valid JSON or does not match the route\'s body schema (an id beyond the store\'s range, text with NUL or a lone UTF-16 surrogate included).' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, meaning: 'The request body is larger than server.body_limit_bytes.' },
  INGEST_UNSUPPORTED_MEDIA: { status: 415, retryable: false, meaning: 'The request body is neither JSON nor protobuf (e.g. JSON sent as `text/plain`), or protobuf was sent to a route other than `POST /v1/observations`.' },
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
  HJ212_UPLOAD_REFUSED: { status: 502, retryable: true, meaning: 'The HJ 212 platform answered an upload with 9011 and a QnRtn other than 1 (wrong PW, unknown MN, …) instead of 9014: nothing was acknowledged.' },
  HJ212_FRAME_TIMEOUT: { status: 408, retryable: true, meaning: 'An HJ 212 frame was still incomplete frame_timeout_s after its first byte (a stalled or trickling sender); the hub closed that connection.' },
  HJ212_FRAME_FAILED: { status: 500, retryable: true, meaning: 'Handling one HJ 212 frame failed unexpectedly (a hub bug). In the hj212 server that connection was closed unanswered and the station resends after reconnecting; in hj212_upstream that frame from the platform was dropped. Other connections and the process carry on; the log has the details.' },
  DEVICE_NOT_CONNECTED: { status: 409, retryable: true, meaning: 'The device the command is for has no open connection to the hub right now.' },
  MODBUS_TIMEOUT: { status: 504, retryable: true, meaning: 'A Modbus device did not answer a request within timeout_ms and its retries.' },
  MODBUS_EXCEPTION: { status: 502, retryable: false, meaning: 'A Modbus device answered with an exception code (details.exception: 1 illegal function, 2 illegal address, 3 illegal value, 4 device failure, 6 busy …).' },
  MODBUS_CONNECTION_FAILED: { status: 502, retryable: true, meaning: 'The TCP connection to a Modbus device could not be opened or was closed.' },
  MODBUS_PROFILE_INVALID: { status: 400, retryable: false, meaning: 'A Modbus device profile or register map is missing or invalid (the message names the file and point).' },
  MODBUS_VALUE_INVALID: { status: 400, retryable: false, meaning: 'A value does not fit the Modbus point\'s type (range, integer, string length), or registers could not be decoded (BCD nibble above 9).' },
  MODBUS_WRITE_DISABLED: { status: 403, retryable: false, meaning: 'A write command targets a device or point that does not allow writes.' },
  REGISTRY_CONFLICT: { status: 409, retryable: false, meaning: 'A registry change would break a reference or duplicate a unique code/identity.' },
  CONFORMANCE_REPORT_NOT_FOUND: { status: 404, retryable: false, meaning: 'No conformance report with that id in the hub\'s conformance.reports_dir.' },
  REGISTRY_NOT_FOUND: { status: 404, retryable: false, meaning: 'No site, device or point with that code.' },
  REGISTRY_INVALID: { status: 400, retryable: false, meaning: 'A registry entity does not match its schema, refers to an unknown indicator/site/device, or holds text with NUL or a lone UTF-16 surrogate.' },
  ALARM_NOT_FOUND: { status: 404, retryable: false, meaning: 'No alarm with that id.' },
  ALARM_RULE_NOT_FOUND: { status: 404, retryable: false, meaning: 'No alarm rule override with that id (rules added through /v1/alarm-rules).' },
  ALARM_TRANSITION_INVALID: { status: 409, retryable: false, meaning: 'The alarm is not in the state this handling step needs (open → ack → assess → dispatch → resolve → archive), or it is still active and cannot be archived; details give its state.' },
  QUERY_INVALID: { status: 400, retryable: false, meaning: 'A query or path parameter is malformed (bad time, unknown filter value, bad cursor or id, a non-finite number, NUL).' },
  STA_QUERY_INVALID: { status: 400, retryable: false, meaning: 'A SensorThings request (/sta/v1.1) has a malformed or unsupported query option; error.target names the option ($filter, $expand, …) and the message what is wrong.' },
  STA_NOT_FOUND: { status: 404, retryable: false, meaning: 'A SensorThings path names no entity set, navigation link or property, or an entity that does not exist (or is outside the key\'s data scope: the same answer).' },
  AUTH_MISSING: { status: 401, retryable: false, meaning: 'The request carries no API key.' },
  AUTH_INVALID: { status: 401, retryable: false, meaning: 'The API key is not known.' },
  AUTH_FORBIDDEN: { status: 403, retryable: false, meaning: 'The API key lacks the scope this route needs, or it is limited to part of the data (a data scope) and the route answers with hub-wide state.' },
  KEY_NOT_FOUND: { status: 404, retryable: false, meaning: 'No active key with that id was made through POST /v1/keys (keys of the config file are changed in the file).' },
  STORE_UNAVAILABLE: { status: 503, retryable: true, meaning: 'The store cannot be reached; retry later. Nothing was acknowledged.' },
  STORE_COMMIT_FAILED: { status: 503, retryable: true, meaning: 'The batch transaction failed and was rolled back; nothing from it was stored. Retry.' },
  OPCUA_CONNECT_FAILED: { status: 502, retryable: true, meaning: 'An OPC UA endpoint could not be reached, or its connection, session or subscription was lost (shown in the opc_ua health; it reconnects by itself).' },
  OPCUA_CERT_REJECTED: { status: 502, retryable: true, meaning: 'The OPC UA server rejected the hub\'s application certificate (BadSecurityChecksFailed / BadCertificateUntrusted).' },
  OPCUA_SERVER_CERT_UNTRUSTED: { status: 502, retryable: true, meaning: 'The hub does not trust the OPC UA server\'s certificate; it was put in <pki_dir>/rejected.' },
  OPCUA_AUTH_FAILED: { status: 502, retryable: true, meaning: 'The OPC UA server refused the session\'s user identity (user name/password or user certificate).' },
  OPCUA_ITEM_UNRESOLVED: { status: 422, retryable: true, meaning: 'An OPC UA item could not be monitored: unknown NodeId or namespace, no match for its browse path, or the node disappeared (listed in health, retried).' },
  OPCUA_VALUE_UNSUPPORTED: { status: 422, retryable: false, meaning: 'An OPC UA item sent a value that is not a number or boolean (string, array, structure); the first one per item was quarantined, the rest are counted as dropped.' },
  OPCUA_PKI_FAILED: { status: 500, retryable: false, meaning: 'The opc_ua adapter could not open or create its PKI (<data_dir>/pki): the adapter reports down and connects to nothing.' },
  OPCUA_NO_MATCHING_ENDPOINT: { status: 502, retryable: false, meaning: '`lifeline opcua browse` found no endpoint of the server that fits the security mode and policy asked for and the user identity given (anonymous or a user name); the message lists what the server offers.' },
  OPCUA_CERT_NOT_FOUND: { status: 400, retryable: false, meaning: '`lifeline opcua pki` found no certificate file or thumbprint matching the argument (or more than one).' },
  SQLPOLL_CONNECT_FAILED: { status: 502, retryable: true, meaning: 'The sql_poll adapter could not connect to a source database (shown in its health; it retries with backoff).' },
  SQLPOLL_QUERY_FAILED: { status: 502, retryable: true, meaning: 'A sql_poll page query failed or hit timeout_s; the cursor did not move and the adapter reconnects with backoff.' },
  SQLPOLL_ROW_INVALID: { status: 422, retryable: false, meaning: 'A row of an intermediate database could not become a reading (empty device/field/time, non-numeric value, empty value with flag N, bad flag or kind); it was quarantined and the cursor moved past it in the same transaction.' },
  MAPPING_INVALID: { status: 400, retryable: false, meaning: 'A mapping profile does not match lifeline:mapping-profile or has a JSONata syntax error; the message names the key (JSON pointer).' },
  MAPPING_PROFILE_NOT_FOUND: { status: 404, retryable: false, meaning: 'No shipped mapping profile by that name, no profile file at that path, or no webhook profile by that name is configured (json_http).' },
  MAPPING_FAILED: { status: 422, retryable: false, meaning: 'A mapping expression failed on this payload, or the `records` expression gave nothing, or a payload had failures of several kinds; the payload was quarantined with its failures.' },
  MAPPING_NO_DEVICE: { status: 422, retryable: false, meaning: 'The profile\'s device / identity.key expression gave nothing for a record; it was quarantined.' },
  MAPPING_BAD_TIME: { status: 422, retryable: false, meaning: 'A record\'s time is missing or does not match the profile\'s time format; it was quarantined.' },
  MAPPING_BAD_VALUE: { status: 422, retryable: false, meaning: 'A value is missing (and not optional), not numeric, or has a bad flag/quality; it was quarantined.' },
  MAPPING_TOO_MANY_RECORDS: { status: 413, retryable: false, meaning: 'A payload would make more than 100,000 values (records × items); nothing of it was mapped (json_http answers 413, json_mqtt quarantines its start as text).' },
  UPLOAD_BAD_REQUEST: { status: 400, retryable: false, meaning: 'An upload request lacks its profile or file, or its multipart body is malformed.' },
  UPLOAD_BAD_HEADER: { status: 422, retryable: false, meaning: 'A column the table profile names is not in the file\'s header row (or sheet); the upload failed before storing anything of that sheet.' },
  UPLOAD_UNREADABLE: { status: 422, retryable: false, meaning: 'The uploaded file is not readable as the profile\'s format: a CSV quoting error, a damaged or non-XLSX ZIP, or text not in the named encoding.' },
  UPLOAD_TOO_LARGE: { status: 413, retryable: false, meaning: 'The uploaded file is larger than uploads.max_bytes.' },
  UPLOAD_NOT_FOUND: { status: 404, retryable: false, meaning: 'No upload with that id.' },
  UPLOAD_NOT_CANCELLABLE: { status: 409, retryable: false, meaning: 'The upload has already finished (done, failed or cancelled).' },
  MQTT_NOT_JSON: { status: 422, retryable: false, meaning: 'An MQTT message (json_mqtt) is not JSON; it was quarantined with its topic and text (non_json: quarantine) and acknowledged.' },
  MQTT_PAYLOAD_TOO_LARGE: { status: 413, retryable: false, meaning: 'An MQTT message (json_mqtt) is larger than max_payload_bytes; its topic and size were quarantined and it was acknowledged.' },
  MQTT_PAYLOAD_TOO_DEEP: { status: 422, retryable: false, meaning: 'An MQTT message (json_mqtt) is JSON nested deeper than 64 levels, which no later stage can process; its topic and text (first 4096 characters) were quarantined and it was acknowledged.' },
  SIGNATURE_MISSING: { status: 401, retryable: false, meaning: 'The webhook profile requires an HMAC signature (or timestamp) header and the request has none.' },
  SIGNATURE_INVALID: { status: 401, retryable: false, meaning: 'The HMAC signature does not match the body with the profile\'s secret and algorithm.' },
  SIGNATURE_TIMESTAMP_INVALID: { status: 401, retryable: false, meaning: 'The signed-timestamp header (hmac.timestamp_header) is not a time in epoch seconds (or milliseconds), e.g. `abc`.' },
  SIGNATURE_EXPIRED: { status: 401, retryable: false, meaning: 'The signed timestamp is further from the hub\'s clock than max_skew_s (a replay, or a clock out of sync).' },
  PUBLISH_TARGET_NOT_FOUND: { status: 404, retryable: false, meaning: 'No publish target with that name (API and `lifeline publish`).' },
  PUBLISH_TARGET_INVALID: { status: 400, retryable: false, meaning: 'A publish plugin does not default-export a valid definePublisher(...) result, or reuses a publisher id.' },
  PUBLISH_DEAD_LETTER_NOT_FOUND: { status: 404, retryable: false, meaning: 'No dead-lettered batch with that id for that target (it may have been replayed already).' },
  NOT_FOUND: { status: 404, retryable: false, meaning: 'No such route.' },
  HTTP_MALFORMED: { status: 400, retryable: false, meaning: 'The HTTP request could not be parsed (a bad header name or value, a control character in a header, conflicting Content-Length and Transfer-Encoding, a URL that is not valid percent-encoded UTF-8, a path segment over 100 characters); the connection is closed after this answer.' },
  HTTP_HEADERS_TOO_LARGE: { status: 431, retryable: false, meaning: 'The request\'s headers are larger than the server accepts (16 KiB in all); the connection is closed after this answer.' },
  HTTP_TIMEOUT: { status: 408, retryable: true, meaning: 'The client did not send a complete request in time; the connection is closed after this answer.' },
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

/** Marks a LifelineError made by any copy of this module: see `Symbol.hasInstance` below. */
const LIFELINE_ERROR = Symbol.for('lifeline.error');

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

  /**
   * `e instanceof LifelineError` holds for an error made by another copy of this class too: the compiled hub (dist/)
   * has its own, and a plugin importing `lifeline-hub/sdk` (the sources) another. Subclasses keep the plain check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== LifelineError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[LIFELINE_ERROR] === true;
  }
}
Object.defineProperty(LifelineError.prototype, LIFELINE_ERROR, { value: true });

export const isLifelineError = (e: unknown): e is LifelineError => e instanceof LifelineError;
