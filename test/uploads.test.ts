// POST /v1/uploads against a real hub on PostgreSQL over a real socket: a body sent one byte per write, a GBK file
// with Chinese field names, bad rows in the middle of a file, an XLSX with two sheets, re-sending, multipart, limits.
import t from 'tap';
import { connect } from 'node:net';
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';
import { childEnv } from './helpers/child-env.ts';

const FIXED_CLOCK = { now: () => Date.parse('2026-11-26T00:00:00Z') };
const T0 = Date.UTC(2026, 10, 25, 0, 0, 0); // 08:00 Beijing
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const j = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
const local = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

/** A long CSV (long-csv profile) of n pressure readings on D1, one a minute from `start`. */
const longCsv = (n: number, start = T0, bad: Record<number, string> = {}) =>
  'device,field,time,value,unit,flag\n' + Array.from({ length: n }, (_, i) => bad[i + 2] ?? `D1,pressure,${local(start + i * 60_000)},${(0.3 + (i % 100) / 1000).toFixed(3)},MPa,N`).join('\n') + '\n';

t.test('uploads', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const { hub, cleanup } = await startTestHub('postgres', (c) => {
    c.uploads = { max_bytes: 1_000_000, batch_rows: 50 };
    c.registry = {
      sites: [{ code: 'UP-S', name: 's', domain: 'water' }, { code: 'UP-H', name: 'h', domain: 'heating' }],
      devices: [{ code: 'D1', site: 'UP-S' }, { code: 'D2', site: 'UP-S' }, { code: 'HT-ST-01', site: 'UP-H' }],
      points: [
        { code: 'D1-P', device: 'D1', indicator: 'water.pipe_pressure', field: 'pressure' },
        { code: 'D1-PX', device: 'D1', indicator: 'water.pipe_pressure', field: '压力' },
        { code: 'D2-PX', device: 'D2', indicator: 'water.pipe_pressure', field: '压力' },
        { code: 'HT-SP', device: 'HT-ST-01', indicator: 'heating.pipe_pressure', field: '供水压力' },
        { code: 'HT-RP', device: 'HT-ST-01', indicator: 'heating.pipe_pressure', field: '回水压力' },
      ],
    };
  }, FIXED_CLOCK);
  t.teardown(cleanup);
  const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(url).port);
  const count = async (where = '') => Number((await hub.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM observation o JOIN point p ON p.id = o.point_id ${where}`)).rows[0]!.n);
  const post = (profile: string, body: Buffer | string, extra = '') => fetch(`${url}/v1/uploads?profile=${profile}&wait=true${extra}`, { method: 'POST', headers: { ...auth(KEYS.ingest), 'content-type': 'text/csv' }, body });

  await t.test('a body sent one byte per write is received whole and stored', async (t) => {
    const csv = Buffer.from(longCsv(30));
    const sock = connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    await new Promise((r) => sock.once('connect', r));
    let answer = '';
    sock.on('data', (d) => { answer += d; });
    const ended = new Promise((r) => sock.once('end', r));
    sock.write(`POST /v1/uploads?profile=long-csv&name=tiny.csv&wait=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.ingest}\r\nContent-Type: text/csv\r\nContent-Length: ${csv.length}\r\nConnection: close\r\n\r\n`);
    for (let i = 0; i < csv.length; i++) {
      sock.write(csv.subarray(i, i + 1));
      if (i % 64 === 0) await new Promise((r) => setImmediate(r));
    }
    await ended;
    t.match(answer, /^HTTP\/1\.1 200/);
    const u = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    t.match(u, { name: 'tiny.csv', profile: 'long-csv', status: 'done', size: csv.length, sha256: createHash('sha256').update(csv).digest('hex'), format: 'csv', encoding: 'utf-8', encoding_by: 'content', rows: 30, readings: 30, accepted: 30, duplicates: 0, quarantined: 0 });
    t.equal(await count(`WHERE p.code = 'D1-P'`), 30);
    const got = await j(fetch(`${url}/v1/uploads/${u.id}`, { headers: auth(KEYS.ingest) }));
    t.same(got, u, 'GET /v1/uploads/{id} gives the same record');
  });

  await t.test('a GBK file with Chinese field names: detected and stored', async (t) => {
    const csv = '站点编号,测点名称,采集时间,监测值,单位\r\nHT-ST-01,供水压力,2026/11/25 10:00,0.85,MPa\r\nHT-ST-01,回水压力,2026/11/25 10:00,0.42,MPa\r\nHT-ST-01,供水压力,2026/11/25 10:05,0.86,MPa\r\n';
    const body = iconv.encode(csv, 'gbk');
    t.not(body.toString('utf8'), csv, 'the bytes are not UTF-8');
    const u = await j(post('gbk-export', body, '&name=' + encodeURIComponent('热力导出.csv')));
    t.match(u, { name: '热力导出.csv', status: 'done', encoding: 'gbk', encoding_by: 'content', rows: 3, accepted: 3, quarantined: 0 });
    const obs = (await j(fetch(`${url}/v1/observations?point=HT-SP`, { headers: auth(KEYS.read) }))).data;
    t.match(obs, [{ point: 'HT-SP', time: '2026-11-25T02:00:00.000Z', value: 0.85 }, { point: 'HT-SP', time: '2026-11-25T02:05:00.000Z', value: 0.86 }]);
    t.equal(await count(`WHERE p.code = 'HT-RP'`), 1);
    const gb = iconv.encode(csv.replace('供水压力,2026/11/25 10:05', '供水压力,2026/11/25 10:10') + 'HT-ST-01,\u{20000}压力,2026/11/25 10:00,1,MPa\r\n', 'gb18030');
    const u2 = await j(post('gbk-export', gb));
    t.match(u2, { encoding: 'gb18030', rows: 4, accepted: 1, duplicates: 2, quarantined: 1 }, 'a 4-byte sequence makes it GB18030; the unknown field is quarantined');
  });

  await t.test('bad rows in the middle: each quarantined with its row number and reason, the good rows stored', async (t) => {
    const start = T0 + 86_400_000;
    const csv = longCsv(200, start, { 70: 'D1,pressure,2026-11-26 99:00:00,0.3,MPa,N', 71: 'D1,pressure,' + local(start + 69 * 60_000) + ',abc,MPa,N', 72: 'D1,nosuchfield,' + local(start) + ',0.3,MPa,N', 150: ',pressure,' + local(start) + ',0.3,MPa,N' });
    const before = await count();
    const u = await j(post('long-csv', csv));
    t.match(u, { status: 'done', rows: 200, readings: 197, accepted: 196, quarantined: 4 });
    t.equal(await count() - before, 196);
    const q = (await j(fetch(`${url}/v1/quarantine?limit=100`, { headers: auth(KEYS.read) }))).data.filter((e: { adapter: string; record: { upload?: string; message_id?: string } }) => e.adapter === 'upload' && (e.record.upload === u.id || e.record.message_id?.startsWith(u.id)));
    t.same(q.map((e: { reason: string }) => e.reason).sort(), ['MAPPING_BAD_TIME', 'MAPPING_BAD_VALUE', 'MAPPING_NO_DEVICE', 'UNKNOWN_POINT'].sort());
    const byReason = Object.fromEntries(q.map((e: { reason: string }) => [e.reason, e]));
    t.match(byReason.MAPPING_BAD_TIME, { message: /^row 70: /, field: 'time', record: { upload: u.id, row: 70, cells: ['D1', 'pressure', '2026-11-26 99:00:00', '0.3', 'MPa', 'N'] } });
    t.match(byReason.MAPPING_BAD_VALUE, { message: /^row 71: "abc" is not a number/, field: 'value', record: { row: 71 } });
    t.match(byReason.MAPPING_NO_DEVICE, { record: { row: 150 } });
    t.match(byReason.UNKNOWN_POINT, { record: { field: 'nosuchfield', message_id: `${u.id}:72` } }, 'a reading the pipeline refuses names its row in message_id');
  });

  await t.test('an XLSX with two sheets (one per device)', async (t) => {
    const wb = new ExcelJS.Workbook();
    for (const [dev, n] of [['D1', 40], ['D2', 25]] as const) {
      const ws = wb.addWorksheet(dev);
      ws.addRow(['时间', '压力']);
      for (let i = 0; i < n; i++) ws.addRow([i % 2 ? new Date(T0 + 8 * 3600_000 + i * 60_000) : local(T0 + i * 60_000), 0.3 + i / 1000]);
    }
    const body = Buffer.from(await wb.xlsx.writeBuffer());
    const u = await j(post('xlsx-sheets', body, '&name=book.xlsx'));
    t.match(u, { status: 'done', format: 'xlsx', encoding: null, rows: 65, readings: 65, accepted: 65, quarantined: 0 }, `the upload: ${JSON.stringify(u.error ?? u.status)}`);
    t.equal(await count(`WHERE p.code = 'D1-PX'`), 40);
    t.equal(await count(`WHERE p.code = 'D2-PX'`), 25);
    const last = (await j(fetch(`${url}/v1/observations?point=D2-PX&limit=100`, { headers: auth(KEYS.read) }))).data;
    t.equal(last[24].time, new Date(T0 + 24 * 60_000).toISOString(), 'date cells are Beijing wall-clock times');
  });

  await t.test('re-sending a file stores nothing twice; multipart works', async (t) => {
    const csv = longCsv(30);
    const before = await count();
    const form = new FormData();
    form.set('profile', 'long-csv');
    form.set('file', new Blob([csv]), 'again.csv');
    const res = await fetch(`${url}/v1/uploads?wait=true`, { method: 'POST', headers: auth(KEYS.ingest), body: form });
    const u = await j(res);
    t.equal(res.status, 200, JSON.stringify(u));
    t.match(u, { name: 'again.csv', status: 'done', rows: 30, accepted: 0, duplicates: 30 });
    t.equal(await count(), before);
    const list = (await j(fetch(`${url}/v1/uploads?limit=2`, { headers: auth(KEYS.ingest) }))).data;
    t.equal(list[0].id, u.id, 'GET /v1/uploads lists newest first');
  });

  await t.test('lifeline upload: to the hub with a summary, and --dry-run', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-upload-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'cli.csv');
    writeFileSync(file, longCsv(120, T0 + 2 * 86_400_000, { 9: 'D1,pressure,nope,1,MPa,N' }));
    const run = (args: string[]) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, ['bin/lifeline.js', ...args], { cwd: fileURLToPath(new URL('../', import.meta.url)), env: childEnv({ LIFELINE_API_KEY: KEYS.ingest }) });
      let out = '', err = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stderr.on('data', (d) => { err += d; });
      p.on('close', (code) => resolve({ code, out, err }));
    });
    const before = await count();
    const [up, dry] = await Promise.all([run(['upload', file, '--profile', 'long-csv', '--url', url]), run(['upload', file, '--profile', 'long-csv', '--dry-run'])]);
    t.equal(up.code, 0, up.err);
    t.match(up.out, /upload up_[0-9a-f]{16} done: cli\.csv \([\d,]+ bytes, sha256 [0-9a-f]{16}…, csv utf-8 by content\)\n  120 rows → 119 readings: 119 stored, 0 already there, 1 quarantined/);
    t.match(up.err, /sent [\d,]+ bytes; upload up_/, 'progress on stderr');
    t.equal(await count() - before, 119);
    t.equal(dry.code, 1, 'a dry run with bad rows exits 1');
    t.match(dry.out, /dry run \(nothing stored\): .*cli\.csv with profile long-csv: CSV, utf-8 \(by content\), 120 data rows → 119 readings, 1 bad row/);
    t.match(dry.out, /MAPPING_BAD_TIME: row 9: "nope"/);
  });

  await t.test('clear 4xx errors, cancel', async (t) => {
    const err = async (res: Response, status: number, code: string) => { t.equal(res.status, status, code); t.match(await j(res), { code, message: /\S/ }); };
    await err(await fetch(`${url}/v1/uploads`, { method: 'POST', headers: auth(KEYS.ingest), body: 'a,b\n' }), 400, 'UPLOAD_BAD_REQUEST');
    await err(await post('nope', 'a\n'), 404, 'MAPPING_PROFILE_NOT_FOUND');
    await err(await post('flat-reading', 'a\n'), 400, 'MAPPING_INVALID');
    await err(await post('..%2Fx', 'a\n'), 400, 'UPLOAD_BAD_REQUEST');
    await err(await post('long-csv', Buffer.alloc(1_000_001, 'a')), 413, 'UPLOAD_TOO_LARGE');
    const bh = await j(post('long-csv', 'time,value\n1,2\n'));
    t.match(bh, { status: 'failed', rows: 0, error: { code: 'UPLOAD_BAD_HEADER', message: /column "device" \(\/table\/device\/column\) is not in the header row; the header has: time, value/ } }, 'a missing column fails the upload, named');
    await err(await fetch(`${url}/v1/uploads`, { headers: auth(KEYS.read) }), 403, 'AUTH_FORBIDDEN');
    await err(await fetch(`${url}/v1/uploads/up_0000000000000000`, { headers: auth(KEYS.ingest) }), 404, 'UPLOAD_NOT_FOUND');
    const done = (await j(fetch(`${url}/v1/uploads?limit=1&status=done`, { headers: auth(KEYS.ingest) }))).data[0];
    await err(await fetch(`${url}/v1/uploads/${done.id}/cancel`, { method: 'POST', headers: auth(KEYS.ingest) }), 409, 'UPLOAD_NOT_CANCELLABLE');
    // Cancel while processing: a file big enough to take several batches.
    const res = await fetch(`${url}/v1/uploads?profile=long-csv`, { method: 'POST', headers: { ...auth(KEYS.ingest), 'content-type': 'text/csv' }, body: longCsv(8000, T0 + 10 * 86_400_000) });
    t.equal(res.status, 202);
    const u = await j(res);
    const c = await j(fetch(`${url}/v1/uploads/${u.id}/cancel`, { method: 'POST', headers: auth(KEYS.ingest) }));
    t.equal(c.status, 'cancelled');
    t.ok(c.rows < 8000, `stopped early (${c.rows} rows committed)`);
    const again = await j(fetch(`${url}/v1/uploads/${u.id}`, { headers: auth(KEYS.ingest) }));
    t.equal(again.rows, c.rows, 'nothing more committed after cancel');
  });
});
