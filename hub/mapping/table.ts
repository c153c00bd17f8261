// Table profiles (CSV / XLSX files): a profile's `table` block compiled once into a row mapper. A row becomes
// readings (long: one; wide: one per value column) or failures with its row number and the column at fault, never
// an exception. The file reading itself (encodings, CSV, XLSX) is in hub/uploads/read.ts.
import type { SourceReading, Table } from '../../schemas/generated/types.ts';
import { sourceFlags } from '../../schemas/generated/enums.ts';
import { LifelineError } from '../sdk/errors.ts';
import { isValidZone } from '../time/parse.ts';
import { timeReader, type TimeReader } from './time.ts';
import { show } from './result.ts';

export type Cell = string | number | boolean | Date | null | undefined;

/** One row of a file: its 1-based row number (in its sheet) and its cells. */
export interface TableRow { sheet?: string; row: number; cells: Cell[] }

/** Why a row (or one value of a wide row) gave no reading. */
export interface RowFailure { code: string; message: string; row: number; sheet?: string; column?: string }

/** Maps the data rows of one sheet (or CSV file), with its header bound to column indexes. */
export interface RowMapper { map(r: TableRow, out: SourceReading[], failures: RowFailure[]): void }

export interface CompiledTable {
  name: string;
  table: Table;
  /** Bind the columns to a header row (cells of row `header_row`; empty for header_row 0). Throws UPLOAD_BAD_HEADER. */
  bind(header: Cell[], sheet?: string): RowMapper;
}

export interface TableOptions {
  /** Zone when the profile's time.zone is absent (default Asia/Shanghai). */
  timezone?: string;
  /** Prefix of each reading's message_id (`<prefix><sheet>!<row>`), e.g. the upload id. */
  messagePrefix?: string;
}

const FLAGS = new Set<string>(sourceFlags);
/** SourceReading's limits (lifeline:source-reading), checked here so that uploads can skip per-record schema validation. */
const MAX_CODE = 128, MAX_UNIT = 32;
const numeric = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** 1,204.5 (Excel's thousands separators). */
const thousands = /^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$/;

/** A cell as text (XLSX rich text, formulas, hyperlinks included); dates stay dates. */
export function cellValue(v: unknown): Cell {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v as Cell;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.richText)) return (o.richText as { text?: string }[]).map((x) => x.text ?? '').join('');
  if ('result' in o) return cellValue(o.result);
  if (typeof o.text === 'string') return o.text;
  if ('error' in o) return String(o.error);
  return String(v);
}

const text = (c: Cell): string => typeof c === 'string' ? c.trim() : c instanceof Date ? c.toISOString() : c === null || c === undefined ? '' : String(c).trim();
/** Plain decimals ("0.352", "-12", "1e3"): read as they are, before any separator handling. */
const plainNumber = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function compileTime(t: Table['time'], zone: string): { read: (c: Cell) => number | string } {
  const format = t.format ?? 'auto';
  let read: TimeReader;
  try { read = timeReader(format); } catch (e) { throw new LifelineError('MAPPING_INVALID', `/table/time/format: ${(e as Error).message}`, { details: { path: '/table/time/format' } }); }
  const z = t.zone ?? zone;
  if (!isValidZone(z)) throw new LifelineError('MAPPING_INVALID', `/table/time/zone: "${z}" is not an IANA time zone`, { details: { path: '/table/time/zone' } });
  const iso = timeReader('iso8601');
  return {
    read: (c) => {
      // An XLSX date cell holds the wall clock Excel shows (as if UTC): read it in the zone.
      if (c instanceof Date) return Number.isNaN(c.getTime()) ? 'an invalid date cell' : iso(c.toISOString().slice(0, 23).replace('T', ' '), z);
      const s = typeof c === 'number' ? c : text(c);
      if (s === '') return 'the time cell is empty';
      return read(s, z);
    },
  };
}

export function compileTable(profile: { name?: string; table: Table; unit_map?: Record<string, string> }, opts: TableOptions = {}): CompiledTable {
  const t = profile.table;
  const name = profile.name ?? 'profile';
  const zone = opts.timezone ?? 'Asia/Shanghai';
  const time = compileTime(t.time, zone);
  const unitMap = profile.unit_map ?? {};
  const unitOf = (u: string) => unitMap[u] ?? u;
  const prefix = opts.messagePrefix ?? '';
  const decimalComma = t.decimal_comma === true;
  const kind = t.kind;
  const wide = t.layout === 'wide';
  if (t.identity && t.device) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": give either /table/device or /table/identity, not both`, { details: { path: '/table/identity' } });
  if (!wide && t.value === undefined) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": a long table needs /table/value (the value column)`, { details: { path: '/table/value' } });
  if (!wide && t.point === undefined && t.field === undefined) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": a long table needs /table/point, or /table/field with a device or identity`, { details: { path: '/table/field' } });
  const byPoint = wide ? t.header_is === 'point' : t.point !== undefined;
  if (!byPoint && !t.device && !t.identity) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": readings by field need /table/device or /table/identity`, { details: { path: '/table/device' } });
  for (const who of [t.device, t.identity]) {
    if (who && !(who as { column?: unknown }).column && !(who as { sheet?: boolean }).sheet) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": /table/${who === t.device ? 'device' : 'identity'} needs column or sheet: true`, { details: { path: '/table/device' } });
  }

  const readValue = (c: Cell): number | string => {
    if (typeof c === 'number') return Number.isFinite(c) ? c : `${c} is not a finite number`;
    if (typeof c === 'boolean') return c ? 1 : 0;
    let s = text(c);
    if (!decimalComma && plainNumber.test(s)) return Number(s); // most cells: nothing to strip
    if (decimalComma) s = s.replace(/[.\s\u00a0']/g, '').replace(',', '.');
    else { s = s.replace(/[\s\u00a0]/g, ''); if (thousands.test(s)) s = s.replace(/,/g, ''); }
    return numeric.test(s) ? Number(s) : `${show(text(c))} is not a number`;
  };

  return {
    name, table: t,
    bind(header, sheet) {
      const names = header.map((h) => text(cellValue(h)));
      const where = sheet ? ` of sheet "${sheet}"` : '';
      const col = (c: string | number | undefined, key: string): number | undefined => {
        if (c === undefined) return undefined;
        if (typeof c === 'number') return c - 1;
        const i = names.indexOf(c);
        if (i < 0) throw new LifelineError('UPLOAD_BAD_HEADER', `column "${c}" (/table/${key}) is not in the header row${where}${t.header_row === 0 ? ' (header_row is 0: name columns by number)' : ''}; the header has: ${names.filter(Boolean).slice(0, 20).join(', ') || 'nothing'}`, { details: { path: `/table/${key}`, column: c, sheet } });
        return i;
      };
      const label = (i: number) => names[i] || `column ${i + 1}`;
      const timeCol = col(t.time.column, 'time/column')!;
      const deviceCol = col(t.device?.column, 'device/column');
      const identityCol = col(t.identity?.column, 'identity/column');
      const flagCol = col(t.flag, 'flag');
      const protocol = t.identity?.protocol ?? 'upload';
      const fromSheet = t.device?.sheet === true || t.identity?.sheet === true;
      if (fromSheet && !sheet) throw new LifelineError('UPLOAD_BAD_HEADER', 'the profile takes the device from the sheet name (sheet: true), which only an XLSX file has', { details: { path: t.device ? '/table/device/sheet' : '/table/identity/sheet' } });

      // The device part of a reading, or a failure message.
      const who = (cells: Cell[]): Partial<SourceReading> | string => {
        if (byPoint) return {};
        if (t.device) { const d = fromSheet ? sheet! : text(cells[deviceCol!]); return !d ? `the device cell (${label(deviceCol!)}) is empty` : d.length > MAX_CODE ? `the device code is longer than ${MAX_CODE} characters` : { device: d }; }
        const k = fromSheet ? sheet! : text(cells[identityCol!]);
        return !k ? `the identity cell (${label(identityCol!)}) is empty` : k.length > MAX_CODE ? `the identity key is longer than ${MAX_CODE} characters` : { identity: { protocol, key: k } };
      };
      const flagOf = (cells: Cell[]): string | undefined | { bad: string } => {
        if (flagCol === undefined) return undefined;
        const f = text(cells[flagCol]);
        if (!f) return undefined;
        return FLAGS.has(f) ? f : { bad: `flag ${show(f)} is not one of ${[...FLAGS].join(' ')}` };
      };

      // Every row, long or wide: failures name the row (and sheet and column), then the time and the device part.
      type Fail = (code: string, message: string, column?: number) => void;
      const failOf = (r: { row: number }, failures: RowFailure[]): Fail => (code, message, column) => {
        failures.push({ code, message: `row ${r.row}${where}: ${message}`, row: r.row, sheet, column: column === undefined ? undefined : label(column) });
      };
      const failRow = (r: { row: number }, failures: RowFailure[], code: string, message: string, column?: number): void => failOf(r, failures)(code, message, column);
      // A reading's message_id: this prefix and its row number (the last 64 characters).
      const messagePrefix = `${prefix}${sheet ? `${sheet}!` : ''}`;
      const rowStart = (cells: Cell[], fail: Fail): { ms: number; w: Partial<SourceReading> } | undefined => {
        const ms = time.read(cells[timeCol]);
        if (typeof ms === 'string') { fail('MAPPING_BAD_TIME', ms, timeCol); return undefined; }
        const w = who(cells);
        if (typeof w === 'string') { fail('MAPPING_NO_DEVICE', w, deviceCol ?? identityCol); return undefined; }
        return { ms, w };
      };

      if (!wide) {
        const pointCol = col(t.point, 'point');
        const fieldCol = col(t.field, 'field');
        const valueCol = col(t.value, 'value')!;
        const unitCol = col(t.unit, 'unit');
        return {
          // A good row costs no closure and no object besides its reading: keepNames (the build's esbuild option) makes
          // every closure created a property write, and one per row was a measurable share of an upload's CPU.
          map(r, out, failures) {
            const cells = r.cells;
            const ms = time.read(cells[timeCol]);
            if (typeof ms === 'string') return failRow(r, failures, 'MAPPING_BAD_TIME', ms, timeCol);
            let key = '';
            if (!byPoint) {
              key = fromSheet ? sheet! : text(cells[(deviceCol ?? identityCol)!]);
              if (!key || key.length > MAX_CODE) return failRow(r, failures, 'MAPPING_NO_DEVICE', who(cells) as string, deviceCol ?? identityCol);
            }
            let point: string | undefined, field: string | undefined;
            if (pointCol !== undefined) {
              const p = text(cells[pointCol]);
              if (!p || p.length > MAX_CODE) return failRow(r, failures, 'MAPPING_BAD_VALUE', p ? `the point code is longer than ${MAX_CODE} characters` : `the point cell (${label(pointCol)}) is empty`, pointCol);
              point = p;
            } else {
              const f = text(cells[fieldCol!]);
              if (!f || f.length > MAX_CODE) return failRow(r, failures, 'MAPPING_BAD_VALUE', f ? `the field name is longer than ${MAX_CODE} characters` : `the field cell (${label(fieldCol!)}) is empty`, fieldCol);
              field = f;
            }
            const v = readValue(cells[valueCol]);
            if (typeof v === 'string') return failRow(r, failures, 'MAPPING_BAD_VALUE', text(cells[valueCol]) === '' ? `the value cell (${label(valueCol)}) is empty` : v, valueCol);
            let unit: string | undefined;
            if (unitCol !== undefined) {
              const u = text(cells[unitCol]);
              if (u.length > MAX_UNIT) return failRow(r, failures, 'MAPPING_BAD_VALUE', `the unit is longer than ${MAX_UNIT} characters`, unitCol);
              if (u) unit = unitOf(u);
            }
            const f = flagOf(cells);
            if (typeof f === 'object') return failRow(r, failures, 'MAPPING_BAD_VALUE', f.bad, flagCol);
            // Keys in the order they always had; absent ones are not set (a reading carries only what the row gave).
            const rd = (byPoint ? { time: ms, value: v } : t.device ? { device: key, time: ms, value: v } : { identity: { protocol, key }, time: ms, value: v }) as SourceReading;
            if (point !== undefined) rd.point = point; else rd.field = field;
            if (unit !== undefined) rd.unit = unit;
            if (kind) rd.kind = kind;
            if (f) rd.flag = f as SourceReading['flag'];
            const mid = messagePrefix + r.row;
            rd.message_id = mid.length > 64 ? mid.slice(-64) : mid;
            out.push(rd);
          },
        };
      }

      // wide: the value columns and what each one is.
      const used = new Set([timeCol, deviceCol, identityCol, flagCol].filter((x) => x !== undefined));
      const valueCols = t.columns === undefined || t.columns === '*'
        ? names.map((_, i) => i).filter((i) => !used.has(i) && names[i] !== '')
        : (t.columns as Array<string | number>).map((c, k) => col(c, `columns/${k}`)!);
      if (!valueCols.length) throw new LifelineError('UPLOAD_BAD_HEADER', `the header row${where} has no value columns (every column is the time, device or flag)`, { details: { path: '/table/columns', sheet } });
      for (const i of valueCols) if ((names[i] ?? '').length > MAX_CODE) throw new LifelineError('UPLOAD_BAD_HEADER', `the header of column ${i + 1}${where} is longer than ${MAX_CODE} characters`, { details: { path: '/table/columns', sheet } });
      const units = t.units ?? {};
      const specs = valueCols.map((i) => ({ i, key: names[i] || String(i + 1), unit: units[names[i] ?? ''] === undefined ? undefined : unitOf(units[names[i]!]!) }));
      const skipEmpty = t.skip_empty !== false;
      return {
        map(r, out, failures) {
          const cells = r.cells;
          const fail = failOf(r, failures);
          const start = rowStart(cells, fail);
          if (!start) return;
          const { ms, w } = start;
          const f = flagOf(cells);
          if (typeof f === 'object') return fail('MAPPING_BAD_VALUE', f.bad, flagCol);
          const mid = `${prefix}${sheet ? `${sheet}!` : ''}${r.row}`.slice(-64);
          for (const s of specs) {
            const c = cells[s.i];
            if (skipEmpty && text(c) === '') continue;
            const v = readValue(c);
            if (typeof v === 'string') { fail('MAPPING_BAD_VALUE', text(c) === '' ? `the value cell (${label(s.i)}) is empty` : `${label(s.i)}: ${v}`, s.i); continue; }
            const rd = { ...w, time: ms, value: v } as SourceReading;
            if (byPoint) rd.point = s.key; else rd.field = s.key;
            if (s.unit) rd.unit = s.unit;
            if (kind) rd.kind = kind;
            if (f) rd.flag = f as SourceReading['flag'];
            rd.message_id = mid;
            out.push(rd);
          }
        },
      };
    },
  };
}
