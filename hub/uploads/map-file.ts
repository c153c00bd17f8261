// A table file → batches of readings and row failures, in row order: used by uploads (each batch one
// transaction with its row offset), `lifeline upload --dry-run` and `lifeline mapping test`.
import type { SourceReading, Table } from '../../schemas/generated/types.ts';
import { LifelineError } from '../sdk/errors.ts';
import type { CompiledTable, RowFailure, RowMapper } from '../mapping/table.ts';
import { readRowBatches, sniffFormat, detectFile, type Detected, type Encoding } from './read.ts';

export interface Batch {
  readings: SourceReading[];
  failures: Array<RowFailure & { cells: unknown[] }>;
  /** Data rows read so far in the file, this batch included: the offset to resume after. */
  rows: number;
  /** Data rows in this batch. */
  batchRows: number;
}

export interface MapFileOptions {
  format: 'csv' | 'xlsx';
  encoding: Encoding;
  /** Data rows already committed: read past them without mapping. */
  skip?: number;
  /** Rows per batch (default 2000); a batch also ends at 10,000 readings (wide tables). */
  batchRows?: number;
  signal?: AbortSignal;
  /** Bytes of the file read so far (updated as it is read). */
  progress?: { bytes: number };
}

/** The file's format and encoding as the profile says, else as detected. */
export async function fileKind(file: string, t: Table): Promise<{ format: 'csv' | 'xlsx'; detected: Detected | null }> {
  const format = t.format && t.format !== 'auto' ? t.format : await sniffFormat(file);
  if (format === 'xlsx') return { format, detected: null };
  const detected = t.encoding && t.encoding !== 'auto' ? { encoding: t.encoding, by: 'profile' as const } : await detectFile(file);
  return { format, detected };
}

const jsonCell = (c: unknown) => c instanceof Date ? c.toISOString() : c ?? null;

export async function* mapFile(file: string, table: CompiledTable, o: MapFileOptions): AsyncGenerator<Batch> {
  const t = table.table;
  const headerRow = t.header_row ?? 1;
  const skip = o.skip ?? 0;
  const per = o.batchRows ?? 2000;
  let sheet: string | undefined | null = null;
  let mapper: RowMapper | undefined;
  let rows = 0;
  let b: Batch = { readings: [], failures: [], rows: 0, batchRows: 0 };
  const rowFailures: RowFailure[] = [];
  for await (const run of readRowBatches(file, t, o.format, o.encoding, o.progress)) {
    for (const r of run) {
      if (r.sheet !== sheet) {
        sheet = r.sheet;
        mapper = headerRow === 0 ? table.bind([], r.sheet) : undefined;
      }
      if (r.row < headerRow) continue;
      if (r.row === headerRow) { mapper = table.bind(r.cells, r.sheet); continue; }
      if (!mapper) throw new LifelineError('UPLOAD_BAD_HEADER', `${r.sheet ? `sheet "${r.sheet}"` : 'the file'} has no header row ${headerRow} (its first row is ${r.row}); set /table/header_row`, { details: { path: '/table/header_row', sheet: r.sheet } });
      rows++;
      if (rows <= skip) continue;
      rowFailures.length = 0;
      mapper.map(r, b.readings, rowFailures);
      for (const f of rowFailures) b.failures.push({ ...f, cells: r.cells.map(jsonCell) });
      b.batchRows++;
      if (b.batchRows >= per || b.readings.length >= 10_000) {
        b.rows = rows;
        yield b;
        if (o.signal?.aborted) return;
        b = { readings: [], failures: [], rows: 0, batchRows: 0 };
      }
    }
  }
  if (b.batchRows || rows <= skip) { b.rows = Math.max(rows, skip); yield b; }
}
