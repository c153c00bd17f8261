// xlsxSheets against real XLSX files: exceljs-written (worksheets zipped before the shared strings, the workbook
// last), the same parts zipped in other orders and with absolute relationship targets, sheets skipped unread, early
// stops that leave no file open, and damaged files refused with UPLOAD_UNREADABLE.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { xlsxSheets, READER_PARTS } from '../xlsx-sheets.ts';
import { readRows } from '../read.ts';
import { LifelineError } from '../../sdk/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'xlsx-sheets-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 25, 0, 0, 0);
/** Sheet "D1" with 40 rows, "D2" with 25 (header + readings), dates and shared strings: what a vendor export holds. */
async function twoSheets(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [name, n] of [['D1', 40], ['D2', 25]] as const) {
    const ws = wb.addWorksheet(name);
    ws.addRow(['时间', '压力']);
    for (let i = 0; i < n; i++) ws.addRow([new Date(T0 + i * 60_000), 0.3 + i / 1000]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const fileOf = (name: string, bytes: Buffer) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };

/** Every sheet's name and rows (values without exceljs' empty slot 0), reading as slowly as `pause` says. */
async function readAll(path: string, opts: Parameters<typeof xlsxSheets>[1] = {}, pause = 0) {
  const out: { name: string; rows: unknown[][] }[] = [];
  for await (const s of xlsxSheets(path, opts)) {
    const rows: unknown[][] = [];
    if (pause) await sleep(pause);
    for await (const r of s.rows) {
      rows.push((r.values as unknown[]).slice(1));
      if (pause && rows.length % 10 === 0) await sleep(pause);
    }
    out.push({ name: s.name, rows });
  }
  return out;
}

/** The archive's parts re-zipped in `order` (paths; the rest after, as they were), with optional edits. */
async function rezip(bytes: Buffer, order: (paths: string[]) => string[], edit: (path: string, text: string) => string = (_, s) => s): Promise<Buffer> {
  const src = await JSZip.loadAsync(bytes);
  const paths = Object.keys(src.files).filter((p) => !src.files[p].dir);
  const out = new JSZip();
  for (const p of order(paths)) out.file(p, edit(p, await src.files[p].async('string')));
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const openFds = () => readdirSync('/proc/self/fd').length;

t.test('an exceljs-written workbook: the order its parts are zipped in is the hard one', async (t) => {
  const bytes = await twoSheets();
  const order = Object.keys((await JSZip.loadAsync(bytes)).files).filter((p) => p.endsWith('.xml'));
  t.ok(order.indexOf('xl/worksheets/sheet1.xml') < order.indexOf('xl/sharedStrings.xml'), 'worksheets before the shared strings');
  t.equal(order.at(-1), 'xl/workbook.xml', 'the workbook last');

  const path = fileOf('exceljs.xlsx', bytes);
  const sheets = await readAll(path);
  t.same(sheets.map((s) => [s.name, s.rows.length]), [['D1', 41], ['D2', 26]], 'both sheets named, every row');
  t.same(sheets[0].rows[0], ['时间', '压力'], 'shared strings resolved');
  t.same(sheets[1].rows[25], [new Date(T0 + 24 * 60_000), 0.324], 'a date cell is a Date (styles read), a number a number');

  // The stock one-pass reader lost entries depending on timing: read it many times, concurrently and with a consumer
  // that stalls between rows, and every read must be whole.
  const reads = await Promise.all(Array.from({ length: 24 }, (_, i) => readAll(path, {}, i % 3)));
  t.same(new Set(reads.map((r) => JSON.stringify(r))).size, 1, '24 concurrent reads, some stalling, all the same');
});

t.test('parts in any order, absolute targets, one sheet wanted', async (t) => {
  const bytes = await twoSheets();
  const expected = await readAll(fileOf('a.xlsx', bytes));
  const workbookFirst = await rezip(bytes, (p) => ['xl/workbook.xml', ...p.filter((x) => x !== 'xl/workbook.xml')]);
  t.same(await readAll(fileOf('b.xlsx', workbookFirst)), expected, 'the workbook first');
  const reversed = await rezip(bytes, (p) => [...p].reverse());
  t.same(await readAll(fileOf('c.xlsx', reversed)), expected, 'every part reversed');
  // Some writers name the sheets by absolute path in the workbook's relationships.
  const absolute = await rezip(bytes, (p) => p, (p, s) => p === 'xl/_rels/workbook.xml.rels' ? s.replace(/Target="worksheets\//g, 'Target="/xl/worksheets/') : s);
  t.same(await readAll(fileOf('d.xlsx', absolute)), expected, 'absolute relationship targets');

  let bytesRead = 0;
  const all = await (async () => { let n = 0; await readAll(fileOf('e.xlsx', bytes), { onBytes: (b) => { n += b; } }); return n; })();
  const onlyD2 = await readAll(fileOf('e.xlsx', bytes), { want: (n) => n === 'D2', onBytes: (b) => { bytesRead += b; } });
  t.same(onlyD2, [expected[1]], 'only the wanted sheet');
  t.ok(bytesRead > 0 && bytesRead < all, `the other sheet is not read (${Math.round(bytesRead)} of ${Math.round(all)} compressed bytes)`);
  t.ok(all <= bytes.length, 'progress never passes the file size');
});

t.test('stopping early closes every file it opened', async (t) => {
  // Big enough (3.2 MB, the sheet's numbers do not compress) that a part's file stream is still mid-file when the
  // reader stops: a stream that reached the end of the file closes itself, and the streams between buffer about 1 MB.
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('big');
  for (let i = 0; i < 60_000; i++) ws.addRow([new Date(T0 + i * 60_000), Math.sin(i) * 1e6, Math.cos(i) * 1e6, Math.sin(i * 7)]);
  const path = fileOf('stop.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
  for await (const s of xlsxSheets(path)) for await (const _ of s.rows) break; // exceljs and its parts loaded
  const before = openFds();
  for (let i = 0; i < 20; i++) {
    for await (const s of xlsxSheets(path)) {
      for await (const _ of s.rows) break;
      break;
    }
  }
  await sleep(50);
  t.ok(openFds() <= before, `no file left open (${openFds()} descriptors, ${before} before)`);
});

t.test('damaged files: UPLOAD_UNREADABLE, saying what is wrong', async (t) => {
  const bytes = await twoSheets();
  const refuse = async (name: string, file: Buffer, message: RegExp) => {
    const e = await readAll(fileOf(name, file)).then(() => null, (e: unknown) => e);
    t.ok(e instanceof LifelineError, `${name}: a LifelineError`);
    t.match(e, { code: 'UPLOAD_UNREADABLE', message }, name);
  };
  await refuse('text.xlsx', Buffer.from('time,value\n2026-11-25 08:00:00,1\n'.repeat(50)), /not a ZIP archive/);
  await refuse('empty.xlsx', Buffer.alloc(0), /not a ZIP archive/);
  await refuse('no-workbook.xlsx', await rezip(bytes, (p) => p.filter((x) => x !== 'xl/workbook.xml')), /no xl\/workbook\.xml/);
  await refuse('no-sheet.xlsx', await rezip(bytes, (p) => p.filter((x) => x !== 'xl/worksheets/sheet2.xml')), /sheet "D2" is xl\/worksheets\/sheet2\.xml, which the archive does not hold/);
});

t.test('damaged files at random: rows or UPLOAD_UNREADABLE, never another error, never a hang', async (t) => {
  // What an upload does with the file (read.ts): bytes flipped, the file cut short, bytes inserted. A damaged part's
  // XML or compression fails while the rows are read, after xlsxSheets has handed the sheet over.
  const good = await twoSheets();
  let seed = 20261206;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const outcomes = new Map<string, number>();
  for (let k = 0; k < 150; k++) {
    let bytes = Buffer.from(good);
    const how = k % 3;
    if (how === 0) for (let i = 0; i < 1 + rand(8); i++) bytes[rand(bytes.length)] = rand(256);
    else if (how === 1) bytes = bytes.subarray(0, rand(bytes.length));
    else { const at = rand(bytes.length); bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 1 + rand(50) }, () => rand(256))), bytes.subarray(at)]); }
    const path = fileOf(`damaged-${k}.xlsx`, bytes);
    const read = (async () => { let n = 0; for await (const _ of readRows(path, { format: 'xlsx' } as never, 'xlsx', 'utf-8')) n++; return 'rows'; })()
      .catch((e: unknown) => (e instanceof LifelineError ? e.code : `not a LifelineError: ${String(e)}`));
    const got = await Promise.race([read, sleep(10_000, undefined, { ref: false }).then(() => 'still reading after 10 s')]);
    outcomes.set(got, (outcomes.get(got) ?? 0) + 1);
  }
  t.same([...outcomes.keys()].filter((k) => k !== 'rows' && k !== 'UPLOAD_UNREADABLE'), [], `150 damaged files: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  t.ok((outcomes.get('UPLOAD_UNREADABLE') ?? 0) > 50, 'most of them refused');
});

t.test("exceljs' reader still has the parts this reads through", async (t) => {
  const proto = (ExcelJS.stream.xlsx.WorkbookReader as unknown as { prototype: Record<string, unknown> }).prototype;
  for (const m of READER_PARTS) t.type(proto[m], 'function', m);
});
