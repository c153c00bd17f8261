// How far into the outbox it is safe to read. Outbox ids come from a sequence, so a transaction that took id 7
// can commit after one that took id 8: a reader that saw 8 and moved its cursor past 7 would skip 7 for ever.
// So a position M (the highest id visible at some moment) is only handed out once every write transaction that
// was in progress in this database at that moment has finished. A transaction that gets its xid later takes its
// outbox id later too (the observations are inserted first), so above M. PGlite runs one transaction at a
// time: there the visible maximum is safe at once, and pg_stat_activity is not asked (it made the query 4× dearer,
// about 1 ms on the engine every time a follower looks, 10 times a second for the alarm evaluator when idle).
import type { Queryable } from '../store/driver.ts';

const SQL = `SELECT COALESCE((SELECT max(id) FROM outbox), 0)::text AS m,
  ARRAY(SELECT backend_xid::text FROM pg_stat_activity
        WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid())::text AS x`;
const ONE_AT_A_TIME = `SELECT COALESCE((SELECT max(id) FROM outbox), 0)::text AS m, '{}' AS x`;

export class OutboxHorizon {
  /**
   * Positions seen, oldest first, each with the transactions in flight when it was seen. Several are kept: with
   * overlapping writers there is nearly always one in flight, and a single candidate replaced at each call would
   * wait for a moment with none (a follower then lags by seconds under steady ingest).
   */
  private candidates: Array<{ max: bigint; xids: string[] }> = [];
  private safe = 0n;

  private readonly sql: string;

  /** `db.kind` 'pglite': one transaction at a time, nothing can be in flight beside the query. */
  constructor(private readonly db: Queryable & { readonly kind?: string }) {
    this.sql = db.kind === 'pglite' ? ONE_AT_A_TIME : SQL;
  }

  /** The highest outbox id below which no in-flight transaction can still add an entry. */
  async safeMax(): Promise<string> {
    const r = (await this.db.query<{ m: string; x: string }>(this.sql)).rows[0]!;
    const max = BigInt(r.m);
    const xids = r.x.length > 2 ? r.x.slice(1, -1).split(',') : [];
    const running = new Set(xids);
    // A transaction still running that was in flight at an older position was in flight at every later one too:
    // the first candidate not yet clear stops the walk.
    while (this.candidates.length && this.candidates[0]!.xids.every((x) => !running.has(x))) {
      const c = this.candidates.shift()!;
      if (c.max > this.safe) this.safe = c.max;
    }
    if (!xids.length) { if (max > this.safe) this.safe = max; this.candidates = []; }
    else if (max > this.safe && (this.candidates.length === 0 || this.candidates[this.candidates.length - 1]!.max < max)) {
      this.candidates.push({ max, xids });
      if (this.candidates.length > 256) this.candidates.shift();
    }
    return String(this.safe);
  }
}
