// Reports on real ingest (POST /v1/observations through a PGlite hub on a test clock), docs/reports.md: a point
// reporting 90 of its 96 quarter-hours has 93.75 % completeness; late readings count toward completeness but not
// timeliness; an out_of_range reading counts against validity; alarms and their handling times; a late reading
// corrects its day; a scoped key's report leaves other enterprises out; CSV, XLSX and the CLI.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { hashKey } from '../hub/api/auth.ts';
import { reportCommand } from '../hub/reports/cli.ts';

// 2026-11-25 in Shanghai: 16:00 UTC the day before → 16:00 UTC.
const DAY0 = Date.parse('2026-11-24T16:00:00Z');
const Q = 900_000, H = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();
const ALPHA_KEY = 'key-alpha';

let now = DAY0;
// The setup awaits with nothing of its own keeping the event loop alive (PGlite's work is not a handle): tap would end
// the root test under it. A timer holds the loop until the setup is done (as in tenancy-matrix.test.ts).
const setupAlive = setInterval(() => undefined, 1000);
const { hub, cleanup } = await startTestHub('pglite', (c) => {
  c.registry = {
    sites: [
      { code: 'RA-S1', name: '甲供水一号站', domain: 'water', enterprise: '甲水务' },
      { code: 'RB-S1', name: '乙燃气站', domain: 'gas', enterprise: '乙燃气' },
    ],
    devices: [{ code: 'RA-D1', site: 'RA-S1' }, { code: 'RB-D1', site: 'RB-S1' }],
    points: [
      { code: 'RA-P1', device: 'RA-D1', indicator: 'water.pipe_pressure', field: 'p1', expected_interval_s: 900 },
      { code: 'RA-P2', device: 'RA-D1', indicator: 'water.pipe_pressure', field: 'p2', expected_interval_s: 900 },
      { code: 'RB-P1', device: 'RB-D1', indicator: 'gas.pipe_pressure', field: 'p', expected_interval_s: 1800 },
    ],
  } as never;
  c.api.keys.push({ name: 'alpha', hash: hashKey(ALPHA_KEY), scopes: ['read'], scope: { enterprises: ['甲水务'] } });
  c.reports = { timely_within_s: 4000, expected_interval_s: 60 };
  c.alarms.overrides = [{ point: 'RA-P2', rule: { id: 'high', kind: 'threshold', direction: 'upper', levels: [{ level: 2, raise: 1.5, clear: 1.2 }] } }];
}, { now: () => now });

const post = async (records: unknown[]) => hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
const get = (url: string, key: string = KEYS.read) => hub.app.inject({ url, headers: auth(key) });
type Row = Record<string, unknown> & { group: string; point: string | null; site: string | null };
const rowOf = (data: Row[], group: string, key: string) => data.find((r) => r.group === group && (r.point === key || r.site === key || r.enterprise === key || r.domain === key))!;

// RA-P1: 90 of 96 quarter-hours (hour 03 and 10:00, 10:15 missing), ten of them (15:00–17:15) sent 10 h late.
// RA-P2: all 96, one out of range (−0.5 MPa < 0) and two above its alarm rule's 1.5 MPa. RB-P1: every half hour.
const MISSING = new Set([12, 13, 14, 15, 40, 41]);
const LATE = new Set([60, 61, 62, 63, 64, 65, 66, 67, 68, 69]);
const p2Value = (i: number) => (i === 20 ? -0.5 : i === 30 || i === 31 ? 1.6 : 0.3);
for (let h = 0; h < 24; h++) {
  const records: unknown[] = [];
  for (let i = h * 4; i < h * 4 + 4; i++) {
    if (!MISSING.has(i) && !LATE.has(i)) records.push({ point: 'RA-P1', time: at(DAY0 + i * Q), value: 0.3 });
    records.push({ point: 'RA-P2', time: at(DAY0 + i * Q), value: p2Value(i) });
    if (i % 2 === 0) records.push({ point: 'RB-P1', time: at(DAY0 + i * Q), value: 0.2 });
  }
  if (h === 5) {
    // Quarantined: a unit that does not convert (RA-P1, RB-P1) and a point nobody registered.
    records.push({ point: 'RA-P1', time: at(DAY0 + h * H + 60_000), value: 1, unit: 'kg' }, { point: 'RB-P1', time: at(DAY0 + h * H + 60_000), value: 1, unit: 'kg' },
      { point: 'NO-SUCH-P', time: at(DAY0 + h * H), value: 1 });
  }
  now = DAY0 + (h + 1) * H; // each hour's readings arrive as it ends: at most 3,600 s after their time (on time)
  t.equal((await post(records)).statusCode, 200);
}
now = DAY0 + 27 * H;
t.equal((await post([...LATE].map((i) => ({ point: 'RA-P1', time: at(DAY0 + i * Q), value: 0.3 })))).json().accepted, 10, 'late readings accepted');
await hub.rollups.catchUp();
await hub.alarms!.catchUp();
// The alarm on RA-P2 (raised at 07:30) is acknowledged 30 min later and resolved 2 h after its raise.
const alarm = (await get('/v1/alarms?point=RA-P2')).json().data[0];
const act = async (action: string, ms: number, body: object = {}) => {
  now = ms;
  t.equal((await hub.app.inject({ method: 'POST', url: `/v1/alarms/${alarm.id}/${action}`, headers: auth(KEYS.admin), payload: body })).statusCode, 200, action);
};
await act('ack', DAY0 + 30 * Q + 1800_000);
await act('assess', DAY0 + 30 * Q + 3600_000);
await act('dispatch', DAY0 + 30 * Q + 3600_000, { assignee: '维修一班' });
await act('resolve', DAY0 + 30 * Q + 7200_000, { note: '已处置' });
now = DAY0 + 36 * H; // 2026-11-26 12:00 Shanghai
clearInterval(setupAlive);
// Registered only now: with a teardown, tap ends the root test once it idles between two assertions, which the
// setup's awaits above would look like.
t.teardown(cleanup);

t.test('daily, per point: completeness, online, timeliness, validity', async (t) => {
  const res = await get('/v1/reports/daily?date=2026-11-25');
  t.equal(res.statusCode, 200);
  const r = res.json();
  t.match(r, { kind: 'daily', period: '2026-11-25', timezone: 'Asia/Shanghai', from: '2026-11-24T16:00:00.000Z', to: '2026-11-25T16:00:00.000Z', partial: false, timely_within_s: 4000, groups: ['enterprise', 'site', 'domain', 'point'] });
  const p1 = rowOf(r.data, 'point', 'RA-P1');
  t.match(p1, { enterprise: '甲水务', domain: 'water', site: 'RA-S1', site_name: '甲供水一号站', indicator: 'water.pipe_pressure', points: 1, expected: 96, received: 90, valid: 90, on_time: 80, flagged: 0, quarantined: 1 });
  t.equal(p1.completeness, 0.9375, '90 of 96 quarter-hours: 93.75 %, the ten late readings included');
  t.equal(p1.timeliness, 80 / 90, 'the ten late readings are not on time');
  t.equal(p1.validity, 1);
  t.same([p1.hours_online, p1.hours_expected, p1.online], [23, 24, 23 / 24], 'hour 03 had no data');
  const p2 = rowOf(r.data, 'point', 'RA-P2');
  t.match(p2, { expected: 96, received: 96, valid: 95, flagged: 1, on_time: 96 });
  t.equal(p2.validity, 95 / 96, 'the out_of_range reading counts against validity');
  t.equal(p2.completeness, 95 / 96, '… and is not a valid reading for completeness');
  t.match(p2, { alarms: 1, alarms_by_level: { 1: 0, 2: 1, 3: 0, 4: 0 }, mean_ack_s: 1800, mean_resolve_s: 7200 });
  t.match(rowOf(r.data, 'point', 'RB-P1'), { expected: 48, received: 48, completeness: 1, quarantined: 1 });
  const site = rowOf(r.data, 'site', 'RA-S1');
  t.match(site, { points: 2, expected: 192, received: 186, valid: 185, quarantined: 1, alarms: 1, hours_online: 47, hours_expected: 48 });
  t.equal(site.completeness, 185 / 192, 'a group sums its points before dividing');
  t.match(rowOf(r.data, 'enterprise', '甲水务'), { points: 2, received: 186 });
  t.match(rowOf(r.data, 'domain', 'gas'), { points: 1, enterprise: null, site: null });
  t.same(r.data.map((x: Row) => x.group), ['enterprise', 'enterprise', 'site', 'site', 'domain', 'domain', 'point', 'point', 'point'], 'grouping by grouping');
  t.equal(r.quarantined_unattributed, 1, 'the unregistered point\'s reading, for an unscoped key');
});

t.test('a scoped key sees only its enterprise', async (t) => {
  const res = await get('/v1/reports/daily?date=2026-11-25', ALPHA_KEY);
  t.equal(res.statusCode, 200);
  t.same(res.json().data.map((x: Row) => x.site ?? x.enterprise ?? x.domain), ['甲水务', 'RA-S1', 'water', 'RA-S1', 'RA-S1']);
  t.notMatch(res.body, /RB-|乙燃气|gas/, 'nothing of the other enterprise');
  t.equal(res.json().quarantined_unattributed, 0);
  const csv = (await get('/v1/reports/daily?date=2026-11-25&format=csv', ALPHA_KEY)).rawPayload.toString('utf8');
  t.match(csv, /RA-P1/);
  t.notMatch(csv, /RB-|乙燃气|燃气/, 'CSV: neither');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await get('/v1/reports/daily?date=2026-11-25&format=xlsx', ALPHA_KEY)).rawPayload as never);
  const cells: string[] = [];
  wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((c) => { cells.push(String(c.value)); })));
  t.ok(cells.includes('RA-P1'), 'XLSX: its own point');
  t.same(cells.filter((v) => /RB-|乙燃气|燃气/.test(v)), [], 'XLSX: nothing of the other');
  const hidden = await get('/v1/reports/daily?date=2026-11-25&site=RB-S1', ALPHA_KEY), unknown = await get('/v1/reports/daily?date=2026-11-25&site=NO-SUCH', ALPHA_KEY);
  t.same([hidden.statusCode, hidden.body.replace('RB-S1', 'X')], [unknown.statusCode, unknown.body.replace('NO-SUCH', 'X')], 'another enterprise\'s site answers as one that does not exist');
  t.same((await get('/v1/reports/daily?date=2026-11-25&enterprise=乙燃气', ALPHA_KEY)).json().data, [], 'and its enterprise as one that has nothing');
});

t.test('filters, monthly (a partial month), bad parameters', async (t) => {
  const only = (await get('/v1/reports/daily?date=2026-11-25&group=point&point=RA-P2')).json();
  t.same(only.data.map((x: Row) => x.point), ['RA-P2']);
  const month = (await get('/v1/reports/monthly?month=2026-11&group=point&site=RA-S1')).json();
  t.match(month, { kind: 'monthly', period: '2026-11', from: '2026-10-31T16:00:00.000Z', to: '2026-11-30T16:00:00.000Z', partial: true });
  const m1 = rowOf(month.data, 'point', 'RA-P1');
  t.equal(m1.expected, 25 * 96 + 48, 'November 1–25 whole, and the first 12 h of the 26th');
  t.equal(m1.completeness, 90 / 2448);
  t.equal((await get('/v1/reports/daily')).json().period, '2026-11-25', 'default: yesterday by the hub clock');
  t.equal((await get('/v1/reports/monthly')).json().period, '2026-10', 'default: last month');
  for (const [q, path] of [['date=2026-02-30', '/date'], ['date=yesterday', '/date'], ['group=city', '/group'], ['domain=air', '/domain'], ['point=NOPE', '/point']]) {
    const res = await get(`/v1/reports/daily?${q}`);
    t.same([res.statusCode, res.json().code, res.json().details.path], [400, 'QUERY_INVALID', path], q!);
  }
  t.equal((await get('/v1/reports/monthly?month=2026-13')).json().details.path, '/month');
});

t.test('CSV: UTF-8 with BOM, Chinese headers, rates in percent', async (t) => {
  const res = await get('/v1/reports/daily?date=2026-11-25&format=csv&group=point');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.match(res.headers['content-disposition'], /lifeline-report-daily-2026-11-25\.csv/);
  t.same([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'byte-order mark');
  const lines = res.rawPayload.toString('utf8').slice(1).trimEnd().split('\r\n');
  const head = lines[0]!.split(',');
  t.equal(lines.length, 4, 'header and three points');
  const p1 = lines.find((l) => l.includes('RA-P1'))!.split(',');
  t.equal(p1[head.indexOf('数据完整率(%)')], '93.75');
  t.equal(p1[head.indexOf('及时率(%)')], '88.89');
  t.equal(p1[head.indexOf('监测指标')], '压力');
  t.equal(p1[head.indexOf('所属企业')], '甲水务');
});

t.test('XLSX: a sheet per grouping, frozen header rows, percent formats', async (t) => {
  const res = await get('/v1/reports/daily?date=2026-11-25&format=xlsx');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['x-report-rows'], '9');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as never);
  t.same(wb.worksheets.map((s) => s.name), ['按企业', '按站点', '按领域', '按测点']);
  const ws = wb.getWorksheet('按测点')!;
  t.match(ws.views[0], { state: 'frozen', ySplit: 2 });
  t.match(String(ws.getCell('A1').value), /城市生命线数据质量日报 2026-11-25（Asia\/Shanghai）/);
  const head = (ws.getRow(2).values as unknown[]).slice(1);
  const col = (h: string) => head.indexOf(h) + 1;
  t.ok(col('数据完整率') > 0 && col('在线率') > 0 && col('及时率') > 0 && col('有效率') > 0 && col('二级报警') > 0, 'Chinese headers');
  const p1 = [3, 4, 5].map((n) => ws.getRow(n)).find((r) => r.getCell(1).value === 'RA-P1')!;
  t.equal(p1.getCell(col('数据完整率')).value, 0.9375);
  t.equal(p1.getCell(col('数据完整率')).numFmt, '0.00%');
});

t.test('a late reading corrects its day', async (t) => {
  now = DAY0 + 40 * H;
  t.equal((await post([{ point: 'RA-P1', time: at(DAY0 + 40 * Q), value: 0.3 }])).json().accepted, 1);
  await hub.rollups.catchUp();
  const p1 = rowOf((await get('/v1/reports/daily?date=2026-11-25&group=point&point=RA-P1')).json().data, 'point', 'RA-P1');
  t.equal(p1.received, 91);
  t.equal(p1.completeness, 91 / 96);
  t.equal(p1.timeliness, 80 / 91);
});

t.test('lifeline report daily --out FILE.xlsx through a running hub', async (t) => {
  const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const said: string[] = [];
  const io = { out: (s: string) => said.push(s), err: (s: string) => said.push(s) };
  const file = join(dir, 'daily.xlsx');
  t.equal(await reportCommand(['daily', '--date', '2026-11-25', '--scope', 'enterprise=甲水务', '--out', file, '--url', url, '--key', KEYS.read], io), 0);
  t.match(said.join('\n'), /asking the hub[\s\S]*computed in[\s\S]*wrote .*daily\.xlsx: .*, 5 rows/, 'progress and a summary');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(readFileSync(file) as never);
  t.equal(wb.worksheets.length, 4);
  t.equal(await reportCommand(['daily', '--month', '2026-11', '--url', url, '--key', KEYS.read], io), 2, '--month is for monthly');
  await t.rejects(reportCommand(['monthly', '--month', '2026-13', '--out', join(dir, 'm.csv'), '--url', url, '--key', KEYS.read], io), { code: 'QUERY_INVALID' });
});
