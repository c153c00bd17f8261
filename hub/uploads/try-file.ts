// Map a whole table file locally, nothing stored: `lifeline mapping test PROFILE FILE` and `lifeline upload --dry-run`.
import type { SourceReading } from '../../schemas/generated/types.ts';
import { loadTableProfile } from '../mapping/load.ts';
import type { RowFailure } from '../mapping/table.ts';
import { fileKind, mapFile } from './map-file.ts';
import { validator, fieldErrors } from '../schemas.ts';

export interface TryResult {
  profile: string;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  encodingBy: string | null;
  rows: number;
  readingCount: number;
  failed: number;
  /** The first `keep` readings and failures. */
  readings: SourceReading[];
  failures: RowFailure[];
}

export async function tryFile(profileArg: string, file: string, o: { timezone?: string; keep?: number; onProgress?: (rows: number, bytes: number) => void; validate?: boolean } = {}): Promise<TryResult> {
  const valid = o.validate ? validator<SourceReading>('lifeline:source-reading') : undefined;
  const progress = { bytes: 0 };
  const table = loadTableProfile(profileArg, undefined, { timezone: o.timezone });
  const { format, detected } = await fileKind(file, table.table);
  const keep = o.keep ?? Infinity;
  const r: TryResult = { profile: table.name, format, encoding: detected?.encoding ?? null, encodingBy: detected?.by ?? null, rows: 0, readingCount: 0, failed: 0, readings: [], failures: [] };
  for await (const b of mapFile(file, table, { format, encoding: detected?.encoding ?? 'utf-8', progress })) {
    r.rows = b.rows;
    r.failed += b.failures.length;
    for (const x of b.readings) {
      if (valid && !valid(x)) {
        const e = fieldErrors(valid.errors)[0]!;
        r.failed++;
        if (r.failures.length < keep) r.failures.push({ code: 'INVALID_RECORD', message: `message_id ${(x as SourceReading).message_id}: ${e.path} ${e.message}`, row: Number(String((x as SourceReading).message_id).split('!').pop()) || 0 });
        continue;
      }
      r.readingCount++;
      if (r.readings.length < keep) r.readings.push(x);
    }
    for (const f of b.failures) if (r.failures.length < keep) r.failures.push({ code: f.code, message: f.message, row: f.row, sheet: f.sheet, column: f.column });
    o.onProgress?.(r.rows, progress.bytes);
  }
  return r;
}
