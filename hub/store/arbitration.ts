// Whether a source's next batch is inserted optimistically (a plain INSERT, which fails on a reading already stored) or
// with ON CONFLICT's arbitration. A plain INSERT costs about a third less on PostgreSQL (observations.ts,
// INSERT_NEW_OBSERVATIONS), and nearly every batch is new readings; one that is not fails, commits nothing, and is
// committed again with arbitration. A source that sent a stored reading (a station re-sending what it was not
// acknowledged for, a poll re-reading its window) is arbitrated until it has sent CLEAN_TO_TRUST batches without one:
// a source that keeps re-sending never pays for a failed attempt more than once in that many batches.

/** Batches in a row with no reading already stored, before a source that sent one is inserted optimistically again. */
export const CLEAN_TO_TRUST = 8;
/** Sources remembered at most (adapter ids are few; a bound all the same). */
const MAX_SOURCES = 10_000;

export class Arbitration {
  /** Source → batches without a stored reading it still owes. */
  private readonly owed = new Map<string, number>();

  /** Whether the source's next batch needs arbitration. */
  needed(source: string): boolean {
    return this.owed.has(source);
  }

  /** An optimistic batch of the source failed on a reading already stored. */
  conflicted(source: string): void {
    this.owed.delete(source); // re-inserted last: the oldest is the one dropped at the bound
    if (this.owed.size >= MAX_SOURCES) this.owed.delete(this.owed.keys().next().value!);
    this.owed.set(source, CLEAN_TO_TRUST);
  }

  /** An arbitrated batch of the source committed; `duplicates`: some of its readings were already stored. */
  arbitrated(source: string, duplicates: boolean): void {
    if (duplicates) return this.conflicted(source);
    const n = (this.owed.get(source) ?? 1) - 1;
    if (n > 0) this.owed.set(source, n);
    else this.owed.delete(source);
  }
}

const byStore = new WeakMap<object, Arbitration>();

/** The arbitration state of a store handle (one per hub process and store). */
export function arbitrationOf(store: object): Arbitration {
  let a = byStore.get(store);
  if (!a) byStore.set(store, (a = new Arbitration()));
  return a;
}
