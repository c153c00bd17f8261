// `lifeline conformance sqldb --url …`: check a vendor's intermediate table, read-only, against the standard table of
// `lifeline sqlpoll init-schema`: columns, types, zone handling, indexes, a write pattern that cannot skip rows.
import { LifelineError } from '../../hub/sdk/errors.ts';
import { parseTime, isValidZone } from '../../hub/time/parse.ts';
import { isValidUnit } from '../../hub/units/convert.ts';
import { sourceFlags, observationKinds } from '../../hub/sdk/enums.ts';
import { connect, redactUrl, type SqlConnection } from '../../adapters/sql_poll/db.ts';
import { dialectOf } from '../../adapters/sql_poll/cli.ts';
import { checkTableName, STANDARD_COLUMNS, STANDARD_TABLE, type Dialect } from '../../adapters/sql_poll/ddl.ts';
import { failed, passed, warned, type Outcome } from '../model.ts';
import { EvidenceLog, listSome, productStatement, quantile, sealLive, type LiveRun } from '../live/report.ts';
import { newestRows, readCatalog, type Column, type RowSample } from './catalog.ts';

export interface SqldbRunOptions {
  url: string;
  table?: string;
  /** Zone of wall-clock times (MySQL DATETIME), default Asia/Shanghai. */
  timezone?: string;
  /** The hub's settle window the write pattern is judged against (default 5000 ms). */
  settleMs?: number;
  /** Newest rows sampled (default 10,000). */
  rows?: number;
  capabilities?: string;
  vendor?: string;
  product?: string;
  version?: string;
  key?: { key: Uint8Array | string; id?: string };
  timeoutMs?: number;
}

const bad = (msg: string) => new LifelineError('CONFORMANCE_INVALID', msg);
const C = STANDARD_COLUMNS;
const TEXT = /char|text|string/;
const INT64 = /^(bigint|int8)$/;
const FLOAT = /^(double precision|double|real|float|numeric|decimal)$/;
const DATETIME = /^(timestamp|timestamp with(out)? time zone|datetime|datetime2)$/;

export async function runSqldb(o: SqldbRunOptions): Promise<LiveRun> {
  const table = o.table ?? STANDARD_TABLE;
  try { checkTableName(table); } catch (e) { throw bad(`--table: ${(e as Error).message}`); }
  let dialect: Dialect;
  try { dialect = dialectOf(o.url); } catch (e) { throw bad(`--url: ${(e as Error).message}`); }
  if (dialect === 'mssql') throw bad('--url: the intermediate-db profile checks PostgreSQL and MySQL/MariaDB (SQL Server: not yet)');
  const zone = o.timezone ?? 'Asia/Shanghai';
  if (!isValidZone(zone)) throw bad(`--timezone: "${zone}" is not an IANA time zone`);
  const settleMs = o.settleMs ?? 5000;
  const statement = productStatement(o.capabilities, { vendor: o.vendor ?? 'unknown', name: o.product ?? `intermediate table ${table}`, version: o.version ?? 'unspecified' });
  const log = new EvidenceLog();
  const outcomes = new Map<string, Outcome>();
  const started = Date.now();
  const where = `${redactUrl(o.url)} table ${table}`;
  const finish = () => sealLive({
    profile: 'intermediate-db', statement, declared: new Set(['sqldb']), outcomes, started, ended: Date.now(), log, key: o.key,
    subject: { kind: 'intermediate-db', vendor: statement.statement.product.vendor, product: statement.statement.product.name, version: statement.statement.product.version, identity: `table ${table} (${dialect})`, endpoint: redactUrl(o.url) },
  });

  let conn: SqlConnection;
  try {
    conn = await connect(dialect, o.url, { timeoutMs: o.timeoutMs ?? 10_000 });
  } catch (e) {
    outcomes.set('SQLDB-TABLE-001', failed(`cannot connect to ${redactUrl(o.url)}: ${(e as Error).message}`, [EvidenceLog.at(log.add('conn', `connect failed: ${(e as Error).message}`), 'connect')]));
    return finish();
  }
  try {
    // Read-only from here on: the kit never writes to a vendor's database.
    await conn.query(dialect === 'postgres' ? 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY' : 'SET SESSION TRANSACTION READ ONLY');
    log.add('conn', `connected to ${redactUrl(o.url)} (${dialect}); session read-only`);
    try {
      await conn.query(`SELECT * FROM ${conn.quote(table)} WHERE 1 = 0`);
    } catch (e) {
      outcomes.set('SQLDB-TABLE-001', failed(`${where}: ${(e as Error).message}`, [EvidenceLog.at(log.note(`SELECT failed: ${(e as Error).message}`), 'SELECT')]));
      return finish();
    }
    const cat = await readCatalog(conn, table);
    const catEv = log.note(`catalog of ${table}: columns ${cat.columns.map((c) => `${c.name} ${c.type}${c.maxLength ? `(${c.maxLength})` : ''}${c.nullable ? '' : ' NOT NULL'}${c.default !== null ? ` DEFAULT ${c.default}` : ''}${c.generated ? ' generated' : ''}${c.onUpdate ? ' ON UPDATE' : ''}`).join(', ')}; indexes ${cat.indexes.map((i) => `${i.name}${i.primary ? ' PRIMARY' : i.unique ? ' UNIQUE' : ''} (${i.columns.join(', ')})`).join('; ') || 'none'}; update triggers ${cat.updateTriggers.join(', ') || 'none'}; write privileges ${cat.writePrivileges.join(', ') || 'none'}`);
    const ev = [EvidenceLog.at(catEv, 'catalog', 'note')];
    outcomes.set('SQLDB-TABLE-001', passed(`${where} is readable`, ev));
    const cols = new Map(cat.columns.map((c) => [c.name.toLowerCase(), c] as const));

    // COL-001 … COL-004
    const std = Object.values(C);
    const missing = std.filter((n) => !cols.has(n));
    outcomes.set('SQLDB-COL-001', missing.length ? failed(`missing column(s): ${missing.join(', ')}`, ev) : passed(`all ${std.length} standard columns present`, ev));
    const typeOk: Record<string, (c: Column) => string | undefined> = {
      [C.id]: (c) => (INT64.test(c.type) ? undefined : `${c.type}, not a 64-bit integer (bigint)`),
      [C.device]: (c) => (!TEXT.test(c.type) ? `${c.type}, not text` : c.maxLength !== null && c.maxLength < 64 ? `${c.type}(${c.maxLength}), shorter than 64 characters` : undefined),
      [C.field]: (c) => (!TEXT.test(c.type) ? `${c.type}, not text` : c.maxLength !== null && c.maxLength < 64 ? `${c.type}(${c.maxLength}), shorter than 64 characters` : undefined),
      [C.kind]: (c) => (TEXT.test(c.type) ? undefined : `${c.type}, not text`),
      [C.value]: (c) => (FLOAT.test(c.type) ? undefined : `${c.type}, not a floating-point or decimal number`),
      [C.unit]: (c) => (TEXT.test(c.type) ? undefined : `${c.type}, not text`),
      [C.time]: (c) => (DATETIME.test(c.type) ? undefined : `${c.type}, not a date-time`),
      [C.flag]: (c) => (TEXT.test(c.type) ? undefined : `${c.type}, not text`),
      [C.created]: (c) => (DATETIME.test(c.type) ? undefined : `${c.type}, not a date-time`),
    };
    const typeBad = std.filter((n) => cols.has(n)).map((n) => { const w = typeOk[n]!(cols.get(n)!); return w ? `${n} is ${w}` : undefined; }).filter((x): x is string => !!x);
    outcomes.set('SQLDB-COL-002', typeBad.length ? failed(typeBad.join('; '), ev) : missing.length ? failed(`cannot judge missing column(s) ${missing.join(', ')}`, ev) : passed('every column\'s type fits', ev));
    const mustNotNull = [C.device, C.field, C.kind, C.time, C.flag, C.created].filter((n) => cols.get(n)?.nullable);
    outcomes.set('SQLDB-COL-003', mustNotNull.length ? failed(`nullable but required: ${mustNotNull.join(', ')}`, ev) : passed('required columns are NOT NULL', ev));
    const defBad: string[] = [];
    if (cols.has(C.kind) && !/rtd/.test(cols.get(C.kind)!.default ?? '')) defBad.push(`kind DEFAULT ${cols.get(C.kind)!.default ?? 'none'}, not 'rtd'`);
    if (cols.has(C.flag) && !/\bN\b/.test(cols.get(C.flag)!.default ?? '')) defBad.push(`flag DEFAULT ${cols.get(C.flag)!.default ?? 'none'}, not 'N'`);
    if (cols.has(C.created) && !/now|current_timestamp|sysdatetime|clock_timestamp|localtimestamp/i.test(cols.get(C.created)!.default ?? '')) defBad.push(`created_at DEFAULT ${cols.get(C.created)!.default ?? 'none'}, not the clock`);
    outcomes.set('SQLDB-COL-004', defBad.length ? failed(defBad.join('; '), ev) : passed('defaults rtd, N and the clock', ev));

    // TIME-001
    const dt = cols.get(C.time);
    if (!dt) outcomes.set('SQLDB-TIME-001', failed('no data_time column', ev));
    else if (dialect === 'postgres') {
      outcomes.set('SQLDB-TIME-001', /with time zone/.test(dt.type) ? passed('data_time is timestamptz: the instant is exact', ev)
        : failed(`data_time is ${dt.type}: each writer's session zone decides what instant it means; make it timestamptz`, ev));
    } else {
      outcomes.set('SQLDB-TIME-001', dt.type === 'datetime' ? passed(`data_time is DATETIME: wall-clock time, read in the agreed zone ${zone}`, ev)
        : dt.type === 'timestamp' ? passed('data_time is TIMESTAMP: stored as UTC, converted by the session zone', ev) : failed(`data_time is ${dt.type}`, ev));
    }

    // IDX-001, IDX-002, WRITE-001, WRITE-002, ACCT-001 from the catalog
    const leads = (col: string, unique: boolean) => cat.indexes.filter((i) => i.columns[0]?.toLowerCase() === col && (!unique || i.unique || i.primary));
    const idIdx = leads(C.id, true);
    outcomes.set('SQLDB-IDX-001', idIdx.length ? passed(`id leads ${idIdx.map((i) => i.name).join(', ')}`, ev)
      : failed(`no primary key or unique index starts with id (${leads(C.id, false).length ? 'only a non-unique one' : 'none at all'}): every poll (WHERE id > cursor ORDER BY id) scans the table`, ev));
    const caIdx = leads(C.created, false);
    outcomes.set('SQLDB-IDX-002', caIdx.length ? passed(`created_at leads ${caIdx.map((i) => i.name).join(', ')}`, ev)
      : failed(`no index starts with created_at: the settle window (created_at < now() − settle_ms) scans the table; CREATE INDEX ${table.split('.').pop()}_created_at_idx ON ${table} (created_at)`, ev));
    const idCol = cols.get(C.id);
    outcomes.set('SQLDB-WRITE-001', !idCol ? failed('no id column', ev) : idCol.generated ? passed(`id is generated by the database (${dialect === 'postgres' ? idCol.default ?? 'identity' : 'AUTO_INCREMENT'})`, ev)
      : failed('id has no identity, serial or AUTO_INCREMENT default: writers choose ids, and one written below the hub\'s cursor is never read', ev));
    const rewrites = [...cat.columns.filter((c) => c.onUpdate).map((c) => `${c.name} ON UPDATE CURRENT_TIMESTAMP`), ...cat.updateTriggers.map((n) => `trigger ${n} on UPDATE`)];
    outcomes.set('SQLDB-WRITE-002', rewrites.length ? failed(`rows are rewritten in place: ${rewrites.join(', ')}; a row the hub has read is never read again`, ev) : passed('no ON UPDATE column, no UPDATE trigger', ev));
    outcomes.set('SQLDB-ACCT-001', cat.writePrivileges.length ? failed(`the account in --url may ${cat.writePrivileges.join(', ')} on ${table}; give the hub a SELECT-only account`, ev) : passed('the account can only read', ev));

    // TIME-002, WRITE-003, DATA-001 from the newest rows
    if (missing.length) {
      for (const id of ['SQLDB-TIME-002', 'SQLDB-WRITE-003', 'SQLDB-DATA-001']) outcomes.set(id, failed(`cannot sample rows without column(s) ${missing.join(', ')}`, ev));
    } else {
      const rows = await newestRows(conn, table, cols, o.rows ?? 10_000);
      const rowsEv = log.note(`sampled the newest ${rows.length} row(s)${rows.length ? ` (ids ${rows.at(-1)!.id}…${rows[0]!.id})` : ''}`);
      if (!rows.length) {
        for (const id of ['SQLDB-TIME-002', 'SQLDB-WRITE-003', 'SQLDB-DATA-001']) outcomes.set(id, warned('inconclusive: the table has no rows yet; run the kit again once the vendor has written some', [EvidenceLog.at(rowsEv, 'sample', 'note')]));
      } else judgeRows(rows.reverse(), zone, settleMs, outcomes, EvidenceLog.at(rowsEv, 'sample', 'note'));
    }
  } finally {
    await conn.close();
  }
  return finish();
}

const instant = (text: string, zone: string) => (/^-?\d+(\.\d+)?$/.test(text) ? Math.round(Number(text)) : parseTime(text.replace(/(\.\d{3})\d+$/, '$1'), zone));

/** Rows in id order (ascending). */
function judgeRows(rows: RowSample[], zone: string, settleMs: number, outcomes: Map<string, Outcome>, ev: ReturnType<typeof EvidenceLog.at>) {
  const lags: number[] = [];
  const ahead: string[] = [];
  let back = { by: 0, at: '' };
  let maxCreated = Number.NEGATIVE_INFINITY, maxId = '';
  for (const r of rows) {
    const d = instant(r.data_time, zone), c = instant(r.created_at, zone);
    if (Number.isNaN(d) || Number.isNaN(c)) continue;
    lags.push(c - d);
    if (d - c > 300_000) ahead.push(`id ${r.id}`);
    if (maxCreated - c > back.by) back = { by: maxCreated - c, at: `id ${r.id} written ${((maxCreated - c) / 1000).toFixed(1)} s before id ${maxId}` };
    if (c > maxCreated) { maxCreated = c; maxId = r.id; }
  }
  const med = quantile(lags, 0.5);
  const hours = med / 3_600_000;
  const wholeHours = Math.abs(hours) >= 0.9 && Math.abs(hours - Math.round(hours)) < 0.05;
  outcomes.set('SQLDB-TIME-002', ahead.length
    ? failed(`${ahead.length} of ${rows.length} rows have data_time more than 5 min after created_at (${listSome(ahead, 3)}); median lag ${(med / 1000).toFixed(1)} s: the times are not ${zone} wall-clock time`, [ev])
    : wholeHours ? failed(`median lag created_at − data_time is ${hours.toFixed(2)} h: data_time looks written in another zone than ${zone} (offset ${Math.round(hours) > 0 ? '−' : '+'}${Math.abs(Math.round(hours))} h)`, [ev])
      : passed(`${lags.length} rows: median lag created_at − data_time ${(med / 1000).toFixed(1)} s`, [ev]));
  outcomes.set('SQLDB-WRITE-003', back.by > settleMs
    ? failed(`in id order created_at falls back ${(back.by / 1000).toFixed(1)} s (> settle ${settleMs / 1000} s): ${back.at}; a transaction held an id that long, and a cursor past the later id skips it`, [ev])
    : passed(`${rows.length} rows in id order; created_at falls back at most ${(back.by / 1000).toFixed(3)} s (settle ${settleMs / 1000} s)`, [ev]));
  const probs: string[] = [];
  for (const r of rows) {
    if (!(observationKinds as readonly string[]).includes(String(r.kind))) probs.push(`id ${r.id}: kind ${JSON.stringify(r.kind)}`);
    if (!(sourceFlags as readonly string[]).includes(String(r.flag))) probs.push(`id ${r.id}: flag ${JSON.stringify(r.flag)}`);
    if (r.value === null && r.flag === 'N') probs.push(`id ${r.id}: NULL value with flag N`);
    if (r.value !== null && !Number.isFinite(Number(r.value))) probs.push(`id ${r.id}: value ${JSON.stringify(r.value)}`);
    if (r.unit !== null && r.unit !== undefined && !isValidUnit(String(r.unit))) probs.push(`id ${r.id}: unit ${JSON.stringify(r.unit)} is not UCUM`);
  }
  outcomes.set('SQLDB-DATA-001', probs.length ? failed(`${probs.length} problem(s) in ${rows.length} rows: ${listSome(probs, 4)}`, [ev]) : passed(`${rows.length} rows valid`, [ev]));
}
