// One source database: connect, read page after page after the committed cursor, hand each page to the hub
// with the cursor that covers it (one transaction), back off and reconnect on failure.
import { LifelineError, type AdapterContext, type RejectedInput, type SourceReading } from '../../hub/sdk/index.ts';
import { connect, redactUrl, type SqlConnection, type TimeType } from './db.ts';
import { STANDARD_COLUMNS } from './ddl.ts';
import { mapRow, plainRow, type RowSpec } from './map.ts';
import type { SourceConfig } from './manifest.ts';

/** The stored position: the last row read (its tracking values as the database printed them). */
export interface Cursor { id: string; time?: string }

interface Page { rows: Record<string, unknown>[]; timeColumns: Map<string, TimeType>; next: Cursor }

export interface SourceHealth {
  driver: string; url: string; mode: string; connected: boolean; last_poll_at: string | null; last_ok_at: string | null;
  last_error: { code: string; message: string; at: string } | null; rows_read: number; rows_accepted: number;
  rows_duplicate: number; rows_quarantined: number; rows_rejected: number; cursor: Cursor | null; lag: number | null; lag_unit: string;
}

export interface Plan {
  /** FROM clause operand. */
  from: string;
  id: string;
  time?: string;
  settle?: string;
  columns: RowSpec['columns'];
}

/** Resolve a source's config to the columns it reads (standard mode = a preset). */
export function planOf(s: SourceConfig): Plan {
  if (s.mode === 'standard') {
    const c = STANDARD_COLUMNS;
    return {
      from: s.table, id: c.id, settle: s.settle_ms > 0 ? (s.settle_column ?? c.created) : undefined,
      columns: { device: c.device, field: c.field, kind: c.kind, value: c.value, unit: c.unit, time: c.time, flag: c.flag, ...s.columns },
    };
  }
  if (!s.query || !s.tracking) throw new LifelineError('CONFIG_INVALID', `sql_poll source "${s.name}": query mode needs \`query\` and \`tracking.id\``, { details: { path: `/sources/${s.name}` } });
  if (/\b(order\s+by|limit)\b[^)]*$/i.test(s.query)) throw new LifelineError('CONFIG_INVALID', `sql_poll source "${s.name}": \`query\` must not end with ORDER BY or LIMIT; the adapter adds them`);
  const settle = s.settle_ms > 0 ? (s.settle_column ?? s.tracking.time) : undefined;
  if (s.settle_ms > 0 && !settle) throw new LifelineError('CONFIG_INVALID', `sql_poll source "${s.name}": settle_ms needs \`settle_column\` (or \`tracking.time\`)`);
  const columns = { ...s.columns };
  if (!columns.time && !s.tracking.time) throw new LifelineError('CONFIG_INVALID', `sql_poll source "${s.name}": columns.time (or tracking.time) is required`);
  columns.time ??= s.tracking.time;
  if (!columns.value) throw new LifelineError('CONFIG_INVALID', `sql_poll source "${s.name}": columns.value is required`);
  if (!columns.device && !s.fixed?.device) throw new LifelineError('CONFIG_INVALID', `sql_poll source "${s.name}": columns.device or fixed.device is required`);
  if (s.match !== 'point' && !columns.field && !s.fixed?.field) throw new LifelineError('CONFIG_INVALID', `sql_poll source "${s.name}": columns.field or fixed.field is required`);
  return { from: `(${s.query.trim().replace(/;\s*$/, '')})`, id: s.tracking.id, time: s.tracking.time, settle, columns };
}

/** The page query after `cursor` (PostgreSQL `$n`, MySQL `?` or SQL Server `@pN` placeholders) and its parameters. */
export function pageQuery(conn: Pick<SqlConnection, 'dialect' | 'param' | 'quote'>, plan: Plan, cursor: Cursor | undefined, limit: number, settleMs: number): { sql: string; params: unknown[] } {
  const q = (c: string) => `q.${conn.quote(c)}`;
  const params: unknown[] = [];
  const p = (v: unknown) => { params.push(v); return conn.param(params.length); };
  const from = plan.from.startsWith('(') ? plan.from : conn.quote(plan.from);
  const where = [`${q(plan.id)} IS NOT NULL`];
  if (plan.time) where.push(`${q(plan.time)} IS NOT NULL`);
  if (cursor) {
    if (!plan.time) where.push(`${q(plan.id)} > ${p(cursor.id)}`);
    else if (conn.dialect === 'postgres') where.push(`(${q(plan.time)}, ${q(plan.id)}) > (${p(cursor.time)}, ${p(cursor.id)})`);
    else where.push(`(${q(plan.time)} > ${p(cursor.time)} OR (${q(plan.time)} = ${p(cursor.time)} AND ${q(plan.id)} > ${p(cursor.id)}))`);
  }
  if (plan.settle && settleMs > 0) {
    where.push(conn.dialect === 'postgres'
      ? `${q(plan.settle)} < now() - ${p(settleMs)} * interval '1 millisecond'`
      : conn.dialect === 'mssql'
        ? `${q(plan.settle)} < DATEADD(millisecond, -${p(settleMs)}, SYSDATETIME())`
        : `${q(plan.settle)} < NOW(3) - INTERVAL ${p(settleMs * 1000)} MICROSECOND`);
  }
  const order = plan.time ? `${q(plan.time)}, ${q(plan.id)}` : q(plan.id);
  if (conn.dialect === 'mssql') {
    // T-SQL: TOP (n) instead of LIMIT; the page size as a parameter too.
    const top = p(Math.trunc(limit));
    return { sql: `SELECT TOP (${top}) q.* FROM ${from} q WHERE ${where.join(' AND ')} ORDER BY ${order}`, params };
  }
  return { sql: `SELECT q.* FROM ${from} q WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${Math.trunc(limit)}`, params };
}

const errCode = (e: unknown) => (e instanceof LifelineError ? e.code : 'SQLPOLL_QUERY_FAILED');

export class SourcePoller {
  private conn?: SqlConnection;
  private cursor?: Cursor;
  private cursorLoaded = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private failures = 0;
  private readonly plan: Plan;
  private readonly key: string;
  private readonly stats = { rowsRead: 0, accepted: 0, duplicates: 0, quarantined: 0, rejected: 0 };
  private lastPollAt: number | null = null;
  private lastOkAt: number | null = null;
  private lastError: SourceHealth['last_error'] = null;
  private lag: number | null = null;

  constructor(private readonly s: SourceConfig, private readonly ctx: AdapterContext, private readonly backoff: { initialMs: number; maxMs: number }) {
    this.plan = planOf(s);
    this.key = `cursor:${s.name}`;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const running = this.running;
    if (running) {
      // Let the page in hand commit; a query still running is cut off by closing the connection.
      const t = setTimeout(() => void this.conn?.close(), Math.min(5000, this.s.timeout_s * 1000));
      await running.catch(() => undefined);
      clearTimeout(t);
    }
    await this.conn?.close();
    this.conn = undefined;
  }

  private schedule(ms: number) {
    if (this.stopped || this.ctx.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.poll().finally(() => { this.running = undefined; });
    }, ms);
  }

  /** Read until caught up (a page that is not full), then wait interval_s; on failure back off. */
  private async poll(): Promise<void> {
    this.lastPollAt = this.ctx.clock.now();
    try {
      if (!this.conn || this.conn.broken) {
        await this.conn?.close();
        this.conn = undefined;
        try {
          this.conn = await connect(this.s.driver, this.s.url, { timeoutMs: this.s.timeout_s * 1000 });
        } catch (cause) {
          throw new LifelineError('SQLPOLL_CONNECT_FAILED', `${this.s.name}: cannot connect to ${redactUrl(this.s.url)}: ${(cause as Error).message}`, { cause, retryable: true, stage: 'receiving' });
        }
        this.ctx.logger.info({ source: this.s.name }, 'connected');
      }
      const conn = this.conn;
      if (!this.cursorLoaded) {
        this.cursor = (await this.ctx.checkpoint(this.key)) as Cursor | undefined;
        this.cursorLoaded = true;
        if (!this.cursor && this.s.start === 'end') await this.skipToEnd(conn);
      }
      const maxId = await this.maxId(conn);
      const updateLag = () => { if (maxId !== undefined) this.lag = Math.max(0, maxId - Number(this.cursor?.id ?? 0)); };
      updateLag();
      // While a page commits, the next one is already being read (the cursor it starts after is known): the source
      // query and the store commit overlap. The commits themselves stay in order, one at a time.
      let pending: Promise<Page> | undefined = this.fetch(conn, this.cursor);
      try {
        while (pending) {
          const page: Page = await pending;
          pending = undefined;
          if (!page.rows.length || this.stopped) break;
          const full = page.rows.length >= this.s.page_size;
          if (full) {
            pending = this.fetch(conn, page.next);
            // It may fail while the commit below is awaited: mark it handled now (it is still awaited, and rethrows, next round).
            pending.catch(() => undefined);
          }
          await this.commit(page, conn.sessionOffset);
          updateLag();
        }
      } finally {
        pending?.catch(() => undefined); // abandoned after a failure or stop: its rows are read again next time
      }
      this.failures = 0;
      this.lastError = null;
      this.lastOkAt = this.ctx.clock.now();
      this.schedule(this.s.interval_s * 1000);
    } catch (e) {
      if (this.stopped) return;
      this.failures++;
      const code = errCode(e);
      this.lastError = { code, message: (e as Error).message, at: new Date(this.ctx.clock.now()).toISOString() };
      this.ctx.metrics.error(code === 'SQLPOLL_CONNECT_FAILED' ? 'connect_failed' : code === 'STORE_COMMIT_FAILED' ? 'commit_failed' : 'query_failed');
      // A failed query may have left the connection unusable (timeouts, lost server): start afresh.
      if (code !== 'STORE_COMMIT_FAILED') { await this.conn?.close(); this.conn = undefined; }
      const wait = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (this.failures - 1));
      this.ctx.logger.warn({ source: this.s.name, code, err: (e as Error).message, retry_in_ms: wait }, 'poll failed');
      this.schedule(wait);
    }
  }

  /** Read one page after `cursor`. */
  private async fetch(conn: SqlConnection, cursor: Cursor | undefined): Promise<Page> {
    if (cursor && (this.plan.time !== undefined) !== (cursor.time !== undefined)) {
      throw new LifelineError('SQLPOLL_QUERY_FAILED', `${this.s.name}: the stored cursor ${JSON.stringify(cursor)} does not fit tracking ${JSON.stringify(this.s.tracking ?? { id: 'id' })}; after changing tracking, give the source a new name (and start: end if the old rows were read)`);
    }
    const { sql, params } = pageQuery(conn, this.plan, cursor, this.s.page_size, this.s.settle_ms);
    let res;
    try {
      res = await conn.query(sql, params);
    } catch (cause) {
      throw new LifelineError('SQLPOLL_QUERY_FAILED', `${this.s.name}: ${(cause as Error).message}`, { cause, retryable: true, stage: 'receiving' });
    }
    const last = res.rows[res.rows.length - 1];
    const next: Cursor = last ? { id: String(last[this.plan.id]) } : { id: '' };
    if (last && this.plan.time) next.time = String(last[this.plan.time]);
    return { rows: res.rows, timeColumns: res.timeColumns, next };
  }

  /** Map a page and commit it with the cursor after its last row: readings, rejected rows and cursor in one transaction. */
  private async commit(page: Page, sessionOffset: string): Promise<void> {
    const rows = page.rows;
    const spec: RowSpec = { source: this.s.name, columns: this.plan.columns, fixed: this.s.fixed ?? {}, match: this.s.match, idColumn: this.plan.id, sessionOffset };
    const batch: SourceReading[] = [];
    const rejected: RejectedInput[] = [];
    for (const row of rows) {
      const m = mapRow(row, spec, page.timeColumns);
      if ('reading' in m) batch.push(m.reading);
      else rejected.push({ ...m.reject, record: { source: this.s.name, row: plainRow(row) } });
    }
    this.ctx.metrics.received(rows.length);
    const r = await this.ctx.ingest(batch, { checkpoint: { key: this.key, value: page.next }, rejected, ...(this.s.timezone ? { timezone: this.s.timezone } : {}) });
    this.cursor = page.next;
    this.stats.rowsRead += rows.length;
    this.stats.accepted += r.accepted;
    this.stats.duplicates += r.duplicates;
    this.stats.quarantined += r.quarantined + rejected.length;
    this.stats.rejected += rejected.length;
    this.ctx.metrics.sent(r.accepted);
    if (rejected.length) this.ctx.metrics.error('row_invalid', rejected.length);
    if (r.quarantined || rejected.length) this.ctx.logger.warn({ source: this.s.name, quarantined: r.quarantined, rejected: rejected.length, cursor: page.next }, 'rows quarantined');
  }

  /** max(id) of the source, for the lag in health (id tracking only; undefined otherwise or on failure). */
  private async maxId(conn: SqlConnection): Promise<number | undefined> {
    if (this.plan.time) return undefined;
    const from = this.plan.from.startsWith('(') ? this.plan.from : conn.quote(this.plan.from);
    const r = await conn.query(`SELECT max(q.${conn.quote(this.plan.id)}) AS m FROM ${from} q`);
    const m = r.rows[0]?.m;
    return m === null || m === undefined ? 0 : Number(m);
  }

  /** start: end — the first cursor is the newest row now; older rows are never read. */
  private async skipToEnd(conn: SqlConnection) {
    const q = (c: string) => `q.${conn.quote(c)}`;
    const from = this.plan.from.startsWith('(') ? this.plan.from : conn.quote(this.plan.from);
    const order = this.plan.time ? `${q(this.plan.time)} DESC, ${q(this.plan.id)} DESC` : `${q(this.plan.id)} DESC`;
    const r = await conn.query(conn.dialect === 'mssql'
      ? `SELECT TOP (1) q.* FROM ${from} q WHERE ${q(this.plan.id)} IS NOT NULL ORDER BY ${order}`
      : `SELECT q.* FROM ${from} q WHERE ${q(this.plan.id)} IS NOT NULL ORDER BY ${order} LIMIT 1`);
    const last = r.rows[0];
    if (!last) return; // empty: every row to come is new
    const c: Cursor = { id: String(last[this.plan.id]) };
    if (this.plan.time) c.time = String(last[this.plan.time]);
    await this.ctx.ingest([], { checkpoint: { key: this.key, value: c } });
    this.cursor = c;
  }

  health(): SourceHealth {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      driver: this.s.driver, url: redactUrl(this.s.url), mode: this.s.mode,
      connected: !!this.conn && !this.conn.broken, last_poll_at: iso(this.lastPollAt), last_ok_at: iso(this.lastOkAt),
      last_error: this.lastError, rows_read: this.stats.rowsRead, rows_accepted: this.stats.accepted, rows_duplicate: this.stats.duplicates,
      rows_quarantined: this.stats.quarantined, rows_rejected: this.stats.rejected, cursor: this.cursor ?? null,
      lag: this.lag, lag_unit: this.plan.time ? 'n/a (time tracking)' : 'ids (max id at poll start − cursor id)',
    };
  }
}
