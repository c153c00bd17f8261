// The report as CSV: UTF-8 with a byte-order mark (so Excel reads the Chinese headers as UTF-8), CRLF line ends,
// rates in percent (93.75) and durations in minutes, one row per report row with its grouping first.
import type { ReportRow } from './compute.ts';
import { flatColumns, type ColumnContext } from './columns.ts';

const BOM = '\uFEFF';

/** A cell as RFC 4180 text; text a spreadsheet would run as a formula (= + - @ first) is prefixed with `'`. */
function cell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function reportCsv(rows: ReportRow[], c: ColumnContext): string {
  const cols = flatColumns(c);
  const lines = [cols.map((k) => cell(k.kind === 'percent' ? `${k.header}(%)` : k.header)).join(',')];
  for (const r of rows) {
    lines.push(cols.map((k) => {
      const v = k.value(r);
      if (typeof v !== 'number') return cell(v);
      return cell(k.kind === 'percent' ? round(v * 100, 2) : k.kind === 'minutes' ? round(v, 1) : v);
    }).join(','));
  }
  return BOM + lines.join('\r\n') + '\r\n';
}
