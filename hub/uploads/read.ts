// Reading an uploaded file row by row, streamed: the encoding (BOM, else the whole file's bytes), CSV through
// csv-parse (or split directly when it has no quote: plain-csv.ts), XLSX a sheet at a time (xlsx-sheets.ts). Memory stays flat whatever the file size.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse';
import type { Table } from '../../schemas/generated/types.ts';
import { LifelineError } from '../sdk/errors.ts';
import { cellValue, type Cell, type TableRow } from '../mapping/table.ts';
import { quoteFree, splitPlainCsv } from './plain-csv.ts';
import { xlsxSheets, xlsxUnreadable } from './xlsx-sheets.ts';

export type Encoding = 'utf-8' | 'gbk' | 'gb18030' | 'utf-16le' | 'utf-16be';

/** How the encoding was decided, for the upload record. */
export interface Detected { encoding: Encoding; by: 'bom' | 'content' | 'profile' }

/**
 * Encoding sniffer fed the file's bytes in order (while it is received). A BOM decides; else UTF-8 when every
 * byte is valid UTF-8 (ASCII included), else GB18030 — reported as `gbk` when no 4-byte GB18030 sequence
 * (second byte 0x30–0x39) occurs, since GBK is the 2-byte subset Excel writes.
 */
export class EncodingSniffer {
  private head: Buffer = Buffer.alloc(0);
  private bom?: Encoding;
  private utf8: TextDecoder | null = new TextDecoder('utf-8', { fatal: true });
  private fourByte = false;
  private lead = 0; // GB18030 state: 0 none, else the lead byte seen
  private started = false;

  push(chunk: Buffer): void {
    if (!this.started) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 4) return;
      this.started = true;
      const h = this.head;
      if (h[0] === 0xef && h[1] === 0xbb && h[2] === 0xbf) this.bom = 'utf-8';
      else if (h[0] === 0x84 && h[1] === 0x31 && h[2] === 0x95 && h[3] === 0x33) this.bom = 'gb18030';
      else if (h[0] === 0xff && h[1] === 0xfe) this.bom = 'utf-16le';
      else if (h[0] === 0xfe && h[1] === 0xff) this.bom = 'utf-16be';
      chunk = h;
      this.head = Buffer.alloc(0);
    }
    if (this.bom) return;
    if (this.utf8) {
      try { this.utf8.decode(chunk, { stream: true }); return; } catch { this.utf8 = null; }
    }
    if (this.fourByte) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.lead) { if (b >= 0x30 && b <= 0x39) { this.fourByte = true; return; } this.lead = 0; } else if (b >= 0x81 && b <= 0xfe) this.lead = b;
    }
  }

  result(): Detected {
    if (!this.started && this.head.length) { this.started = true; const h = this.head; this.head = Buffer.alloc(0); this.push(h); }
    if (this.bom) return { encoding: this.bom, by: 'bom' };
    if (this.utf8) {
      try { this.utf8.decode(); return { encoding: 'utf-8', by: 'content' }; } catch { /* ends inside a character */ }
    }
    return { encoding: this.fourByte ? 'gb18030' : 'gbk', by: 'content' };
  }
}

/** Detect a file's encoding (reads it once). */
export async function detectFile(file: string): Promise<Detected> {
  const s = new EncodingSniffer();
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) s.push(c as Buffer);
  return s.result();
}

/** xlsx when the file starts like a ZIP. */
export async function sniffFormat(file: string): Promise<'csv' | 'xlsx'> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04 ? 'xlsx' : 'csv';
  } finally { await fh.close(); }
}

const isEmpty = (cells: Cell[]) => cells.every((c) => c === null || c === undefined || c === '');

/** Every non-empty row of the file (all sheets of an XLSX, or those named in `table.sheets`), in order. */
export async function* readRows(file: string, t: Table, format: 'csv' | 'xlsx', encoding: Encoding, progress?: { bytes: number }): AsyncGenerator<TableRow> {
  for await (const rows of readRowBatches(file, t, format, encoding, progress)) yield* rows;
}

/**
 * The same rows, in runs. A quote-free CSV (hub/uploads/plain-csv.ts) yields a run per chunk of the file, so a row costs
 * no promise or iterator step of its own: at hundreds of thousands of rows those and csv-parse's per-character work
 * were most of an upload's mapping CPU. Any other CSV goes through csv-parse, an XLSX through exceljs, a row at a time.
 */
export async function* readRowBatches(file: string, t: Table, format: 'csv' | 'xlsx', encoding: Encoding, progress?: { bytes: number }): AsyncGenerator<TableRow[]> {
  if (format === 'xlsx') { for await (const r of readXlsx(file, t, progress)) yield [r]; return; }
  const plain = encoding !== 'utf-16le' && encoding !== 'utf-16be' && await quoteFree(file);
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  if (progress) input.on('data', (c) => { progress.bytes += c.length; });
  const text: NodeJS.ReadableStream & { destroy(e?: Error): void } = encoding === 'utf-8' ? input.setEncoding('utf8') : input.pipe(iconv.decodeStream(encoding, { stripBOM: true })) as never;
  let row = 0;
  try {
    if (plain) {
      if (text !== input) input.on('error', (e) => text.destroy(e));
      for await (const records of splitPlainCsv(text as AsyncIterable<string>, t.delimiter ?? ',')) {
        const rows: TableRow[] = [];
        for (const cells of records) {
          row++;
          if (cells.length === 1 && cells[0] === '') continue;
          rows.push({ row, cells });
        }
        if (rows.length) yield rows;
      }
      return;
    }
    const parser = text.pipe(parse({ delimiter: t.delimiter ?? ',', relax_column_count: true, bom: true, skip_empty_lines: false }));
    input.on('error', (e) => parser.destroy(e));
    for await (const cells of parser as AsyncIterable<string[]>) {
      row++;
      if (cells.length === 1 && cells[0] === '') continue;
      yield [{ row, cells }];
    }
  } catch (e) {
    if (e instanceof LifelineError) throw e;
    throw new LifelineError('UPLOAD_UNREADABLE', `the CSV cannot be read after row ${row}: ${(e as Error).message}`, { cause: e, details: { row: row + 1 } });
  } finally { input.destroy(); if (text !== input) text.destroy(); }
}

async function* readXlsx(file: string, t: Table, progress?: { bytes: number }): AsyncGenerator<TableRow> {
  const wanted = t.sheets ? new Set(t.sheets) : undefined;
  const seen = new Set<string>();
  const onBytes = progress ? (n: number) => { progress.bytes += n; } : undefined;
  try {
    for await (const sheet of xlsxSheets(file, { want: wanted && ((name) => wanted.has(name)), onBytes })) {
      seen.add(sheet.name);
      for await (const r of sheet.rows) {
        const values = r.values as unknown[];
        const cells: Cell[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellValue(values[i]));
        if (isEmpty(cells)) continue;
        yield { sheet: sheet.name, row: r.number, cells };
      }
    }
  } catch (e) {
    if (e instanceof LifelineError) throw e;
    throw xlsxUnreadable((e as Error).message, e); // a damaged part (its XML, its compression) met while reading rows
  }
  const missing = [...(wanted ?? [])].filter((s) => !seen.has(s));
  if (missing.length) throw new LifelineError('UPLOAD_BAD_HEADER', `the XLSX file has no sheet named ${missing.map((s) => `"${s}"`).join(', ')} (/table/sheets)`, { details: { path: '/table/sheets' } });
}
