// What an outbox follower (the rollup roller, the alarm evaluator) takes in one step: the observation entries after
// its cursor up to safeMax, about `cap` observations at most to read back and `heldCap` in all, with the ids they name
// and their time span.
import type { Queryable } from './driver.ts';
import { SPAN_COLS, spanOf, type SpanRow, type TimeSpan } from './time-span.ts';

export interface OutboxTake {
  /** entries taken */
  entries: number;
  /** observation ids they name */
  ids: string[];
  span: TimeSpan | undefined;
  /** where the cursor goes after this step */
  next: string;
  /** everything up to safeMax is read (other topics included) */
  all: boolean;
  /**
   * The entries taken whose rows the caller holds (`isHeld`): their ids are not in `ids` (`span` covers them too);
   * `ids` here is the entry's id list as the store prints it, for a caller that must read them back after all.
   */
  held: Array<{ entry: string; ids: string }>;
  /** The entries taken, in id order. */
  taken: TakenEntry[];
}

type TakenEntry = { id: string; ids: string; n: number } & SpanRow;

export async function takeOutbox(tx: Queryable, after: string, safeMax: string, cap: number, isHeld?: (entry: string) => boolean, heldCap = cap): Promise<OutboxTake> {
  const rows = (await tx.query<{ id: string; ids: string; n: number } & SpanRow>(
    `SELECT id::text AS id, ref_ids::text AS ids, count AS n, ${SPAN_COLS} FROM outbox
     WHERE id > $1::bigint AND id <= $2::bigint AND topic = 'observation' ORDER BY outbox.id LIMIT 1000`, [after, safeMax])).rows;
  let taken = 0, sum = 0, readBack = 0;
  const ids: string[] = [];
  const held: OutboxTake['held'] = [];
  for (const r of rows) {
    const isH = isHeld?.(r.id) ?? false;
    if (taken && (sum + r.n > Math.max(cap, heldCap) || (!isH && readBack + r.n > cap))) break;
    if (isH) held.push({ entry: r.id, ids: r.ids });
    else {
      if (r.ids.length > 2) for (const id of r.ids.slice(1, -1).split(',')) ids.push(id);
      readBack += r.n;
    }
    sum += r.n;
    taken++;
  }
  // Fewer than the limit and none held back: everything up to safeMax is read.
  const all = taken === rows.length && rows.length < 1000;
  return { entries: taken, ids, span: spanOf(rows.slice(0, taken)), next: all ? safeMax : rows[taken - 1]!.id, all, held, taken: rows.slice(0, taken) };
}

/**
 * The same take with every entry read back, held or not (the held ones could not be summed in memory after all), and
 * so cut to about `cap` observations: the cursor then stops after the last entry kept.
 */
export function readBackAll(take: OutboxTake, cap: number): OutboxTake {
  const ids: string[] = [];
  let k = 0, sum = 0;
  for (const r of take.taken) {
    if (k && sum + r.n > cap) break;
    if (r.ids.length > 2) for (const id of r.ids.slice(1, -1).split(',')) ids.push(id);
    sum += r.n;
    k++;
  }
  if (k === take.taken.length) return { ...take, ids, held: [] };
  const kept = take.taken.slice(0, k);
  return { entries: k, ids, span: spanOf(kept), next: kept[k - 1]!.id, all: false, held: [], taken: kept };
}
