// The pull audit: who pulled what (key, route, filter, rows, bytes, time). Entries are kept in memory and written in
// one INSERT per batch (every flushMs, or at once past BATCH rows), off the request's path: a read never waits for
// its audit row. GET /v1/audit reads them back (admin); the hourly store upkeep deletes them by age.
import type { Queryable } from '../store/driver.ts';
import { cleanText, sanitiseJson } from '../sdk/text.ts';

export interface AuditEntry {
  atMs: number; keyId: string; keyName: string; method: string; route: string; filter: Record<string, unknown>;
  status: number; rows: number; bytes: number; durationMs: number;
}

export interface AuditRow {
  id: string; at: Date; key_id: string; key_name: string; method: string; route: string; filter: Record<string, unknown>;
  status: number; rows: number; bytes: number; duration_ms: number;
}

/** Rows per INSERT; a batch this large is written at once. */
const BATCH = 500;
/** Entries held while the store does not take them; past this the oldest are dropped (and counted). */
const MAX_PENDING = 100_000;

const INSERT = `
INSERT INTO pull_audit (at, key_id, key_name, method, route, filter, status, row_count, bytes, duration_ms)
SELECT to_timestamp(u.at / 1000.0), u.k, u.n, u.m, u.r, u.f::jsonb, u.s, u.c, u.b, u.d
FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int8[], $10::float4[])
  AS u(at, k, n, m, r, f, s, c, b, d)`;

export class PullAudit {
  private pending: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  /** The write not started yet, which a flush call joins. */
  private queued?: Promise<void>;
  /** Entries dropped because the store did not take them for too long. */
  dropped = 0;
  /** Entries the store refused for their content (a data error on that entry alone): dropped, not retried. */
  refused = 0;

  constructor(private readonly db: Queryable, private readonly o: { flushMs: number; onError?: (e: unknown) => void }) {}

  record(e: AuditEntry): void {
    // A filter is what the client sent: PostgreSQL text and jsonb take no NUL and no lone surrogate (U+FFFD instead).
    this.pending.push({ ...e, route: cleanText(e.route), keyName: cleanText(e.keyName), filter: sanitiseJson(e.filter).value });
    if (this.pending.length > MAX_PENDING) { this.pending.splice(0, this.pending.length - MAX_PENDING); this.dropped++; }
    if (this.pending.length >= BATCH) void this.flush();
    else this.later();
  }

  /**
   * Write what is pending (one write at a time, in order); resolves when it is in the store (or failed and kept).
   * Each write takes what was pending when it started, no more: under steady reads entries keep arriving, and a
   * write that went on until none was left would never end (GET /v1/audit, which flushes first, then never answered).
   */
  flush(): Promise<void> {
    // One write waiting at most: every call until it starts joins it (record() calls flush for each entry while a
    // batch's worth is pending; chained one by one, thousands of writes queued behind a slow one, and a GET /v1/audit
    // waited for all of them).
    if (this.queued) return this.queued;
    const next = this.writing.then(async () => {
      this.queued = undefined;
      let left = this.pending.length;
      while (left > 0 && this.pending.length) {
        const batch = this.pending.slice(0, BATCH);
        try {
          await this.insert(batch);
        } catch (e) {
          if (!isDataError(e)) {
            this.o.onError?.(e); // kept: the next flush tries again
            this.later();
            return;
          }
          // The store refused something in the batch for its content, and would refuse it on every retry: each entry
          // alone, so one bad entry neither blocks the audit nor takes the others with it.
          for (const entry of batch) {
            try { await this.insert([entry]); } catch (one) {
              if (!isDataError(one)) {
                this.o.onError?.(one);
                this.later();
                return;
              }
              this.refused++;
              this.o.onError?.(one);
            }
            this.pending.shift();
            left--;
          }
          continue;
        }
        this.pending.splice(0, batch.length);
        left -= batch.length;
      }
    });
    this.queued = next;
    this.writing = next;
    return next;
  }

  /** A flush in flushMs, unless one is set already. */
  private later(): void {
    if (!this.timer) { this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, this.o.flushMs); this.timer.unref(); }
  }

  private async insert(batch: AuditEntry[]): Promise<void> {
    await this.db.query(INSERT, [
      batch.map((e) => e.atMs), batch.map((e) => e.keyId), batch.map((e) => e.keyName), batch.map((e) => e.method),
      batch.map((e) => e.route), batch.map((e) => JSON.stringify(e.filter)), batch.map((e) => e.status), batch.map((e) => e.rows),
      batch.map((e) => e.bytes), batch.map((e) => e.durationMs),
    ]);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** SQLSTATE class 22 (data exception) or 23 (integrity): the same statement with the same values fails again. */
function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

export interface AuditQuery { keyId?: string; route?: string; fromMs?: number; toMs?: number; beforeId?: string; limit: number }

/** Audit rows, newest first. */
export async function queryAudit(db: Queryable, q: AuditQuery): Promise<AuditRow[]> {
  const params: unknown[] = [];
  const w: string[] = [];
  const add = (sql: (n: string) => string, v: unknown) => { params.push(v); w.push(sql(`$${params.length}`)); };
  if (q.keyId !== undefined) add((n) => `key_id = ${n}`, q.keyId);
  if (q.route !== undefined) add((n) => `route = ${n}`, q.route);
  if (q.fromMs !== undefined) add((n) => `at >= to_timestamp(${n} / 1000.0)`, q.fromMs);
  if (q.toMs !== undefined) add((n) => `at < to_timestamp(${n} / 1000.0)`, q.toMs);
  if (q.beforeId !== undefined) add((n) => `id < ${n}::bigint`, q.beforeId);
  params.push(q.limit);
  return (await db.query<AuditRow>(`SELECT id::text AS id, at, key_id, key_name, method, route, filter, status, row_count AS rows, bytes::float8 AS bytes, duration_ms
    FROM pull_audit ${w.length ? 'WHERE ' + w.join(' AND ') : ''} ORDER BY pull_audit.id DESC LIMIT $${params.length}`, params)).rows;
}

/** Delete audit rows older than `days` (run by the hourly store upkeep, hub/store/maintenance.ts). */
export async function pruneAudit(db: Queryable, days: number, nowMs: number): Promise<number> {
  const r = await db.query<{ n: string }>(
    'WITH d AS (DELETE FROM pull_audit WHERE at < to_timestamp($1 / 1000.0) RETURNING 1) SELECT count(*)::text AS n FROM d', [nowMs - days * 86_400_000]);
  return Number(r.rows[0]?.n ?? 0);
}
