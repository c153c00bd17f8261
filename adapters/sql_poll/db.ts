// One connection to a source database, the same small surface for PostgreSQL (pg) and MySQL/MariaDB (mysql2).
// Timestamps come back as text (exact, so a cursor built from them compares equal in the database), and each
// column's time type says how to read that text: with its own offset, in UTC, or as wall-clock time.
import pg from 'pg';
import type { Dialect } from './ddl.ts';

/** How a column's values are to be read as instants. */
export type TimeType = 'offset' | 'naive' | 'fixed';

export interface QueryResult {
  rows: Record<string, unknown>[];
  /** Columns holding date/time values, and how to read them. */
  timeColumns: Map<string, TimeType>;
}

export interface SqlConnection {
  readonly dialect: Dialect;
  /** For MySQL TIMESTAMP columns: the session's offset from UTC (`+08:00`), fixed at connect. */
  readonly sessionOffset: string;
  /** Placeholder for parameter n (1-based). */
  param(n: number): string;
  quote(identifier: string): string;
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
  /** True once the connection reported an error or was closed: open a new one. */
  readonly broken: boolean;
  close(): Promise<void>;
}

export interface ConnectOptions { timeoutMs: number }

const quoteWith = (q: string) => (id: string) => id.split('.').map((p) => `${q}${p.replaceAll(q, q + q)}${q}`).join('.');

// PostgreSQL type oids
const PG_TIMESTAMPTZ = 1184, PG_TIMESTAMP = 1114, PG_DATE = 1082;

async function connectPostgres(url: string, o: ConnectOptions): Promise<SqlConnection> {
  const client = new pg.Client({
    connectionString: url, connectionTimeoutMillis: Math.ceil(o.timeoutMs),
    statement_timeout: Math.ceil(o.timeoutMs), query_timeout: Math.ceil(o.timeoutMs) + 2000,
    application_name: 'lifeline-hub sql_poll',
  });
  for (const oid of [PG_TIMESTAMPTZ, PG_TIMESTAMP, PG_DATE]) client.setTypeParser(oid, 'text', (v: string) => v);
  let broken = false;
  client.on('error', () => { broken = true; });
  client.on('end', () => { broken = true; });
  try {
    await client.connect();
    await client.query("SET DateStyle = 'ISO'; SET intervalstyle = 'postgres'");
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return {
    dialect: 'postgres', sessionOffset: '',
    param: (n) => `$${n}`,
    quote: quoteWith('"'),
    get broken() { return broken; },
    async query(sql, params = []) {
      const r = await client.query({ text: sql, values: params });
      const timeColumns = new Map<string, TimeType>();
      for (const f of r.fields) {
        if (f.dataTypeID === PG_TIMESTAMPTZ) timeColumns.set(f.name, 'offset');
        else if (f.dataTypeID === PG_TIMESTAMP || f.dataTypeID === PG_DATE) timeColumns.set(f.name, 'naive');
      }
      return { rows: r.rows, timeColumns };
    },
    async close() { broken = true; await client.end().catch(() => undefined); },
  };
}

// mysql2 column types
const MY_TIMESTAMP = 7, MY_DATE = 10, MY_DATETIME = 12, MY_NEWDATE = 14;

async function connectMysql(url: string, o: ConnectOptions): Promise<SqlConnection> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({
    uri: url, connectTimeout: Math.ceil(o.timeoutMs), dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
  });
  let broken = false;
  conn.on('error', () => { broken = true; });
  let sessionOffset = '+00:00';
  try {
    // TIMESTAMP values are shown in the session's zone; NOW() too (settle_ms compares with it). Learn the offset.
    const [rows] = await conn.query({ sql: 'SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) AS off', timeout: o.timeoutMs });
    const off = Number((rows as Array<{ off: number | string }>)[0]!.off);
    const a = Math.abs(off);
    sessionOffset = `${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  } catch (e) {
    await conn.end().catch(() => undefined);
    throw e;
  }
  // Server-side statement limit as well, so a timed-out query does not run on (MariaDB; MySQL 5.7+: SELECT only).
  await conn.query(`SET SESSION max_statement_time = ${o.timeoutMs / 1000}`)
    .catch(() => conn.query(`SET SESSION max_execution_time = ${Math.ceil(o.timeoutMs)}`)).catch(() => undefined);
  return {
    dialect: 'mysql', sessionOffset,
    param: () => '?',
    quote: quoteWith('`'),
    get broken() { return broken; },
    async query(sql, params = []) {
      try {
        const [rows, fields] = await conn.query({ sql, timeout: Math.ceil(o.timeoutMs) }, params);
        const timeColumns = new Map<string, TimeType>();
        for (const f of (fields ?? []) as Array<{ name: string; columnType?: number; type?: number }>) {
          const t = f.columnType ?? f.type;
          if (t === MY_TIMESTAMP) timeColumns.set(f.name, 'fixed');
          else if (t === MY_DATETIME || t === MY_DATE || t === MY_NEWDATE) timeColumns.set(f.name, 'naive');
        }
        return { rows: rows as Record<string, unknown>[], timeColumns };
      } catch (e) {
        // A client-side timeout or protocol error leaves the connection unusable.
        if ((e as { fatal?: boolean }).fatal || /timeout/i.test(String((e as Error).message))) broken = true;
        throw e;
      }
    },
    async close() { broken = true; await conn.end().catch(() => { conn.destroy(); }); },
  };
}

export function connect(driver: Dialect, url: string, o: ConnectOptions): Promise<SqlConnection> {
  return driver === 'postgres' ? connectPostgres(url, o) : connectMysql(url, o);
}

/** A URL with its password hidden, for logs and health. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
