// Reads of observations by id, bounded by the time span of the batch that names them, so PostgreSQL reads only the
// time partitions the batch touched (migrations 006, 007). Spans travel as timestamptz text: exact, no float ms.
import { packIdBounds } from './pack.ts';

/** The span of the observations an outbox entry or delivery batch names; null columns where it was not recorded. */
export interface TimeSpan { lo: string; hi: string }

/** SQL for an outbox or delivery_batch row's span: `lo`, `hi` as text (exact) and as epoch ms (to compare). */
export const SPAN_COLS = `min_time::text AS lo, max_time::text AS hi,
  (extract(epoch FROM min_time) * 1000)::float8 AS lo_ms, (extract(epoch FROM max_time) * 1000)::float8 AS hi_ms`;

export interface SpanRow { lo: string | null; hi: string | null; lo_ms: number | null; hi_ms: number | null }

/** The span covering all rows, or undefined when one of them has none (written before spans were recorded). */
export function spanOf(rows: ReadonlyArray<SpanRow>): TimeSpan | undefined {
  let lo: string | undefined, hi: string | undefined;
  let loT = Infinity, hiT = -Infinity;
  for (const r of rows) {
    if (r.lo === null || r.hi === null || r.lo_ms === null || r.hi_ms === null) return undefined;
    if (r.lo_ms <= loT) { loT = r.lo_ms; lo = r.lo; }
    if (r.hi_ms >= hiT) { hiT = r.hi_ms; hi = r.hi; }
  }
  return lo !== undefined && hi !== undefined ? { lo, hi } : undefined;
}

/**
 * `id = ANY(ids)`, and within the span when there is one; pushes the span's parameters onto `params`. For `observation`
 * (the view): the span bounds the packed days read too (migration 013), so a batch of new rows reads no pack.
 */
export function byIdsWhere(idsParam: string, span: TimeSpan | undefined, params: unknown[]): string {
  // Packed days (migration 013): only the packs whose id range meets the ids' (none, for a batch of late rows: their
  // ids are newer than every packed one) and, for a short list, that hold one of them (tested on the pack's ids
  // before unnesting it; && compares every element with every other, too slow for a long list).
  const ids = `id = ANY(${idsParam}::bigint[]) AND ${packIdBounds(`(SELECT min(x) FROM unnest(${idsParam}::bigint[]) x)`, `(SELECT max(x) FROM unnest(${idsParam}::bigint[]) x)`)}
    AND (pack_id_list IS NULL OR cardinality(${idsParam}::bigint[]) > 64 OR pack_id_list && ${idsParam}::bigint[])`;
  if (!span) return ids;
  params.push(span.lo, span.hi);
  const lo = `$${params.length - 1}::timestamptz`, hi = `$${params.length}::timestamptz`;
  return `${ids} AND time >= ${lo} AND time <= ${hi} AND pack_hi >= ${lo} AND pack_lo <= ${hi}`;
}
