// One database row → one SourceReading, or the reason it cannot become one (the row then goes to quarantine
// as SQLPOLL_ROW_INVALID with the column at fault, in the same transaction as the cursor that passes it).
import { truncateText, sourceFlags, observationKinds, type SourceReading, type SourceFlag, type ObservationKind } from '../../hub/sdk/index.ts';
import type { TimeType } from './db.ts';

export interface RowSpec {
  source: string;
  columns: { device?: string; field?: string; value?: string; unit?: string; time?: string; flag?: string; kind?: string };
  fixed: { device?: string; field?: string; unit?: string; flag?: SourceFlag; kind?: ObservationKind };
  match: 'device' | 'identity' | 'point';
  /** Column of the row id, for message_id. */
  idColumn: string;
  /** Offset appended to values of 'fixed' time columns (MySQL TIMESTAMP in the session zone). */
  sessionOffset: string;
}

export type Mapped = { reading: SourceReading } | { reject: { reason: string; message: string; field: string } };

const FLAGS = new Set<string>(sourceFlags);
const KINDS = new Set<string>(observationKinds);
const DB_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Database time text → ISO 8601 the hub parses: `T` separator, `+hh:mm` offsets (PostgreSQL prints `+08`). */
export function isoTime(text: string, type: TimeType | undefined, sessionOffset: string): string | undefined {
  const m = DB_TIME.exec(text.trim());
  if (!m) return undefined;
  const [, date, clock = '00:00:00'] = m;
  let off = m[3];
  if (off && off !== 'Z') off = off.length === 3 ? `${off}:00` : off.includes(':') ? off : `${off.slice(0, 3)}:${off.slice(3)}`;
  if (!off && type === 'fixed') off = sessionOffset;
  return `${date}T${clock}${off ?? ''}`;
}

function text(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') { const s = v.trim(); return s === '' ? undefined : s; }
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

/** JSON-safe copy of a row for the quarantine record. */
export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'number') out[k] = Number.isFinite(v) ? v : String(v);
    else if (typeof v === 'bigint') out[k] = String(v);
    else if (v instanceof Date) out[k] = Number.isNaN(v.getTime()) ? null : v.toISOString();
    else if (Buffer.isBuffer(v)) out[k] = { base64: v.toString('base64') };
    else out[k] = JSON.parse(JSON.stringify(v) ?? 'null');
  }
  return out;
}

function bad(col: string | undefined, message: string): Mapped {
  return { reject: { reason: 'SQLPOLL_ROW_INVALID', message, field: `/${col ?? ''}` } };
}

export function mapRow(row: Record<string, unknown>, spec: RowSpec, timeColumns: Map<string, TimeType>): Mapped {
  const c = spec.columns, f = spec.fixed;

  const device = c.device !== undefined ? text(row[c.device]) : f.device;
  if (device === undefined) return bad(c.device, `${c.device ?? 'device'}: empty (a device${spec.match === 'point' ? '/point' : ''} code is required)`);
  const field = c.field !== undefined ? text(row[c.field]) : f.field;
  if (field === undefined && spec.match !== 'point') return bad(c.field, `${c.field ?? 'field'}: empty (the point's field is required)`);

  // time: text from the driver (timestamps come back as text), or epoch milliseconds
  const rawTime = c.time !== undefined ? row[c.time] : undefined;
  let time: string | number;
  if (typeof rawTime === 'number' || typeof rawTime === 'bigint') time = Number(rawTime);
  else if (typeof rawTime === 'string') {
    const iso = isoTime(rawTime, timeColumns.get(c.time!), spec.sessionOffset);
    if (!iso) return bad(c.time, `${c.time}: ${JSON.stringify(rawTime)} is not a date-time`);
    time = iso;
  } else if (rawTime instanceof Date && !Number.isNaN(rawTime.getTime())) time = rawTime.getTime();
  else return bad(c.time, `${c.time ?? 'time'}: ${rawTime === null || rawTime === undefined ? 'empty' : `unsupported type ${typeof rawTime}`}`);
  if (typeof time === 'number' && !Number.isFinite(time)) return bad(c.time, `${c.time}: not a finite epoch ms`);

  let flag = f.flag;
  if (c.flag !== undefined && row[c.flag] !== null && row[c.flag] !== undefined) {
    const s = text(row[c.flag])?.toUpperCase();
    if (!s || !FLAGS.has(s)) return bad(c.flag, `${c.flag}: ${JSON.stringify(row[c.flag])} is not an HJ 212 flag (${sourceFlags.join(' ')})`);
    flag = s as SourceFlag;
  }
  let kind = f.kind;
  if (c.kind !== undefined && row[c.kind] !== null && row[c.kind] !== undefined) {
    const s = text(row[c.kind])?.toLowerCase();
    if (!s || !KINDS.has(s)) return bad(c.kind, `${c.kind}: ${JSON.stringify(row[c.kind])} is not ${observationKinds.join(', ')}`);
    kind = s as ObservationKind;
  }

  const rawValue = c.value !== undefined ? row[c.value] : undefined;
  let value: number | null;
  if (rawValue === null || rawValue === undefined) {
    if ((flag ?? 'N') === 'N') return bad(c.value, `${c.value ?? 'value'}: empty with flag N (a missing value needs a flag such as D or B)`);
    value = null;
  } else if (typeof rawValue === 'number') value = rawValue;
  else if (typeof rawValue === 'string' && rawValue.trim() !== '' && Number.isFinite(Number(rawValue))) value = Number(rawValue);
  else if (typeof rawValue === 'bigint') value = Number(rawValue);
  else return bad(c.value, `${c.value}: ${typeof rawValue === 'string' ? JSON.stringify(rawValue) + ' is not a number' : `unsupported type ${Buffer.isBuffer(rawValue) ? 'binary' : typeof rawValue}`}`);
  if (value !== null && !Number.isFinite(value)) return bad(c.value, `${c.value}: not a finite number`);

  const unit = (c.unit !== undefined ? text(row[c.unit]) : undefined) ?? f.unit;
  const id = text(row[spec.idColumn]);
  const r: SourceReading = spec.match === 'point' ? { point: device, time } : spec.match === 'identity'
    ? { identity: { protocol: 'sql_poll', key: device }, field: field!, time } : { device, field: field!, time };
  r.value = value;
  if (unit !== undefined) r.unit = unit;
  if (flag !== undefined) r.flag = flag;
  if (kind !== undefined) r.kind = kind;
  if (id !== undefined) r.message_id = truncateText(`${spec.source}:${id}`, 64); // never half a surrogate pair
  return { reading: r };
}
