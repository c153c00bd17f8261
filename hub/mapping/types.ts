// The mapping engine's public types (re-exported by the SDK): adapters of JSON feeds hand a payload
// to a compiled profile and get SourceReadings plus per-record failures (bounded), never an exception.
import type { SourceReading } from '../../schemas/generated/types.ts';

/** One payload to map. @category Mapping */
export interface MappingInput {
  /** The decoded JSON payload. */
  payload: unknown;
  /** Context values available to expressions as `$vars` (e.g. MQTT topic parts `{ device: 'GD-001' }`). */
  vars?: Record<string, string>;
  /** When the payload arrived (epoch ms; default now). Used for `time`-less profiles and SenML relative times. */
  receivedAt?: number;
}

/** Why a record (or one value of it) produced no reading. @category Mapping */
export interface MappingFailure {
  /** Stable code: MAPPING_FAILED, MAPPING_NO_DEVICE, MAPPING_BAD_TIME, MAPPING_BAD_VALUE or MAPPING_TOO_MANY_RECORDS. */
  code: string;
  message: string;
  /** JSON pointer of the profile key whose expression failed, e.g. `/time/expr` or `/values/1/value`. */
  field?: string;
  /** Index of the record (in the `records` list) it happened in. */
  record?: number;
}

/** @category Mapping */
export interface MappingResult {
  readings: SourceReading[];
  /** The first failures (at most 100), in order. A payload is quarantined once, with these (see mappingRejection). */
  failures: MappingFailure[];
  /** How many failures there were in all (failures.length or more). */
  failed: number;
  /** failed, per code. */
  failureCodes: Record<string, number>;
}

/** A validated profile with its expressions compiled once. @category Mapping */
export interface CompiledProfile {
  name: string;
  map(input: MappingInput): Promise<MappingResult>;
}

/** @category Mapping */
export interface CompileOptions {
  /** Profile name (default: the profile's `name`, else `profile`). */
  name?: string;
  /** Zone for wall-clock times when the profile's `time.zone` is absent (default Asia/Shanghai). */
  timezone?: string;
  /** Identity protocol when the profile's `identity.protocol` is absent (the adapter id; default `json`). */
  protocol?: string;
}
