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

/** The lowest and highest of a non-empty list of positive bigint ids (decimal text as PostgreSQL prints it, or numbers). */
export function idBounds(ids: ReadonlyArray<string | number | bigint>): [string, string] {
  let lo = String(ids[0]), hi = lo;
  for (let i = 1; i < ids.length; i++) {
    const id = String(ids[i]);
    if (id.length < lo.length || (id.length === lo.length && id < lo)) lo = id;
    if (id.length > hi.length || (id.length === hi.length && id > hi)) hi = id;
  }
  return [lo, hi];
}

/**
 * `id = ANY(ids)`, and within the span when there is one; pushes the ids' bounds and the span's parameters onto
 * `params`, where `idsParam` (`$n`) already names the ids (an array of decimal text; empty: no row). For `observation` (the
 * view): the span bounds the packed days read too (migration 013), so a batch of new rows reads no pack.
 */
export function byIdsWhere(idsParam: string, span: TimeSpan | undefined, params: unknown[]): string {
  // The ids' range beside their list: the range is what shows PostgreSQL how few rows they are. With the list alone it
  // guessed them a share of the partition, and a roller step of 50,000 ids read its whole partition (950,000 other rows
  // passed over in a 1 M-row upload) instead of the index on id.
  // A list that fills at least half its range (a run of the sequence: the batches of one step, a delivery batch) is
  // a semi-join on it: as `id = ANY(list)`, PostgreSQL estimated every element's selectivity when planning (60 ms
  // for 50,000 ids, at every step) and tested every row of every partition against the list (190 ms to find those
  // 50,000 rows; the semi-join, 75 ms). A sparse list stays `= ANY`: the planner then probes the index id by id,
  // where for the semi-join (200 ids, it guesses) it would read the whole range.
  const list = params[Number(idsParam.slice(1)) - 1] as string[];
  if (!list.length) return `id = ANY(${idsParam}::bigint[])`; // nothing (and the parameter keeps its type)
  const [idLo, idHi] = idBounds(list);
  const width = BigInt(idHi) - BigInt(idLo) + 1n;
  const dense = BigInt(list.length) * 2n >= width;
  // Every id of the range (the usual step: consecutive batches, one statement at a time on PGlite): the range alone
  // names them, without the semi-join (a hash of the list, probed row by row: a third of a roller step's reads).
  // The ids of an outbox entry or a delivery batch are distinct, so as many as the range is wide are all of it.
  const whole = BigInt(list.length) === width;
  params.push(idLo, idHi);
  const lo = `$${params.length - 1}::bigint`, hi = `$${params.length}::bigint`;
  // Packed days (migration 013): only the packs whose id range meets the ids' (none, for a batch of late rows: their
  // ids are newer than every packed one) and, for a short list, that hold one of them (tested on the pack's ids
  // before unnesting it; && compares every element with every other, too slow for a long list).
  const ids = `${whole ? '' : dense ? `id IN (SELECT unnest(${idsParam}::bigint[])) AND ` : `id = ANY(${idsParam}::bigint[]) AND `}id >= ${lo} AND id <= ${hi}
    AND ${packIdBounds(lo, hi)} AND (pack_id_list IS NULL OR cardinality(${idsParam}::bigint[]) > 64 OR pack_id_list && ${idsParam}::bigint[])`;
  if (!span) return ids;
  params.push(span.lo, span.hi);
  const tlo = `$${params.length - 1}::timestamptz`, thi = `$${params.length}::timestamptz`;
  return `${ids} AND time >= ${tlo} AND time <= ${thi} AND pack_hi >= ${tlo} AND pack_lo <= ${thi}`;
}
