// SQL Server (driver: mssql). No SQL Server can run in this project's CI (only npm and Debian packages are
// reachable), so this file checks everything up to the wire without one: the generated T-SQL and its parameters
// (golden strings), URL → mssql config, the DDL, config validation, the conversion of values as tedious returns
// them, and — against a FAKE SQL Server runner (`MssqlRunner`, the adapter's own small interface in db.ts, not a
// fake TDS server) — that the poller pages, checkpoints, quarantines and reconnects as with the real databases.
import t from 'tap';
import AjvModule from 'ajv';
import { needService, postgresUp } from '../../../test/helpers/services.ts';
import { startTestHub, auth, KEYS } from '../../../test/helpers/hub.ts';
import { mssqlConnection, mssqlDriver, mssqlTimeText, parseMssqlUrl, type MssqlColumn, type MssqlRunner } from '../db.ts';
import { standardDdl, standardDdlText } from '../ddl.ts';
import { mapRow } from '../map.ts';
import { pageQuery, planOf } from '../source.ts';
import { sqlpollCommand } from '../cli.ts';
import { manifest, type SourceConfig } from '../manifest.ts';
import { rowsRegistry, stored, waitFor, DEVICES, FIELDS } from './fixtures/db.ts';

type Call = { sql: string; params: Array<{ name: string; value: unknown }> };
/** A runner that records what it is asked and answers with `answer`. */
function recorder(answer: (c: Call) => { rows: Record<string, unknown>[]; columns: MssqlColumn[] } = () => ({ rows: [], columns: [] })) {
  const calls: Call[] = [];
  let onErr: ((e: Error) => void) | undefined;
  const runner: MssqlRunner = {
    async query(sql, params) { calls.push({ sql, params }); return answer({ sql, params }); },
    onError(cb) { onErr = cb; },
    async close() {},
  };
  return { runner, calls, fail: (e: Error) => onErr?.(e) };
}

const src = (o: Partial<SourceConfig>): SourceConfig => ({ name: 's', driver: 'mssql', url: 'mssql://x@h/y', mode: 'standard', table: 'lifeline_reading', match: 'device', page_size: 100, interval_s: 1, timeout_s: 5, settle_ms: 0, start: 'beginning', ...o });

t.test('T-SQL page queries: TOP (@n), keyset conditions, [bracket] quoting, every value a parameter', async (t) => {
  const conn = mssqlConnection(recorder().runner);
  t.equal(conn.quote('dbo.lifeline_reading'), '[dbo].[lifeline_reading]', 'schema.table');
  t.equal(conn.quote('we]ird'), '[we]]ird]', '] doubled');
  t.same(pageQuery(conn, planOf(src({})), undefined, 100, 0),
    { sql: 'SELECT TOP (@p1) q.* FROM [lifeline_reading] q WHERE q.[id] IS NOT NULL ORDER BY q.[id]', params: [100] }, 'first page');
  t.same(pageQuery(conn, planOf(src({})), { id: '42' }, 5000, 0),
    { sql: 'SELECT TOP (@p2) q.* FROM [lifeline_reading] q WHERE q.[id] IS NOT NULL AND q.[id] > @p1 ORDER BY q.[id]', params: ['42', 5000] }, 'after id 42');
  t.same(pageQuery(conn, planOf(src({ settle_ms: 5000 })), { id: '42' }, 100, 5000),
    { sql: 'SELECT TOP (@p3) q.* FROM [lifeline_reading] q WHERE q.[id] IS NOT NULL AND q.[id] > @p1 AND q.[created_at] < DATEADD(millisecond, -@p2, SYSDATETIME()) ORDER BY q.[id]', params: ['42', 5000, 100] }, 'settled on created_at');
  const qp = planOf(src({ mode: 'query', query: 'SELECT r.rec_id, r.meter, r.val, r.ts FROM dbo.readings r;', tracking: { time: 'ts', id: 'rec_id' }, columns: { device: 'meter', field: 'meter', value: 'val' } }));
  t.same(pageQuery(conn, qp, undefined, 10, 0),
    { sql: 'SELECT TOP (@p1) q.* FROM (SELECT r.rec_id, r.meter, r.val, r.ts FROM dbo.readings r) q WHERE q.[rec_id] IS NOT NULL AND q.[ts] IS NOT NULL ORDER BY q.[ts], q.[rec_id]', params: [10] }, 'query mode, first page');
  t.same(pageQuery(conn, qp, { id: '9', time: '2026-01-01T08:00:00.1234567' }, 10, 0),
    { sql: 'SELECT TOP (@p4) q.* FROM (SELECT r.rec_id, r.meter, r.val, r.ts FROM dbo.readings r) q WHERE q.[rec_id] IS NOT NULL AND q.[ts] IS NOT NULL AND (q.[ts] > @p1 OR (q.[ts] = @p2 AND q.[rec_id] > @p3)) ORDER BY q.[ts], q.[rec_id]',
      params: ['2026-01-01T08:00:00.1234567', '2026-01-01T08:00:00.1234567', '9', 10] }, '(time, id) keyset: ts > @ts OR (ts = @ts AND id > @id)');
  const idOnly = planOf(src({ mode: 'query', query: 'SELECT * FROM v', tracking: { id: 'rid' }, columns: { device: 'd', field: 'f', value: 'v', time: 't' } }));
  t.same(pageQuery(conn, idOnly, { id: '7' }, 3, 0), { sql: 'SELECT TOP (@p2) q.* FROM (SELECT * FROM v) q WHERE q.[rid] IS NOT NULL AND q.[rid] > @p1 ORDER BY q.[rid]', params: ['7', 3] }, 'query mode, tracking id');

  // The parameters reach the runner by name, as values (never spliced into the text).
  const r = recorder();
  const c2 = mssqlConnection(r.runner);
  const { sql, params } = pageQuery(c2, qp, { id: "1'; DROP TABLE x --", time: '2026-01-01T00:00:00.000' }, 10, 0);
  await c2.query(sql, params);
  t.same(r.calls[0]!.params, [{ name: 'p1', value: '2026-01-01T00:00:00.000' }, { name: 'p2', value: '2026-01-01T00:00:00.000' }, { name: 'p3', value: "1'; DROP TABLE x --" }, { name: 'p4', value: 10 }], 'named @p1…@p4');
  t.notMatch(r.calls[0]!.sql, /DROP/, 'a hostile cursor value stays a parameter');
});

t.test('URL → mssql config', async (t) => {
  t.same(parseMssqlUrl('mssql://reader:secret@10.0.0.5:1433/middle?encrypt=true&trustServerCertificate=true'), {
    server: '10.0.0.5', port: 1433, database: 'middle', user: 'reader', password: 'secret',
    options: { encrypt: true, trustServerCertificate: true, appName: 'lifeline-hub sql_poll', useUTC: true },
  }, 'full URL');
  t.same(parseMssqlUrl('mssql://sa@db.example.com/ent'), {
    server: 'db.example.com', port: 1433, database: 'ent', user: 'sa',
    options: { encrypt: true, trustServerCertificate: false, appName: 'lifeline-hub sql_poll', useUTC: true },
  }, 'defaults: port 1433, encrypt on, certificate checked');
  const p = parseMssqlUrl(`sqlserver://lifeline%5Creader:${encodeURIComponent('p@ss:w/rd#%?&中')}@h:14330/db?encrypt=false`);
  t.equal(p.password, 'p@ss:w/rd#%?&中', 'password with special characters, percent-encoded');
  t.equal(p.user, 'lifeline\\reader', 'user with a backslash');
  t.same([p.port, p.options.encrypt, p.options.trustServerCertificate], [14330, false, false], 'port, encrypt=false');
  const inst = parseMssqlUrl('mssql://u:p@host/db?instanceName=SQLEXPRESS');
  t.same([inst.port, inst.options.instanceName], [undefined, 'SQLEXPRESS'], 'named instance: port from the browser service');
  t.throws(() => parseMssqlUrl('mssql://u:p@h/db?encrypt=maybe'), /encrypt=maybe: true or false/);
  t.throws(() => parseMssqlUrl('mssql://u:p@h/db?encrpyt=true'), /unknown parameter "encrpyt"/, 'a misspelt option is an error, not ignored');
  t.throws(() => parseMssqlUrl('postgres://u@h/db'), /must start with mssql:\/\//);
});

t.test('standard table DDL for SQL Server', async (t) => {
  const [table, index] = standardDdl('mssql');
  t.match(table!, /^IF OBJECT_ID\(N'lifeline_reading', N'U'\) IS NULL\nCREATE TABLE lifeline_reading \(/, 'idempotent: IF OBJECT_ID(...) IS NULL');
  t.match(table!, /id +BIGINT +IDENTITY\(1,1\) PRIMARY KEY/);
  t.match(table!, /device_code NVARCHAR\(128\) NOT NULL/, 'NVARCHAR codes (Chinese text)');
  t.match(table!, /value +FLOAT +NULL/);
  t.match(table!, /data_time +DATETIME2\(3\) +NOT NULL, +-- when it was measured, Beijing time/, 'same zone rule as MySQL');
  t.match(table!, /flag +CHAR\(1\) +NOT NULL DEFAULT 'N'/);
  t.match(table!, /created_at +DATETIME2\(3\) +NOT NULL DEFAULT SYSDATETIME\(\)/);
  t.equal(index, "IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'lifeline_reading_created_at_idx' AND object_id = OBJECT_ID(N'lifeline_reading'))\nCREATE INDEX lifeline_reading_created_at_idx ON lifeline_reading (created_at)");
  t.match(standardDdl('mssql', 'dbo.ent_readings')[1]!, /N'ent_readings_created_at_idx' AND object_id = OBJECT_ID\(N'dbo\.ent_readings'\)\)\nCREATE INDEX ent_readings_created_at_idx ON dbo\.ent_readings/, 'schema-qualified table');
  t.throws(() => standardDdl('mssql', "x'); DROP TABLE y --"), /letters, digits and _ only/, 'table name validated');

  let out = '', err = '';
  t.equal(await sqlpollCommand(['init-schema', '--driver', 'mssql', '--print'], (s) => { out += s; return true; }, (s) => { err += s; return true; }), 0, 'init-schema --driver mssql --print');
  t.equal(out, standardDdlText('mssql'), 'prints standardDdlText(mssql)');
  out = '';
  t.equal(await sqlpollCommand(['init-schema', '--url', 'mssql://sa:x@127.0.0.1:1/db', '--print', '--table', 'ent_readings'], (s) => { out += s; return true; }, (s) => { err += s; return true; }), 0, 'dialect from an mssql:// URL');
  t.equal(out, standardDdlText('mssql', 'ent_readings'));
  t.equal(err, '');
});

t.test('config: driver mssql is valid, others are not', async (t) => {
  const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as unknown as new (o: object) => { compile(s: object): (d: unknown) => boolean };
  const validate = new Ajv({ strict: false }).compile(manifest.configSchema as object);
  t.ok(validate({ sources: [{ name: 'ent_sqlserver', driver: 'mssql', url: 'mssql://reader:secret@10.0.0.5:1433/middle?encrypt=true&trustServerCertificate=true' }] }), 'standard mode');
  t.ok(validate({ sources: [{ name: 'scada', driver: 'mssql', url: 'mssql://r:s@h/db', mode: 'query', query: 'SELECT * FROM dbo.readings', tracking: { time: 'ts', id: 'rec_id' }, columns: { device: 'meter', field: 'tag', value: 'val' } }] }), 'query mode');
  t.notOk(validate({ sources: [{ name: 'x', driver: 'oracle', url: 'oracle://h/db' }] }), 'unknown driver rejected');
});

t.test('values as tedious returns them → text → readings', async (t) => {
  // DATETIME2(7) with digits below the millisecond (tedious: Date + nanosecondsDelta; useUTC: the UTC fields are the stored value).
  const d7 = new Date(Date.UTC(2026, 10, 25, 10, 0, 0, 123));
  Object.defineProperty(d7, 'nanosecondsDelta', { value: 0.0004567, enumerable: false });
  t.equal(mssqlTimeText(d7, 'datetime2', 7), '2026-11-25T10:00:00.1234567', 'DATETIME2(7): all 7 digits (the cursor must compare equal)');
  t.equal(mssqlTimeText(new Date(Date.UTC(2026, 10, 25, 10, 0, 0, 120)), 'datetime2', 3), '2026-11-25T10:00:00.120', 'DATETIME2(3)');
  t.equal(mssqlTimeText(new Date(Date.UTC(2026, 10, 25, 10, 0, 0, 7)), 'datetime', undefined), '2026-11-25T10:00:00.007', 'DATETIME: 3 digits (ISO form: independent of SET DATEFORMAT)');
  t.equal(mssqlTimeText(new Date(Date.UTC(2026, 10, 25, 10, 1)), 'smalldatetime', 0), '2026-11-25T10:01:00');
  t.equal(mssqlTimeText(new Date(Date.UTC(2026, 10, 25)), 'date', undefined), '2026-11-25');
  t.equal(mssqlTimeText(new Date('2026-11-25T10:00:00.500+08:00'), 'datetimeoffset', 3), '2026-11-25T02:00:00.500+00:00', 'DATETIMEOFFSET: the instant, in UTC');

  const columns: MssqlColumn[] = [
    { name: 'id', type: 'bigint' }, { name: 'device_code', type: 'nvarchar' }, { name: 'field_code', type: 'nvarchar' }, { name: 'kind', type: 'nvarchar' },
    { name: 'value', type: 'decimal', scale: 3 }, { name: 'unit', type: 'nvarchar' }, { name: 'data_time', type: 'datetime2', scale: 3 }, { name: 'flag', type: 'char' },
    { name: 'measured', type: 'datetimeoffset', scale: 3 },
  ];
  const rows = () => [
    // BIGINT comes back as a string, DECIMAL as a number.
    { id: '9007199254740993', device_code: 'D001', field_code: 'f1', kind: 'rtd', value: 0.25, unit: 'MPa', data_time: new Date(Date.UTC(2026, 10, 25, 10, 0, 0, 500)), flag: 'N', measured: new Date('2026-11-25T10:00:00.500+08:00') },
    { id: '8', device_code: '湖滨路1号', field_code: 'f1', kind: 'rtd', value: '12.5', unit: null, data_time: new Date(Date.UTC(2026, 10, 25, 10, 0, 1)), flag: 'N', measured: null },
  ];
  const r = recorder(() => ({ rows: rows(), columns }));
  const res = await mssqlConnection(r.runner).query('SELECT …');
  t.same([...res.timeColumns], [['data_time', 'naive'], ['measured', 'offset']], 'DATETIME2 is wall-clock time, DATETIMEOFFSET an instant');
  t.same([res.rows[0]!.data_time, res.rows[0]!.measured, res.rows[1]!.measured], ['2026-11-25T10:00:00.500', '2026-11-25T02:00:00.500+00:00', null]);
  const spec = { source: 'ent', idColumn: 'id', match: 'device' as const, fixed: {}, sessionOffset: '', columns: { device: 'device_code', field: 'field_code', kind: 'kind', value: 'value', unit: 'unit', time: 'data_time', flag: 'flag' } };
  t.same(mapRow(res.rows[0]!, spec, res.timeColumns), { reading: { device: 'D001', field: 'f1', time: '2026-11-25T10:00:00.500', value: 0.25, unit: 'MPa', flag: 'N', kind: 'rtd', message_id: 'ent:9007199254740993' } }, 'BIGINT id kept exact in message_id; DATETIME2 → wall-clock (zone rule applies later)');
  t.same(mapRow(res.rows[1]!, { ...spec, columns: { ...spec.columns, time: 'data_time' } }, res.timeColumns), { reading: { device: '湖滨路1号', field: 'f1', time: '2026-11-25T10:00:01.000', value: 12.5, flag: 'N', kind: 'rtd', message_id: 'ent:8' } }, 'NVARCHAR Chinese code, numeric text');
  t.same(mapRow(res.rows[0]!, { ...spec, columns: { ...spec.columns, time: 'measured' } }, res.timeColumns), { reading: { device: 'D001', field: 'f1', time: '2026-11-25T02:00:00.500+00:00', value: 0.25, unit: 'MPa', flag: 'N', kind: 'rtd', message_id: 'ent:9007199254740993' } }, 'DATETIMEOFFSET → exact instant');

  // Connection loss: a socket error marks the connection broken (the poller opens a new one).
  const lost = mssqlConnection({ async query() { throw Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' }); }, onError() {}, async close() {} });
  await t.rejects(lost.query('SELECT 1'), /ECONNRESET/);
  t.equal(lost.broken, true, 'ESOCKET → broken');
  const rec = recorder();
  const c = mssqlConnection(rec.runner);
  t.equal(c.broken, false);
  rec.fail(new Error('pool error'));
  t.equal(c.broken, true, 'pool error event → broken');
});

t.test('the real mssql driver loads and reports a refused connection (the only live I/O possible here)', async (t) => {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r)); // nothing listens there now
  const { connect } = await import('../db.ts');
  const t0 = Date.now();
  await t.rejects(connect('mssql', `mssql://sa:x@127.0.0.1:${port}/db?trustServerCertificate=true`, { timeoutMs: 3000 }), { code: 'ESOCKET' }, 'ESOCKET from tedious');
  t.ok(Date.now() - t0 < 10_000, 'within the connect timeout');
});

// ---------------------------------------------------------------------------------------------------------------
// The poller against a FAKE SQL Server: an in-memory standard table behind the MssqlRunner interface. It accepts only
// the exact T-SQL shapes above (anything else fails the test), so the poller's paging, checkpoints, quarantine and
// reconnects are exercised with the SQL Server dialect end to end — but not the mssql/tedious wire protocol.

const N = 2_000;
const BAD_VALUE = 199, UNKNOWN = 331;
const COLS: MssqlColumn[] = [
  { name: 'id', type: 'bigint' }, { name: 'device_code', type: 'nvarchar' }, { name: 'field_code', type: 'nvarchar' }, { name: 'kind', type: 'nvarchar' },
  { name: 'value', type: 'float' }, { name: 'unit', type: 'nvarchar' }, { name: 'data_time', type: 'datetime2', scale: 3 }, { name: 'flag', type: 'char' },
  { name: 'created_at', type: 'datetime2', scale: 3 },
];
/** Row k as tedious would return it: BIGINT id as a string, DATETIME2 as a Date whose UTC fields are Beijing wall time. */
const fakeRow = (k: number) => ({
  id: String(k), device_code: k % UNKNOWN === 0 ? 'NOPE' : `D${String(k % DEVICES).padStart(3, '0')}`, field_code: `f${Math.floor(k / DEVICES) % FIELDS}`,
  kind: 'rtd', value: k % BAD_VALUE === 0 ? null : (k % 2000) / 1000, unit: null, data_time: new Date(Date.UTC(2026, 0, 1, 8, 0, k)), flag: 'N',
  created_at: new Date(Date.UTC(2026, 0, 1, 8, 0, k)),
});

function fakeSqlServer(o: { failAtCall: number }) {
  const log = { opens: 0, pages: [] as Array<{ after: number; top: number }>, unexpected: [] as string[], calls: 0 };
  const open = async (): Promise<MssqlRunner> => {
    log.opens++;
    let onErr: ((e: Error) => void) | undefined;
    return {
      async query(sql, params) {
        log.calls++;
        if (log.calls === o.failAtCall) { onErr?.(new Error('socket hang up')); throw Object.assign(new Error('Connection lost - socket hang up'), { code: 'ESOCKET' }); }
        const p = Object.fromEntries(params.map((x) => [x.name, x.value]));
        if (sql === 'SELECT max(q.[id]) AS m FROM [lifeline_reading] q') return { rows: [{ m: String(N) }], columns: [{ name: 'm', type: 'bigint' }] };
        let after = 0, top: number;
        if (sql === 'SELECT TOP (@p1) q.* FROM [lifeline_reading] q WHERE q.[id] IS NOT NULL ORDER BY q.[id]') top = Number(p.p1);
        else if (sql === 'SELECT TOP (@p2) q.* FROM [lifeline_reading] q WHERE q.[id] IS NOT NULL AND q.[id] > @p1 ORDER BY q.[id]') { after = Number(p.p1); top = Number(p.p2); }
        else { log.unexpected.push(sql); throw new Error(`fake SQL Server: unexpected statement ${sql}`); }
        log.pages.push({ after, top });
        const rows = [];
        for (let k = after + 1; k <= Math.min(N, after + top); k++) rows.push(fakeRow(k));
        return { rows, columns: COLS };
      },
      onError(cb) { onErr = cb; },
      async close() {},
    };
  };
  return { log, open };
}

t.test('poller with a FAKE SQL Server: pages, checkpoints, quarantine, reconnect (not a live server)', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const fake = fakeSqlServer({ failAtCall: 6 });
  const realOpen = mssqlDriver.open;
  mssqlDriver.open = (url) => { t.equal(url, 'mssql://reader:s%40cret@sqlserver.test:1433/middle?encrypt=true'); return fake.open(); };
  t.teardown(() => { mssqlDriver.open = realOpen; });
  const h = await startTestHub('postgres', (c) => {
    c.registry = rowsRegistry() as typeof c.registry;
    c.adapters = { sql_poll: { backoff_initial_s: 0.05, backoff_max_s: 0.2, sources: [{ name: 'ent_mssql', driver: 'mssql', url: 'mssql://reader:s%40cret@sqlserver.test:1433/middle?encrypt=true', page_size: 300, interval_s: 0.1 }] } };
  });
  t.teardown(() => h.cleanup());
  const q = (sql: string, p?: unknown[]) => h.hub.db.query(sql, p);
  await waitFor('the cursor to reach the last row', 30_000, async () => (await stored(q, 'ent_mssql')).cursor >= N, 50);
  const got = await stored(q, 'ent_mssql');
  const bad = Array.from({ length: N }, (_, i) => i + 1);
  const good = bad.filter((k) => k % BAD_VALUE !== 0 && k % UNKNOWN !== 0);
  const rejected = bad.filter((k) => k % BAD_VALUE === 0).length, unknown = bad.filter((k) => k % BAD_VALUE !== 0 && k % UNKNOWN === 0).length;
  t.same(fake.log.unexpected, [], 'only the expected T-SQL was sent');
  t.equal(got.count, good.length, `every good row stored (${got.count})`);
  t.equal(got.distinctIds, good.length, 'each exactly once (the page lost to the dropped connection was read again, not twice)');
  t.equal(got.idSum, good.reduce((a, b) => a + b, 0), 'row-id checksum: no gaps');
  t.same([got.rejected.n, got.rejected.distinct_rows], [rejected, rejected], 'NULL value with flag N: quarantined once each as SQLPOLL_ROW_INVALID');
  t.same([got.unknown.n, got.unknown.distinct_rows], [unknown, unknown], 'unknown device: quarantined once each by the pipeline');
  t.ok(fake.log.opens >= 2, `reconnected after the lost connection (${fake.log.opens} opens)`);
  const afters = fake.log.pages.map((p) => p.after);
  t.ok([0, 300, 600, 900, 1200, 1500, 1800].every((a) => afters.includes(a)), 'keyset pages of 300 after each committed cursor');
  t.ok(fake.log.pages.every((p) => p.top === 300), 'TOP (@p) = page_size');
  const cp = (await q(`SELECT value FROM adapter_checkpoint WHERE adapter = 'sql_poll' AND key = 'cursor:ent_mssql'`)).rows[0] as { value: unknown };
  t.same(cp.value, { id: String(N) }, 'checkpoint: the last row id as SQL Server printed it');
  // Row 1,234 → D034 f2; data_time DATETIME2 Beijing wall time 08:00 + 1234 s → the instant BASE + 1234 s.
  const o = (await q(`SELECT p.code, o.time, o.value FROM observation o JOIN point p ON p.id = o.point_id WHERE o.message_id = 'ent_mssql:1234'`)).rows[0] as { code: string; time: Date; value: number };
  t.same({ code: o.code, time: o.time.toISOString(), value: o.value }, { code: 'D034-f2', time: new Date(Date.UTC(2026, 0, 1) + 1_234_000).toISOString(), value: 1.234 }, 'row 1234: point, time (Beijing wall time → instant), value');
  const health = ((await h.hub.app.inject({ url: '/v1/status', headers: auth(KEYS.read) })).json() as { adapters: Record<string, { detail: { sources: Record<string, { driver: string; url: string; rows_read: number; lag: number; connected: boolean }> } }> }).adapters.sql_poll!.detail.sources.ent_mssql!;
  t.same([health.driver, health.url, health.rows_read, health.lag, health.connected], ['mssql', 'mssql://reader:***@sqlserver.test:1433/middle?encrypt=true', N, 0, true], 'health: driver, redacted URL, rows read, lag 0');
});
