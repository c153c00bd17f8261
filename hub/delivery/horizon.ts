// How far into the outbox it is safe to read. Outbox ids come from a sequence, so a transaction that took id 7
// can commit after one that took id 8: a reader that saw 8 and moved its cursor past 7 would skip 7 for ever.
// So a position M (the highest id visible at some moment) is only handed out once every write transaction that
// was in progress in this database at that moment has finished. A transaction that gets its xid later takes its
// outbox id later too (the observations are inserted first), so above M. PGlite runs one transaction at a
// time: there the visible maximum is safe at once.
import type { Queryable } from '../store/driver.ts';

const SQL = `SELECT COALESCE((SELECT max(id) FROM outbox), 0)::text AS m,
  ARRAY(SELECT backend_xid::text FROM pg_stat_activity
        WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid())::text AS x`;

export class OutboxHorizon {
  private candidate?: { max: bigint; xids: string[] };
  private safe = 0n;

  constructor(private readonly db: Queryable) {}

  /** The highest outbox id below which no in-flight transaction can still add an entry. */
  async safeMax(): Promise<string> {
    const r = (await this.db.query<{ m: string; x: string }>(SQL)).rows[0]!;
    const max = BigInt(r.m);
    const xids = r.x.length > 2 ? r.x.slice(1, -1).split(',') : [];
    const running = new Set(xids);
    if (this.candidate && this.candidate.xids.every((x) => !running.has(x)) && this.candidate.max > this.safe) this.safe = this.candidate.max;
    if (!xids.length) { if (max > this.safe) this.safe = max; this.candidate = undefined; }
    else this.candidate = { max, xids };
    return String(this.safe);
  }
}
