// The observations this process committed, kept by their batch's outbox entry until a follower of the outbox (the alarm
// evaluator, the rollup roller) takes them, so a step reads back only what another process committed (or what was
// dropped here). One value per batch (its rows, as an array or beside other facts): nothing per row.
import type { Obs } from './evaluate.ts';

/** How many committed observations are kept at most (the oldest batches go first). */
export const RECENT_CAP = 200_000;

/** `B`: what is kept of one batch; its `length` is its rows' count (what the cap counts). */
export class Recent<B extends { readonly length: number } = readonly Obs[]> {
  private readonly byEntry = new Map<string, B>();
  private size = 0;
  /** Entries a step left for later once, waiting for their batch to be handed over (never twice: see deferOnce). */
  private readonly deferred = new Set<string>();
  constructor(private readonly cap = RECENT_CAP) {}

  /** A batch ingest committed, under its outbox entry id. */
  add(entry: string, rows: B): void {
    if (this.byEntry.has(entry)) return;
    this.byEntry.set(entry, rows);
    this.size += rows.length;
    for (const [k, v] of this.byEntry) {
      if (this.size <= this.cap) break;
      this.byEntry.delete(k);
      this.size -= v.length;
    }
  }

  /** How many observations are held (what the cap counts). */
  get count(): number { return this.size; }

  /** The batches held now (a step asks the store for the ids of the other entries only). */
  held(): Map<string, B> { return new Map(this.byEntry); }

  /** One batch if held. */
  peek(entry: string): B | undefined { return this.byEntry.get(entry); }

  /**
   * Whether a step should leave this entry for the next one (true once per entry): a batch of this process committed
   * but not handed over yet is seen in the outbox before its ingest gets round to it; reading it back would cost more.
   * The second time it is read back: it was another process's.
   */
  deferOnce(entry: string): boolean {
    if (this.deferred.has(entry)) return false;
    this.deferred.add(entry);
    return true;
  }

  /** Forgets entries the evaluator has evaluated (or that another process did: at or below its cursor). */
  forget(entries: Iterable<string>, cursor?: bigint): void {
    for (const e of entries) { this.drop(e); this.deferred.delete(e); }
    if (cursor === undefined) return;
    for (const k of [...this.byEntry.keys()]) if (BigInt(k) <= cursor) this.drop(k);
    for (const k of [...this.deferred]) if (BigInt(k) <= cursor) this.deferred.delete(k);
  }

  private drop(entry: string): void {
    const v = this.byEntry.get(entry);
    if (!v) return;
    this.byEntry.delete(entry);
    this.size -= v.length;
  }
}
