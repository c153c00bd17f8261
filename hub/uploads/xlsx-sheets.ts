// An XLSX file's worksheets read through the ZIP's central directory, in the order their parts depend on each other:
// the relationships, the workbook (sheet names), the shared strings and the styles (which cells are dates) first,
// then each worksheet a row at a time, in workbook order.
//
// Why not exceljs' own streaming WorkbookReader loop: it reads the ZIP front to back in one pass and meets the parts in
// the order they were zipped. A worksheet met before the shared strings goes to a temporary file, and exceljs writes
// xl/workbook.xml last of all. On Node >= 18 that pass can lose the entries after such a worksheet (exceljs #3064,
// unzipper #234): the sheet had no name, or the read failed, depending on timing. An upload of an exceljs-written
// two-sheet workbook failed that way once in CI (2026-12-05). The upload is spooled to a file already, so every part
// can be reached by its offset: nothing depends on the order any more, nothing is copied to a temporary file, and a
// sheet the profile does not want is never decompressed.
//
// The parts are parsed by exceljs' own methods (its XML readers, its date and shared-string handling); only the order
// is ours. Those methods are exceljs' internals: `test/xlsx-sheets.test.ts` fails if an upgrade renames them.
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import unzipper, { type CentralDirectoryFile } from 'unzipper';
import { LifelineError } from '../sdk/errors.ts';

/** exceljs 4.4's WorkbookReader members used here (lib/stream/xlsx/workbook-reader.js). */
interface ReaderParts {
  workbookRels?: { Id: string; Target: string }[];
  model?: { sheets?: { name: string; rId: string }[] };
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(chunks: AsyncIterable<Buffer>, sheetNo: string): Iterable<{ eventType: string; value: ExcelJS.stream.xlsx.WorksheetReader & { name?: string } }>;
}

export const READER_PARTS = ['_parseRels', '_parseWorkbook', '_parseSharedStrings', '_parseStyles', '_parseWorksheet'] as const;

/** One worksheet: its name and its rows (exceljs rows, `values` 1-based), read as they are iterated. */
export interface XlsxSheet { name: string; rows: AsyncIterable<ExcelJS.Row> }

export interface XlsxSheetsOptions {
  /** Which sheets to read; the others are skipped without being decompressed. Default: all. */
  want?: (name: string) => boolean;
  /** Called with the compressed bytes each part has been read through (estimated within a part), for progress. */
  onBytes?: (bytes: number) => void;
}

/** The error for an XLSX file that cannot be read (also for what fails while a caller iterates a sheet's rows). */
export const xlsxUnreadable = (message: string, cause?: unknown) => new LifelineError('UPLOAD_UNREADABLE', `the XLSX file cannot be read: ${message}`, { cause });

/**
 * The worksheets of the XLSX file at `file`, in workbook order. Each sheet's rows must be read (or skipped) before the
 * next sheet is asked for. Every file stream it opens is closed when the generator ends, however it ends.
 */
export async function* xlsxSheets(file: string, options: XlsxSheetsOptions = {}): AsyncGenerator<XlsxSheet> {
  // exceljs costs ~0.7 s of CPU to load: only an XLSX upload pays it, not every hub start.
  const { default: excel } = await import('exceljs');
  const reader = new excel.stream.xlsx.WorkbookReader(file, { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore' }) as unknown as ReaderParts;
  const missing = READER_PARTS.filter((m) => typeof reader[m] !== 'function');
  if (missing.length) throw new Error(`exceljs no longer has ${missing.join(', ')}: hub/uploads/xlsx-sheets.ts must follow its WorkbookReader`);

  const open = new Set<ReadStream>();
  const source = {
    stream(offset: number, length?: number) {
      const s = createReadStream(file, { start: offset, end: length ? offset + length - 1 : undefined });
      open.add(s);
      s.once('close', () => open.delete(s));
      return s;
    },
    size: async () => statSync(file).size,
  };
  try {
    let directory;
    try { directory = await unzipper.Open.custom(source); } catch (e) { throw xlsxUnreadable(`it is not a ZIP archive (${(e as Error).message})`, e); }
    const parts = new Map(directory.files.map((f) => [f.path.replace(/^\//, ''), f]));
    const part = (path: string) => {
      const f = parts.get(path);
      if (!f) return undefined;
      const s = f.stream();
      if (options.onBytes && f.uncompressedSize > 0) {
        const ratio = f.compressedSize / f.uncompressedSize;
        s.on('data', (c: Buffer) => options.onBytes!(c.length * ratio));
      }
      return s;
    };
    const required = (path: string) => part(path) ?? (() => { throw xlsxUnreadable(`it has no ${path}: not an XLSX workbook`); })();

    await reader._parseRels(required('xl/_rels/workbook.xml.rels'));
    await reader._parseWorkbook(required('xl/workbook.xml'));
    const strings = part('xl/sharedStrings.xml');
    if (strings) for await (const _ of reader._parseSharedStrings(strings)) { /* cached on the reader */ }
    const styles = part('xl/styles.xml');
    if (styles) await reader._parseStyles(styles);

    for (const sheet of reader.model?.sheets ?? []) {
      if (options.want && !options.want(sheet.name)) continue;
      const target = reader.workbookRels?.find((r) => r.Id === sheet.rId)?.Target;
      if (!target) throw xlsxUnreadable(`sheet "${sheet.name}" has no relationship ${sheet.rId} in xl/_rels/workbook.xml.rels`);
      const path = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
      const entry: CentralDirectoryFile | undefined = parts.get(path);
      if (!entry) throw xlsxUnreadable(`sheet "${sheet.name}" is ${path}, which the archive does not hold`);
      const sheetNo = /(\d+)\.xml$/.exec(path)?.[1] ?? '0';
      for (const { eventType, value } of reader._parseWorksheet(required(path), sheetNo)) {
        if (eventType !== 'worksheet') continue;
        value.name = sheet.name;
        yield { name: sheet.name, rows: value as unknown as AsyncIterable<ExcelJS.Row> };
      }
    }
  } finally {
    for (const s of open) s.destroy();
  }
}
