// The pipeline's pure part: map → parse time → convert units → validate against the indicator → flag.
// No I/O and no clock of its own, so it can be tested and benchmarked on its own.
import type { SourceReading } from '../../schemas/generated/types.ts';
import type { Registry, PointEntry, Resolution } from '../registry/registry.ts';
import type { ObservationRow, QuarantineRow } from '../store/rows.ts';
import { IdentitySeen } from './identity-seen.ts';
import { conversion, applyConversion, type Conversion } from '../units/convert.ts';
import { LifelineError } from '../sdk/errors.ts';
import { parseTime } from '../time/parse.ts';
import { observationKindDefault, sourceFlagDefault, sourceQualityDefault } from '../../schemas/generated/enums.ts';

export interface PrepareOptions {
  receivedAtMs: number;
  timezone: string;
  futureToleranceMs: number;
  /** 0 disables the late flag */
  lateAfterMs: number;
  /** Indexes of records whose text was sanitised on arrival: their observation or quarantine entry is flagged. */
  sanitised?: ReadonlySet<number>;
}

/** Per input record: an index into rows, a quarantine entry, or a duplicate within the batch. */
export type Slot = { row: number } | { quarantine: number } | { duplicateOf: number };

export interface Prepared {
  rows: ObservationRow[];
  quarantine: QuarantineRow[];
  slots: Slot[];
}

function sourceUnitOf(r: SourceReading, p: PointEntry): string {
  return r.unit ?? p.doc.source_unit ?? p.indicator.unit;
}

const cvOf = (conv: Conversion, x: number | undefined | null) => (x === undefined || x === null ? null : applyConversion(conv, x));
const outsideOf = (range: { min?: number; max?: number }, x: number | null) => x !== null && ((range.min !== undefined && x < range.min) || (range.max !== undefined && x > range.max));

/** The conversion of a reading already in its indicator's unit (most readings): one object, not one per reading. */
const SAME_UNIT: Conversion = Object.freeze({ scale: 1, offset: 0, converts: false });
/** The flags and warnings of a row that has none (most rows): one frozen array, not one per row. */
const NONE: string[] = Object.freeze([]) as unknown as string[];

export function prepare(batch: SourceReading[], registry: Registry, o: PrepareOptions): Prepared {
  const rows: ObservationRow[] = [];
  const quarantine: QuarantineRow[] = [];
  const slots: Slot[] = new Array(batch.length);
  const seen = new IdentitySeen(rows);
  let last: SourceReading | undefined, lastRes: Resolution | undefined;
  const found: string[] = []; // a row's flags while they are worked out; copied only when there are some
  const quarantineAs = (i: number, reason: string, message: string, field: string | null) => {
    slots[i] = { quarantine: quarantine.length };
    quarantine.push({ reason, message, field, record: batch[i], textSanitised: o.sanitised?.has(i) ?? false });
  };

  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    // Consecutive readings of one point (a file's series, a device's frame) resolve once.
    const same = last !== undefined && r.point === last.point && r.device === last.device && r.field === last.field && r.identity === undefined && last.identity === undefined;
    const res = same ? lastRes! : registry.resolve(r);
    if ('point' in res) { last = r; lastRes = res; }
    if ('error' in res) { quarantineAs(i, res.error, res.message, res.field); continue; }
    const p = res.point;
    const ind = p.indicator;

    const timeMs = parseTime(r.time, p.device.doc.timezone ?? o.timezone);
    if (Number.isNaN(timeMs)) { quarantineAs(i, 'INVALID_TIME', `time ${JSON.stringify(r.time)} is not an ISO 8601 date-time or epoch ms`, '/time'); continue; }

    // Absent: the schemas' defaults (an ingest batch is validated without filling them in).
    const kind = r.kind ?? observationKindDefault;
    const flag = r.flag ?? sourceFlagDefault;
    let raw = r.value ?? null;
    if (raw === null && kind !== 'rtd' && r.avg !== undefined) raw = r.avg;
    const quality = r.quality ?? sourceQualityDefault;
    if (raw === null && flag === 'N' && quality !== 'bad') { quarantineAs(i, 'MISSING_VALUE', 'a reading with flag N needs `value` (or `avg` for aggregates)', '/value'); continue; }
    if ((raw !== null && !Number.isFinite(raw)) || (r.avg !== undefined && !Number.isFinite(r.avg)) || (r.min !== undefined && !Number.isFinite(r.min)) || (r.max !== undefined && !Number.isFinite(r.max)) || (r.cou !== undefined && !Number.isFinite(r.cou))) {
      quarantineAs(i, 'INVALID_RECORD', 'values must be finite numbers', '/value'); continue;
    }

    const unit = sourceUnitOf(r, p);
    const conv: Conversion | LifelineError = unit === ind.unit ? SAME_UNIT : conversion(unit, ind.unit, p.doc.lel_percent_vol ?? ind.lel_percent_vol);
    if (conv instanceof LifelineError) { quarantineAs(i, conv.code, conv.message, '/unit'); continue; }

    const value = cvOf(conv, raw);
    found.length = 0;
    if (quality !== sourceQualityDefault) found.push(quality);
    if (conv.converts) found.push('unit_converted');
    const range = ind.range;
    if (range) {
      if (outsideOf(range, value) || outsideOf(range, cvOf(conv, r.min)) || outsideOf(range, cvOf(conv, r.max))) found.push('out_of_range');
    }
    if (ind.resolution && value !== null && kind === 'rtd') {
      const steps = value / ind.resolution;
      if (Math.abs(steps - Math.round(steps)) > 1e-6 * Math.max(1, Math.abs(steps))) found.push('finer_than_resolution');
    }
    if (timeMs - o.receivedAtMs > o.futureToleranceMs) found.push('future_time');
    else if (o.lateAfterMs > 0 && kind === 'rtd' && o.receivedAtMs - timeMs > o.lateAfterMs) found.push('late');
    if (o.sanitised?.has(i)) found.push('text_sanitised');

    const prior = seen.firstOf(p.id, kind, timeMs, rows.length);
    if (prior !== undefined) { slots[i] = { duplicateOf: prior }; continue; }
    slots[i] = { row: rows.length };
    rows.push({
      pointId: p.id, deviceId: p.device.id, siteId: p.device.site.id, indicator: ind.code, kind, timeMs,
      value, avg: cvOf(conv, r.avg), min: cvOf(conv, r.min), max: cvOf(conv, r.max), cou: r.cou ?? null, unit: ind.unit,
      sourceFlag: flag, flags: found.length ? found.slice() : NONE, warnings: r.warnings ?? NONE, messageId: r.message_id ?? null,
      rawValue: conv.converts ? raw : null, rawUnit: conv.converts ? unit : null,
    });
  }
  return { rows, quarantine, slots };
}
