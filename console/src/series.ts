// What the point chart computes: which resolution a time range is shown at (raw readings, or the hub's minute, hour
// or day aggregates), alarm thresholds as bands in the indicator's unit, axis ticks. Pure functions, no DOM
// (test/console-metrics.test.ts checks them).

export type Resolution = 'raw' | '1m' | '1h' | '1d';

/** Longest range shown as raw readings, then as minute, then hour aggregates; longer ones as days. */
export const RAW_MAX_MS = 6 * 3600_000;
export const MINUTE_MAX_MS = 3 * 86_400_000;
export const HOUR_MAX_MS = 90 * 86_400_000;

export function autoResolution(rangeMs: number): Resolution {
  return rangeMs <= RAW_MAX_MS ? 'raw' : rangeMs <= MINUTE_MAX_MS ? '1m' : rangeMs <= HOUR_MAX_MS ? '1h' : '1d';
}

/** Preset ranges (the page's buttons), as milliseconds back from now. */
export const RANGES: Record<string, number> = { '1h': 3600_000, '6h': 6 * 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export interface ThresholdRule {
  id: string; kind: string; enabled?: boolean; direction?: 'upper' | 'lower'; unit?: string; source?: string; description?: string;
  levels?: Array<{ level: number; raise: number; clear: number }>;
}

export interface Band { level: number; rule: string; direction: 'upper' | 'lower'; raise: number; from: number; to: number; source?: string }

/**
 * The threshold rules' levels as bands in the indicator's unit: an upper level from its raise value up to the next
 * more severe level's (or the top), a lower one down from its raise value. A rule in another unit is converted when
 * it is %{LEL} on a %{vol} indicator (through lel_percent_vol, as the hub does); otherwise it is left out and named
 * in `skipped` (the page says so).
 */
export function thresholdBands(rules: ThresholdRule[], unit: string, lelPercentVol?: number): { bands: Band[]; skipped: string[] } {
  const bands: Band[] = [], skipped: string[] = [];
  for (const r of rules) {
    if (r.kind !== 'threshold' || r.enabled === false || !r.levels?.length || !r.direction) continue;
    let convert = (v: number) => v;
    if (r.unit && r.unit !== unit) {
      if (r.unit === '%{LEL}' && unit === '%{vol}' && lelPercentVol) convert = (v) => (v * lelPercentVol) / 100;
      else { skipped.push(`${r.id} (${r.unit})`); continue; }
    }
    const up = r.direction === 'upper';
    const levels = r.levels.map((l) => ({ ...l, raise: convert(l.raise) })).sort((a, b) => (up ? a.raise - b.raise : b.raise - a.raise));
    levels.forEach((l, i) => {
      const next = levels[i + 1]?.raise ?? (up ? Infinity : -Infinity);
      bands.push({ level: l.level, rule: r.id, direction: r.direction!, raise: l.raise, from: Math.min(l.raise, next), to: Math.max(l.raise, next), source: r.source });
    });
  }
  return { bands, skipped };
}

/** About `n` round ticks covering [min, max]. */
export function niceTicks(min: number, max: number, n = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const MIN = 60_000, HOUR = 3600_000, DAY = 86_400_000;
const TIME_STEPS = [MIN, 5 * MIN, 15 * MIN, 30 * MIN, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY];

/** Time ticks at round local times (every 5 min, hour, day …), about `n` of them. */
export function timeTicks(from: number, to: number, n = 7, tzOffsetMin = new Date(from).getTimezoneOffset()): number[] {
  const step = TIME_STEPS.find((s) => (to - from) / s <= n) ?? 30 * DAY;
  const shift = -tzOffsetMin * MIN; // local midnight, not UTC's, for day steps
  const out: number[] = [];
  for (let v = Math.ceil((from + shift) / step) * step - shift; v <= to; v += step) out.push(v);
  return out;
}

/** The y range for values and bands: their extent, padded; a flat series gets room around it. */
export function yDomain(values: number[], bands: Band[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  for (const b of bands) { lo = Math.min(lo, b.raise); hi = Math.max(hi, b.raise); }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi === lo) { const d = Math.abs(lo) * 0.1 || 1; return [lo - d, hi + d]; }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/** Indexes where the line breaks: a gap longer than `factor` times the series' median spacing. */
export function gapsOf(times: number[], factor = 5): Set<number> {
  const gaps = new Set<number>();
  if (times.length < 3) return gaps;
  const d = times.slice(1).map((v, i) => v - times[i]!).sort((a, b) => a - b);
  const median = d[Math.floor(d.length / 2)]!;
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > factor * median) gaps.add(i);
  return gaps;
}
