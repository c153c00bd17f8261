// Decoded frames → SourceReadings in the source's own identifiers: identity (hj212, MN) + field (factor code).
import { sourceFlags, type SourceReading, type ObservationKind, type SourceFlag } from '../../hub/sdk/index.ts';
import type { Hj212Frame, CpItem } from './codec/types.ts';
import { dataTimeToIso } from './codec/time.ts';

/** Upload CNs that carry measurements, and the observation kind each one is. */
export const uploadKinds: Record<string, ObservationKind> = { '2011': 'rtd', '2021': 'rtd', '2051': 'min', '2061': 'hour', '2031': 'day', '2041': 'day' };

const hubFlags = new Set<string>(sourceFlags);
/** HJ/T 212-2005 P (power failure) has no 2017 letter: the instrument is not running, F. */
const legacyFlags: Record<string, SourceFlag> = { P: 'F', n: 'N', f: 'F', m: 'M', s: 'S', d: 'D', c: 'C', t: 'T', b: 'B' };
/** Item fields that qualify a value rather than being one. */
const modifiers = new Set(['Flag', 'flag', 'EFlag', 'SampleTime', 'SN', 'Info']);

function num(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function flagOf(item: CpItem, warnings: string[]): SourceFlag | undefined {
  const f = item.fields.Flag ?? item.fields.flag;
  if (f === undefined || f === null || f === '') return undefined;
  if (hubFlags.has(f)) return f as SourceFlag;
  const mapped = legacyFlags[f];
  if (mapped) return mapped;
  warnings.push('unknown_data_flag');
  return 'D';
}

export interface MapResult { readings: SourceReading[]; /** items that could not become readings, e.g. a value that is not a number */ skipped: Array<{ field: string; reason: string }> }

/** Measurements of an upload frame. Non-measurement CNs (2081 restart time, 3020 logs) give none. */
export function frameToReadings(frame: Hj212Frame, identityKey: string): MapResult {
  const kind = uploadKinds[frame.cn];
  const readings: SourceReading[] = [];
  const skipped: MapResult['skipped'] = [];
  if (!kind) return { readings, skipped };
  const identity = { protocol: 'hj212', key: identityKey };
  for (const record of frame.cp.records) {
    const time = record.dataTime ? dataTimeToIso(record.dataTime) : undefined;
    for (const item of record.items) {
      const warnings = [...frame.warnings];
      const flag = flagOf(item, warnings);
      const base = { identity, kind, message_id: frame.qn, ...(flag ? { flag } : {}) };
      if (!time) { skipped.push({ field: item.code, reason: `no valid DataTime (${record.dataTime ?? 'absent'})` }); continue; }
      const emit = (field: string, r: Partial<SourceReading>) => {
        readings.push({ ...base, field, time, ...r, ...(warnings.length ? { warnings: [...new Set(warnings)] } : {}) } as SourceReading);
      };
      const f = item.fields;
      if (kind === 'rtd') {
        for (const [suffix, raw] of Object.entries(f)) {
          if (modifiers.has(suffix)) continue;
          const v = num(raw);
          if (raw !== null && raw !== '' && v === undefined) { skipped.push({ field: `${item.code}-${suffix}`, reason: `value "${raw}" is not a number` }); continue; }
          // -Rtd is the factor itself; other values (-ZsRtd, SBx-RS, -Data…) are fields of their own.
          emit(suffix === 'Rtd' ? item.code : `${item.code}-${suffix}`, v === undefined ? { value: null, flag: flag && flag !== 'N' ? flag : 'B' } : { value: v });
        }
      } else {
        const avg = num(f.Avg), min = num(f.Min), max = num(f.Max), cou = num(f.Cou);
        if (avg !== undefined) {
          emit(item.code, { value: avg, avg, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(cou !== undefined ? { cou } : {}) });
        } else if (cou !== undefined) {
          // A total without an average (flow totals, w00000-Cou): a field of its own, its value the total.
          emit(`${item.code}-Cou`, { value: cou, cou });
        } else {
          skipped.push({ field: item.code, reason: 'aggregate without Avg or Cou' });
          continue;
        }
        const zs = { avg: num(f.ZsAvg), min: num(f.ZsMin), max: num(f.ZsMax) };
        if (zs.avg !== undefined) emit(`${item.code}-Zs`, { value: zs.avg, avg: zs.avg, ...(zs.min !== undefined ? { min: zs.min } : {}), ...(zs.max !== undefined ? { max: zs.max } : {}) });
      }
    }
  }
  return { readings, skipped };
}
