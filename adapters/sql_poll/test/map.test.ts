// Row mapping and page queries: golden cases, no database.
import t from 'tap';
import { mapRow, isoTime, type RowSpec } from '../map.ts';
import { pageQuery, planOf } from '../source.ts';
import type { SourceConfig } from '../manifest.ts';
import type { TimeType } from '../db.ts';

const std: RowSpec = {
  source: 'ent', idColumn: 'id', match: 'device', fixed: {}, sessionOffset: '+08:00',
  columns: { device: 'device_code', field: 'field_code', kind: 'kind', value: 'value', unit: 'unit', time: 'data_time', flag: 'flag' },
};
const tz = (m: Record<string, TimeType>) => new Map(Object.entries(m));
const row = (o: Record<string, unknown>) => ({ id: '7', device_code: 'D001', field_code: 'f1', kind: 'rtd', value: 0.25, unit: null, data_time: '2026-11-25 10:00:00+08', flag: 'N', ...o });

t.test('isoTime: database time text → ISO 8601', async (t) => {
  t.equal(isoTime('2026-11-25 10:00:00+08', 'offset', ''), '2026-11-25T10:00:00+08:00', 'PostgreSQL timestamptz, short offset');
  t.equal(isoTime('2026-11-25 10:00:00.123456+05:30', 'offset', ''), '2026-11-25T10:00:00.123456+05:30', 'microseconds, half-hour offset');
  t.equal(isoTime('2026-11-25 10:00:00.123', 'naive', '+08:00'), '2026-11-25T10:00:00.123', 'DATETIME / timestamp: wall-clock, zone rule applies later');
  t.equal(isoTime('2026-11-25 02:00:00.000', 'fixed', '+00:00'), '2026-11-25T02:00:00.000+00:00', 'MySQL TIMESTAMP: the session offset');
  t.equal(isoTime('2026-11-25', 'naive', ''), '2026-11-25T00:00:00', 'a date');
  t.equal(isoTime('2026-11-25T10:00:00Z', undefined, ''), '2026-11-25T10:00:00Z', 'text column with Z');
  t.equal(isoTime('25/11/2026 10:00', undefined, ''), undefined, 'not a date-time');
  t.equal(isoTime('infinity', 'offset', ''), undefined, 'PostgreSQL infinity');
});

t.test('mapRow: the standard row', async (t) => {
  t.same(mapRow(row({}), std, tz({ data_time: 'offset' })), { reading: { device: 'D001', field: 'f1', time: '2026-11-25T10:00:00+08:00', value: 0.25, flag: 'N', kind: 'rtd', message_id: 'ent:7' } });
  t.same(mapRow(row({ value: '1.50', unit: 'kPa', flag: 'd', kind: 'HOUR' }), std, tz({})), { reading: { device: 'D001', field: 'f1', time: '2026-11-25T10:00:00+08:00', value: 1.5, unit: 'kPa', flag: 'D', kind: 'hour', message_id: 'ent:7' } }, 'numeric text, unit, case-insensitive flag and kind');
  t.same(mapRow(row({ value: null, flag: 'B' }), std, tz({})), { reading: { device: 'D001', field: 'f1', time: '2026-11-25T10:00:00+08:00', value: null, flag: 'B', kind: 'rtd', message_id: 'ent:7' } }, 'empty value with flag B: a reading that could not be read');
  t.same(mapRow(row({ data_time: 1_764_036_000_000 }), std, tz({})), { reading: { device: 'D001', field: 'f1', time: 1_764_036_000_000, value: 0.25, flag: 'N', kind: 'rtd', message_id: 'ent:7' } }, 'epoch ms');
});

t.test('mapRow: rows that cannot become readings name the column', async (t) => {
  const reject = (o: Record<string, unknown>) => { const m = mapRow(row(o), std, tz({})); return 'reject' in m ? m.reject.field : 'mapped'; };
  t.equal(reject({ value: null }), '/value', 'empty value with flag N');
  t.equal(reject({ value: 'n/a' }), '/value', 'non-numeric text');
  t.equal(reject({ value: Buffer.from('x') }), '/value', 'unknown column type (binary)');
  t.equal(reject({ value: true }), '/value', 'boolean');
  t.equal(reject({ device_code: ' ' }), '/device_code', 'blank device');
  t.equal(reject({ field_code: null }), '/field_code', 'no field');
  t.equal(reject({ data_time: null }), '/data_time', 'no time');
  t.equal(reject({ data_time: '2026-13-45 xx' }), '/data_time', 'bad time text');
  t.equal(reject({ flag: 'X' }), '/flag', 'not an HJ 212 flag');
  t.equal(reject({ kind: 'week' }), '/kind', 'unknown kind');
  const m = mapRow(row({ value: null }), std, tz({}));
  t.same(m, { reject: { reason: 'SQLPOLL_ROW_INVALID', message: 'value: empty with flag N (a missing value needs a flag such as D or B)', field: '/value' } });
});

t.test('mapRow: match identity / point, fixed values', async (t) => {
  t.same(mapRow(row({}), { ...std, match: 'identity' }, tz({})), { reading: { identity: { protocol: 'sql_poll', key: 'D001' }, field: 'f1', time: '2026-11-25T10:00:00+08:00', value: 0.25, flag: 'N', kind: 'rtd', message_id: 'ent:7' } });
  t.same(mapRow({ rid: 3, pt: 'WS-001-P1', v: 2, ts: '2026-11-25 10:00:00' }, { source: 's', idColumn: 'rid', match: 'point', sessionOffset: '', columns: { device: 'pt', value: 'v', time: 'ts' }, fixed: { unit: 'kPa', flag: 'N' } }, tz({ ts: 'naive' })),
    { reading: { point: 'WS-001-P1', time: '2026-11-25T10:00:00', value: 2, unit: 'kPa', flag: 'N', message_id: 's:3' } });
});

const src = (o: Partial<SourceConfig>): SourceConfig => ({ name: 's', driver: 'postgres', url: 'postgres://x/y', mode: 'standard', table: 'lifeline_reading', match: 'device', page_size: 100, interval_s: 1, timeout_s: 5, settle_ms: 0, start: 'beginning', ...o });
const pgConn = { dialect: 'postgres' as const, param: (n: number) => `$${n}`, quote: (s: string) => s.split('.').map((p) => `"${p}"`).join('.') };
const myConn = { dialect: 'mysql' as const, param: () => '?', quote: (s: string) => s.split('.').map((p) => `\`${p}\``).join('.') };

t.test('pageQuery: keyset pages in both dialects', async (t) => {
  t.same(pageQuery(pgConn, planOf(src({})), undefined, 100, 0), { sql: 'SELECT q.* FROM "lifeline_reading" q WHERE q."id" IS NOT NULL ORDER BY q."id" LIMIT 100', params: [] }, 'first page');
  t.same(pageQuery(pgConn, planOf(src({ settle_ms: 5000 })), { id: '42' }, 100, 5000),
    { sql: `SELECT q.* FROM "lifeline_reading" q WHERE q."id" IS NOT NULL AND q."id" > $1 AND q."created_at" < now() - $2 * interval '1 millisecond' ORDER BY q."id" LIMIT 100`, params: ['42', 5000] }, 'after id 42, settled');
  const qp = planOf(src({ mode: 'query', query: 'SELECT * FROM v;', tracking: { time: 'ts', id: 'rid' }, columns: { device: 'm', field: 'c', value: 'v' } }));
  t.same(pageQuery(pgConn, qp, { id: '9', time: '2026-01-01 00:00:00' }, 10, 0),
    { sql: 'SELECT q.* FROM (SELECT * FROM v) q WHERE q."rid" IS NOT NULL AND q."ts" IS NOT NULL AND (q."ts", q."rid") > ($1, $2) ORDER BY q."ts", q."rid" LIMIT 10', params: ['2026-01-01 00:00:00', '9'] }, 'PostgreSQL row comparison');
  t.same(pageQuery(myConn, qp, { id: '9', time: '2026-01-01 00:00:00' }, 10, 0),
    { sql: 'SELECT q.* FROM (SELECT * FROM v) q WHERE `q`.`rid` IS NOT NULL AND q.`ts` IS NOT NULL AND (q.`ts` > ? OR (q.`ts` = ? AND q.`rid` > ?)) ORDER BY q.`ts`, q.`rid` LIMIT 10'.replace('`q`.`rid`', 'q.`rid`'), params: ['2026-01-01 00:00:00', '2026-01-01 00:00:00', '9'] }, 'MySQL: expanded so the index on (ts, id) is used');
  t.same(pageQuery(myConn, planOf(src({ settle_ms: 2000 })), { id: '1' }, 5, 2000).sql, 'SELECT q.* FROM `lifeline_reading` q WHERE q.`id` IS NOT NULL AND q.`id` > ? AND q.`created_at` < NOW(3) - INTERVAL ? MICROSECOND ORDER BY q.`id` LIMIT 5');
});

t.test('planOf: query mode needs its mapping', async (t) => {
  t.throws(() => planOf(src({ mode: 'query' })), { code: 'CONFIG_INVALID' }, 'no query');
  t.throws(() => planOf(src({ mode: 'query', query: 'SELECT * FROM v ORDER BY id', tracking: { id: 'id' }, columns: { device: 'd', field: 'f', value: 'v', time: 't' } })), { code: 'CONFIG_INVALID' }, 'ORDER BY at the end');
  t.throws(() => planOf(src({ mode: 'query', query: 'SELECT * FROM v', tracking: { id: 'id' }, columns: { device: 'd', field: 'f', time: 't' } })), { code: 'CONFIG_INVALID' }, 'no value column');
  t.throws(() => planOf(src({ mode: 'query', query: 'SELECT * FROM v', tracking: { id: 'id' }, columns: { device: 'd', field: 'f', value: 'v', time: 't' }, settle_ms: 100 })), { code: 'CONFIG_INVALID' }, 'settle without a column');
});
