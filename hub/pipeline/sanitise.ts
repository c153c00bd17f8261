// The one place where text from outside is made storable before the store: every record of a batch, every input an
// adapter rejected, every message written to quarantine and the adapter's checkpoint. NUL and lone UTF-16 surrogates
// (hub/sdk/text.ts) become U+FFFD, and what was changed is flagged (`text_sanitised` on the observation or the
// quarantine entry) instead of failing the batch it shares a transaction with.
import type { SourceReading } from '../../schemas/generated/types.ts';
import type { QuarantineRow } from '../store/rows.ts';
import { cleanText, sanitiseJson } from '../sdk/text.ts';

export interface SanitisedRecords {
  records: SourceReading[];
  /** Indexes of the records that had something replaced. */
  changed: Set<number>;
}

/** The batch with every string cleaned (the same array and objects when nothing needed it: the common case). */
export function sanitiseRecords(batch: SourceReading[]): SanitisedRecords {
  let records = batch;
  const changed = new Set<number>();
  for (let i = 0; i < batch.length; i++) {
    const s = sanitiseJson(batch[i]);
    if (!s.changed) continue;
    if (records === batch) records = batch.slice();
    records[i] = s.value!;
    changed.add(i);
  }
  return { records, changed };
}

/** A quarantine row as it will be stored: every text cleaned, `textSanitised` set when that changed anything. */
export function storableQuarantine(q: QuarantineRow): QuarantineRow {
  const record = sanitiseJson(q.record);
  const reason = cleanText(q.reason);
  const message = cleanText(q.message);
  const field = q.field === null ? null : cleanText(q.field);
  if (!record.changed && reason === q.reason && message === q.message && field === q.field) return q;
  return { reason, message, field, record: record.value, textSanitised: true };
}

/** A checkpoint value (e.g. an SQL poller's last text key) cleaned so that it can be stored as jsonb. */
export function storableCheckpoint(c: { key: string; value: unknown } | undefined): { key: string; value: unknown } | undefined {
  if (!c) return c;
  const key = cleanText(c.key);
  const value = sanitiseJson(c.value).value;
  return key === c.key && value === c.value ? c : { key, value };
}
