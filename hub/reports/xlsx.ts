// The report as XLSX through exceljs' streaming writer (rows are written and forgotten, so memory stays flat): one
// sheet per grouping, a title row and a header row frozen above the data (and the naming column beside it), rates
// with a percent format, durations in minutes.
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { ReportGroup, ReportRow } from './compute.ts';
import { columnsFor, GROUP_NAMES, type CellKind, type ColumnContext } from './columns.ts';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// One style object per kind, shared by every cell of that kind: exceljs caches a style's id by the object's identity,
// so a shared one is looked up once (a style object per cell cost a JSON key per cell: half the workbook's time).
const STYLES: Record<CellKind, Partial<ExcelJS.Style>> = { text: {}, int: { numFmt: '#,##0' }, percent: { numFmt: '0.00%' }, minutes: { numFmt: '0.0' } };

export interface XlsxMeta {
  /** Sheet title line, e.g. 城市生命线数据质量日报 2026-11-25 (Asia/Shanghai). */
  title: string;
  groups: readonly ReportGroup[];
}

/** Write the workbook to `out` (ended when done). `progress` is told each sheet as it is written. */
export async function writeReportXlsx(out: Writable, rows: ReportRow[], meta: XlsxMeta, c: ColumnContext, progress?: (group: ReportGroup, rows: number) => void): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'lifeline-hub';
  wb.created = new Date();
  for (const g of meta.groups) {
    const cols = columnsFor(g, c);
    const ws = wb.addWorksheet(`按${GROUP_NAMES[g]}`, { views: [{ state: 'frozen', xSplit: 1, ySplit: 2 }] });
    ws.columns = cols.map((k) => ({ width: k.width }));
    const title = ws.addRow([`${meta.title} · 按${GROUP_NAMES[g]}`]);
    title.font = { bold: true, size: 13 };
    ws.mergeCells(1, 1, 1, Math.min(cols.length, 8));
    title.commit();
    const header = ws.addRow(cols.map((k) => k.header));
    header.font = { bold: true };
    header.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    header.eachCell((cell) => { cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } }; });
    header.commit();
    let n = 0;
    for (const r of rows) {
      if (r.group !== g) continue;
      const row = ws.addRow(cols.map((k) => k.value(r)));
      cols.forEach((k, i) => { row.getCell(i + 1).style = STYLES[k.kind]; });
      row.commit();
      n++;
    }
    ws.commit();
    progress?.(g, n);
  }
  await wb.commit();
}
