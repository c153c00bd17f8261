// What an adapter quarantines for a payload its profile could not (fully) read: ONE entry per payload, carrying the
// payload once with the list of failures. One entry per failure, each with its record, made a body of 50,000 bad
// values 50,000 copies of a 100 KB record (5 GB of JSON) and the hub ran out of heap.
import type { RejectedInput } from '../sdk/adapter.ts';
import type { MappingResult } from './types.ts';

/**
 * The quarantine entry for a mapping result's failures, or undefined when there were none. `context` says where the
 * payload came from (e.g. `{ topic }`, `{ profile, mapping }`) and is kept with it; `payload` is kept once.
 * The reason is the failures' code when they share one, else MAPPING_FAILED (the entry lists each failure's code).
 */
export function mappingRejection(r: MappingResult, context: Record<string, unknown>, payload: { key: string; value: unknown }): RejectedInput | undefined {
  if (!r.failed) return undefined;
  const codes = Object.keys(r.failureCodes);
  const first = r.failures[0]!;
  const fields = new Set(r.failures.map((f) => f.field));
  const message = r.failed === 1
    ? first.message
    : `${r.failed} failures in this payload (${codes.map((c) => `${c} ×${r.failureCodes[c]}`).join(', ')}); the first: ${first.message}`;
  const field = r.failed === r.failures.length && fields.size === 1 ? first.field : undefined;
  return {
    record: {
      ...context,
      [payload.key]: payload.value,
      failed: r.failed,
      // At most 100: the message of each says the record index and what was wrong.
      failures: r.failures.map((f) => ({ code: f.code, field: f.field ?? null, record: f.record ?? null, message: f.message })),
    },
    reason: codes.length === 1 ? codes[0]! : 'MAPPING_FAILED',
    message,
    ...(field ? { field } : {}),
  };
}
