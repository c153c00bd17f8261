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
   * The entries taken whose rows the caller holds (`isHeld`): their ids are not in `ids` (`span` covers them too; a
   * caller that must read them back after all has readBackAll).
   */
  held: Array<{ entry: string }>;
  /** The entries taken, in id order, with their id lists as the store prints them. */
  taken: TakenEntry[];
}

type TakenEntry = { id: string; ids: string; n: number } & SpanRow;

/** The ids of an entry's list as the store prints it (`{1,2,3}`), appended to `out`. */
function pushIds(text: string, out: string[]): void {
  if (text.length > 2) for (const id of text.slice(1, -1).split(',')) out.push(id);
}

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
    if (isH) held.push({ entry: r.id });
    else {
      pushIds(r.ids, ids);
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
    pushIds(r.ids, ids);
    sum += r.n;
    k++;
  }
  if (k === take.taken.length) return { ...take, ids, held: [] };
  const kept = take.taken.slice(0, k);
  return { entries: k, ids, span: spanOf(kept), next: kept[k - 1]!.id, all: false, held: [], taken: kept };
}
