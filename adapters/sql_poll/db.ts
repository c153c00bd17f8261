// One connection to a source database, the same small surface for PostgreSQL (pg), MySQL/MariaDB (mysql2) and
// SQL Server (mssql on tedious).
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

/**
 * Connecting (and the session setup queries) may take longer than a tight statement timeout: a timeout_s of 0.5 s is
 * a budget for a page query, and a loaded network or server can take more than that to accept a connection. A
 * connect failure would then hide what is really slow. So connects get at least this long.
 */
export const MIN_CONNECT_TIMEOUT_MS = 5000;
const connectMs = (o: ConnectOptions) => Math.ceil(Math.max(o.timeoutMs, MIN_CONNECT_TIMEOUT_MS));

const quoteWith = (q: string) => (id: string) => id.split('.').map((p) => `${q}${p.replaceAll(q, q + q)}${q}`).join('.');

// PostgreSQL type oids
const PG_TIMESTAMPTZ = 1184, PG_TIMESTAMP = 1114, PG_DATE = 1082;

async function connectPostgres(url: string, o: ConnectOptions): Promise<SqlConnection> {
  const client = new pg.Client({
    connectionString: url, connectionTimeoutMillis: connectMs(o),
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
    uri: url, connectTimeout: connectMs(o), dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
  });
  let broken = false;
  conn.on('error', () => { broken = true; });
  let sessionOffset = '+00:00';
  try {
    // TIMESTAMP values are shown in the session's zone; NOW() too (settle_ms compares with it). Learn the offset.
    const [rows] = await conn.query({ sql: 'SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) AS off', timeout: connectMs(o) });
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

// ---- SQL Server (mssql / tedious) ----

/** mssql's connection config, from an `mssql://user:pass@host[:port]/db?encrypt=…&trustServerCertificate=…` URL. */
export interface MssqlConfig {
  server: string; port?: number; database?: string; user?: string; password?: string;
  options: { encrypt: boolean; trustServerCertificate: boolean; instanceName?: string; appName: string; useUTC: true };
}

const MSSQL_PARAMS = new Set(['encrypt', 'trustServerCertificate', 'instanceName']);

/** Parse a SQL Server URL (scheme mssql: or sqlserver:; user and password percent-encoded) into mssql's config. */
export function parseMssqlUrl(url: string): MssqlConfig {
  let u: URL;
  try { u = new URL(url); } catch { throw new Error(`not a URL: ${redactUrl(url)}`); }
  if (u.protocol !== 'mssql:' && u.protocol !== 'sqlserver:') throw new Error(`SQL Server URL must start with mssql://, not ${u.protocol}//`);
  if (!u.hostname) throw new Error('SQL Server URL: host missing');
  const bool = (k: string, dflt: boolean) => {
    const v = u.searchParams.get(k);
    if (v === null) return dflt;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new Error(`SQL Server URL: ${k}=${v}: true or false`);
  };
  for (const k of u.searchParams.keys()) if (!MSSQL_PARAMS.has(k)) throw new Error(`SQL Server URL: unknown parameter "${k}" (encrypt, trustServerCertificate, instanceName)`);
  const dec = (s: string) => (s === '' ? undefined : decodeURIComponent(s));
  const path = u.pathname.replace(/^\//, '');
  if (path.includes('/')) throw new Error(`SQL Server URL: the path must be /database, not /${path}`);
  const cfg: MssqlConfig = {
    server: u.hostname.replace(/^\[|\]$/g, ''),
    options: { encrypt: bool('encrypt', true), trustServerCertificate: bool('trustServerCertificate', false), appName: 'lifeline-hub sql_poll', useUTC: true },
  };
  const instance = u.searchParams.get('instanceName');
  if (instance) cfg.options.instanceName = instance;
  if (u.port) cfg.port = Number(u.port);
  else if (!instance) cfg.port = 1433;
  const db = dec(path), user = dec(u.username), password = dec(u.password);
  if (db !== undefined) cfg.database = db;
  if (user !== undefined) cfg.user = user;
  if (password !== undefined) cfg.password = password;
  return cfg;
}

/** A result column as SQL Server describes it: mssql's type declaration (`datetime2`, `bigint` …) and scale. */
export interface MssqlColumn { name: string; type: string; scale?: number }

/**
 * The small surface of a SQL Server connection that the adapter needs. The real one is mssql's ConnectionPool
 * (openMssql below); tests put a fake here, since no SQL Server can run in this project's CI.
 */
export interface MssqlRunner {
  query(sql: string, params: Array<{ name: string; value: unknown }>): Promise<{ rows: Record<string, unknown>[]; columns: MssqlColumn[] }>;
  /** Called once when the pool reports an error (lost connection). */
  onError(cb: (e: Error) => void): void;
  close(): Promise<void>;
}

/** Opens a SQL Server connection (replaceable: `mssqlDriver.open = …` in tests). */
export const mssqlDriver = {
  async open(url: string, o: ConnectOptions): Promise<MssqlRunner> {
    const mod = (await import('mssql' as string)) as { default?: unknown };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const sql = (mod.default ?? mod) as any;
    const cfg = parseMssqlUrl(url);
    const pool = new sql.ConnectionPool({
      ...cfg, connectionTimeout: connectMs(o), requestTimeout: Math.ceil(o.timeoutMs),
      pool: { min: 0, max: 1, idleTimeoutMillis: 600_000 },
    });
    await pool.connect();
    return {
      async query(text, params) {
        const req = pool.request();
        for (const p of params) {
          // Bound, never spliced into the text: strings as NVARCHAR, integers as BIGINT, other numbers as FLOAT.
          const v = p.value;
          const type = typeof v === 'string' ? sql.NVarChar(4000) : typeof v === 'number' && Number.isInteger(v) ? sql.BigInt : typeof v === 'number' ? sql.Float : undefined;
          if (type) req.input(p.name, type, v); else req.input(p.name, v);
        }
        const r = await req.query(text);
        const cols = (r.recordset?.columns ?? {}) as Record<string, { name: string; type?: { declaration?: string }; scale?: number }>;
        return {
          rows: (r.recordset ?? []) as Record<string, unknown>[],
          columns: Object.values(cols).map((c) => ({ name: c.name, type: String(c.type?.declaration ?? ''), scale: c.scale })),
        };
      },
      onError(cb) { pool.on('error', cb); },
      async close() { await pool.close(); },
    };
  },
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * A date/time value from tedious (a Date; with useUTC its UTC fields are the stored wall-clock value of DATETIME2,
 * DATETIME, DATE, or the instant of DATETIMEOFFSET; `nanosecondsDelta` carries digits below the millisecond) → the
 * text SQL Server would print, exact to the column's scale, so a cursor built from it compares equal in SQL Server.
 */
export function mssqlTimeText(d: Date, type: string, scale?: number): string {
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (type === 'date') return date;
  let clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const digits = type === 'datetime' ? 3 : type === 'smalldatetime' ? 0 : Math.min(7, Math.max(0, scale ?? 7));
  if (digits > 0) {
    const delta = (d as Date & { nanosecondsDelta?: number }).nanosecondsDelta ?? 0; // seconds below the ms, < 0.001
    const units = d.getUTCMilliseconds() * 10_000 + Math.round(delta * 1e7); // 100 ns units
    clock += `.${pad(units, 7).slice(0, digits)}`;
  }
  return `${date}T${clock}${type === 'datetimeoffset' ? '+00:00' : ''}`;
}

const MSSQL_NAIVE = new Set(['datetime2', 'datetime', 'smalldatetime', 'date']);

/** Wrap a SQL Server runner in the common surface: @pN parameters, [bracket] quoting, times as exact text. */
export function mssqlConnection(runner: MssqlRunner): SqlConnection {
  let broken = false;
  runner.onError(() => { broken = true; });
  return {
    dialect: 'mssql', sessionOffset: '',
    param: (n) => `@p${n}`,
    quote: (id) => id.split('.').map((p) => `[${p.replaceAll(']', ']]')}]`).join('.'),
    get broken() { return broken; },
    async query(sql, params = []) {
      let r;
      try {
        r = await runner.query(sql, params.map((value, i) => ({ name: `p${i + 1}`, value })));
      } catch (e) {
        // Timeouts (ETIMEOUT) and lost sockets (ESOCKET, ECONNCLOSED) leave the connection unusable.
        const code = String((e as { code?: string }).code ?? '');
        if (/^(ETIMEOUT|ESOCKET|ECONNCLOSED|ECONNRESET|ENOTOPEN)$/.test(code) || /timeout|closed|socket/i.test(String((e as Error).message))) broken = true;
        throw e;
      }
      const timeColumns = new Map<string, TimeType>();
      const times = r.columns.filter((c) => c.type === 'datetimeoffset' || MSSQL_NAIVE.has(c.type));
      for (const c of times) timeColumns.set(c.name, c.type === 'datetimeoffset' ? 'offset' : 'naive');
      if (times.length) {
        for (const row of r.rows) {
          for (const c of times) {
            const v = row[c.name];
            if (v instanceof Date && !Number.isNaN(v.getTime())) row[c.name] = mssqlTimeText(v, c.type, c.scale);
          }
        }
      }
      return { rows: r.rows, timeColumns };
    },
    async close() { broken = true; await runner.close().catch(() => undefined); },
  };
}

async function connectMssql(url: string, o: ConnectOptions): Promise<SqlConnection> {
  return mssqlConnection(await mssqlDriver.open(url, o));
}

export function connect(driver: Dialect, url: string, o: ConnectOptions): Promise<SqlConnection> {
  return driver === 'postgres' ? connectPostgres(url, o) : driver === 'mssql' ? connectMssql(url, o) : connectMysql(url, o);
}

/** A URL with its password hidden, for logs and health. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
