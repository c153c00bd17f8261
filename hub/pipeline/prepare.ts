// The pipeline's pure part: map → parse time → convert units → validate against the indicator → flag.
// No I/O and no clock of its own, so it can be tested and benchmarked on its own.
import type { SourceReading } from '../../schemas/generated/types.ts';
import type { Registry, PointEntry } from '../registry/registry.ts';
import type { ObservationRow, QuarantineRow } from '../store/rows.ts';
import { identityKey } from '../store/rows.ts';
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
  keys: string[];
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

export function prepare(batch: SourceReading[], registry: Registry, o: PrepareOptions): Prepared {
  const rows: ObservationRow[] = [];
  const keys: string[] = [];
  const quarantine: QuarantineRow[] = [];
  const slots: Slot[] = new Array(batch.length);
  const seen = new Map<string, number>();
  const quarantineAs = (i: number, reason: string, message: string, field: string | null) => {
    slots[i] = { quarantine: quarantine.length };
    quarantine.push({ reason, message, field, record: batch[i], textSanitised: o.sanitised?.has(i) ?? false });
  };

  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    const res = registry.resolve(r);
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
    const flags: string[] = [];
    if (quality !== sourceQualityDefault) flags.push(quality);
    if (conv.converts) flags.push('unit_converted');
    const range = ind.range;
    if (range) {
      if (outsideOf(range, value) || outsideOf(range, cvOf(conv, r.min)) || outsideOf(range, cvOf(conv, r.max))) flags.push('out_of_range');
    }
    if (ind.resolution && value !== null && kind === 'rtd') {
      const steps = value / ind.resolution;
      if (Math.abs(steps - Math.round(steps)) > 1e-6 * Math.max(1, Math.abs(steps))) flags.push('finer_than_resolution');
    }
    if (timeMs - o.receivedAtMs > o.futureToleranceMs) flags.push('future_time');
    else if (o.lateAfterMs > 0 && kind === 'rtd' && o.receivedAtMs - timeMs > o.lateAfterMs) flags.push('late');
    if (o.sanitised?.has(i)) flags.push('text_sanitised');

    const key = identityKey(p.id, kind, timeMs);
    const prior = seen.get(key);
    if (prior !== undefined) { slots[i] = { duplicateOf: prior }; continue; }
    seen.set(key, rows.length);
    slots[i] = { row: rows.length };
    keys.push(key);
    rows.push({
      pointId: p.id, deviceId: p.device.id, siteId: p.device.site.id, indicator: ind.code, kind, timeMs,
      value, avg: cvOf(conv, r.avg), min: cvOf(conv, r.min), max: cvOf(conv, r.max), cou: r.cou ?? null, unit: ind.unit,
      sourceFlag: flag, flags, warnings: r.warnings ?? [], messageId: r.message_id ?? null,
      rawValue: conv.converts ? raw : null, rawUnit: conv.converts ? unit : null,
    });
  }
  return { rows, keys, quarantine, slots };
}
