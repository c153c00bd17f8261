// Collects one payload's readings and failures with bounds: a payload of 50,000 bad values must not make 50,000 of
// anything that outlives the mapping (failure objects, quarantine entries, lines in an HTTP answer). The first
// failures are kept with their messages, the rest are counted per code.
import type { SourceReading } from '../../schemas/generated/types.ts';
import type { MappingFailure, MappingResult } from './types.ts';

/** Failures kept per payload, in order; the rest are only counted (MappingResult.failed, failureCodes). */
export const MAX_FAILURES_KEPT = 100;
/** Longest JSON excerpt of a bad value quoted in a failure message. */
const SHOW_CHARS = 120;

/** A value for a failure message: JSON, cut short (a 500 KB string in a message would be kept twice more). */
export function show(v: unknown): string {
  let s: string | undefined;
  try { s = JSON.stringify(v); } catch { s = String(v); }
  s ??= String(v);
  return s.length > SHOW_CHARS ? `${s.slice(0, SHOW_CHARS).toWellFormed()}… (${s.length} characters)` : s;
}

export class ResultCollector {
  readonly readings: SourceReading[] = [];
  private failures: MappingFailure[] = [];
  private failed = 0;
  private codes: Record<string, number> = {};

  fail(f: MappingFailure): void {
    this.failed++;
    this.codes[f.code] = (this.codes[f.code] ?? 0) + 1;
    if (this.failures.length < MAX_FAILURES_KEPT) this.failures.push(f);
  }

  /** The payload as a whole is refused: nothing of it maps, one failure says why. */
  refuse(f: MappingFailure): void {
    this.readings.length = 0;
    this.failures = [];
    this.failed = 0;
    this.codes = {};
    this.fail(f);
  }

  result(): MappingResult {
    return { readings: this.readings, failures: this.failures, failed: this.failed, failureCodes: this.codes };
  }
}
