// What the Devices page computes from the registry and the latest values (GET /v1/devices, /v1/points,
// /v1/observations/latest): per device, its status by last-seen age and its points' latest values with their flags.
// Pure functions, no DOM (test/console-metrics.test.ts checks them).

export interface SiteDoc { code: string; name?: string; enterprise?: string }
export interface DeviceDoc { code: string; site: string; name?: string; vendor?: string; model?: string }
export interface PointDoc { code: string; device: string; indicator: string; name?: string; field?: string; expected_interval_s?: number; lel_percent_vol?: number }
export interface IndicatorDoc {
  code: string; domain: string; unit: string; name: { zh: string; en: string };
  range?: { min?: number; max?: number }; expected_interval_s?: number; lel_percent_vol?: number; alarm_rules?: unknown[];
}
export interface Observation {
  point: string; device: string; indicator: string; time: string; value: number | null; unit: string;
  quality: { source_flag: string; flags: string[]; warnings?: string[] };
  source: { adapter: string; received_at: string };
}

export type Status = 'online' | 'late' | 'offline' | 'never';

/** Expected reporting interval when neither the point nor its indicator gives one (expected_interval_s). */
export const DEFAULT_INTERVAL_S = 300;
/** Online while the newest reading is at most this many expected intervals old; late up to LATE_INTERVALS; then offline. */
export const ONLINE_INTERVALS = 3;
export const LATE_INTERVALS = 12;

/**
 * Flags about form, not value (the value is fine): everything else, and an HJ 212 source flag other than N, is a
 * problem. The same rule as the hub's rollups count `flagged` by (hub/store/rollups.ts, docs/store.md).
 */
const INFO_FLAGS = new Set(['unit_converted', 'finer_than_resolution', 'late', 'text_sanitised']);
export const isProblemFlag = (f: string) => !INFO_FLAGS.has(f);

export interface PointValue {
  code: string; indicator: string; value: number | null; unit: string; time: string | null;
  /** Hub flags and the source flag (as `flag_D`, …), problems first. */
  flags: string[];
  problem: boolean;
}

export interface DeviceRow {
  code: string; name: string; site: string; siteName: string;
  status: Status;
  /** Newest sign of life: per point min(measured, received), the newest over the device's points. */
  lastSeenMs: number | null;
  intervalS: number;
  points: PointValue[];
  /** Offline/late/never, or a point whose latest value carries a problem flag. */
  error: boolean;
  /** Lower-case text the search box matches (codes, names, site). */
  text: string;
}

export function statusOf(ageS: number | null, intervalS: number): Status {
  if (ageS === null) return 'never';
  if (ageS <= ONLINE_INTERVALS * intervalS) return 'online';
  if (ageS <= LATE_INTERVALS * intervalS) return 'late';
  return 'offline';
}

export function flagsOf(o: Observation): { flags: string[]; problem: boolean } {
  const problems: string[] = [], info: string[] = [];
  if (o.quality.source_flag && o.quality.source_flag !== 'N') problems.push(`flag_${o.quality.source_flag}`);
  for (const f of o.quality.flags) (INFO_FLAGS.has(f) ? info : problems).push(f);
  return { flags: [...problems, ...info], problem: problems.length > 0 };
}

/** One row per device, in device-code order, joined with its site, points and their latest values. */
export function deviceRows(
  sites: SiteDoc[], devices: DeviceDoc[], points: PointDoc[], indicators: Map<string, IndicatorDoc>, latest: Observation[], nowMs: number,
): DeviceRow[] {
  const siteName = new Map(sites.map((s) => [s.code, s.name ?? '']));
  const byPoint = new Map(latest.map((o) => [o.point, o]));
  const pointsOf = new Map<string, PointDoc[]>();
  for (const p of points) {
    const list = pointsOf.get(p.device);
    if (list) list.push(p); else pointsOf.set(p.device, [p]);
  }
  const rows: DeviceRow[] = [];
  for (const d of devices) {
    const own = pointsOf.get(d.code) ?? [];
    let seen: number | null = null, interval = Infinity, problem = false;
    const values: PointValue[] = [];
    for (const p of own) {
      const ind = indicators.get(p.indicator);
      interval = Math.min(interval, p.expected_interval_s ?? ind?.expected_interval_s ?? DEFAULT_INTERVAL_S);
      const o = byPoint.get(p.code);
      if (!o) { values.push({ code: p.code, indicator: p.indicator, value: null, unit: ind?.unit ?? '', time: null, flags: [], problem: false }); continue; }
      const at = Math.min(Date.parse(o.time), Date.parse(o.source.received_at));
      if (Number.isFinite(at)) seen = seen === null ? at : Math.max(seen, at);
      const f = flagsOf(o);
      problem ||= f.problem;
      values.push({ code: p.code, indicator: p.indicator, value: o.value, unit: o.unit, time: o.time, flags: f.flags, problem: f.problem });
    }
    if (!Number.isFinite(interval)) interval = DEFAULT_INTERVAL_S;
    const status = statusOf(seen === null ? null : Math.max(0, (nowMs - seen) / 1000), interval);
    const site = siteName.get(d.site) ?? '';
    rows.push({
      code: d.code, name: d.name ?? '', site: d.site, siteName: site, status, lastSeenMs: seen, intervalS: interval, points: values,
      error: problem || status !== 'online',
      text: `${d.code} ${d.name ?? ''} ${d.site} ${site} ${own.map((p) => p.code).join(' ')}`.toLowerCase(),
    });
  }
  return rows.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

export function countByStatus(rows: DeviceRow[]): Record<Status, number> {
  const c: Record<Status, number> = { online: 0, late: 0, offline: 0, never: 0 };
  for (const r of rows) c[r.status]++;
  return c;
}

/** The rows the filters keep: errors only, and every word of the search text in the row's text. */
export function filterRows(rows: DeviceRow[], errorsOnly: boolean, search: string): DeviceRow[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (!errorsOnly && !words.length) return rows;
  return rows.filter((r) => (!errorsOnly || r.error) && words.every((w) => r.text.includes(w)));
}

/** A value as the indicator's precision suggests: up to 4 significant decimals, no trailing zeros. */
export function fmtValue(v: number | null): string {
  if (v === null) return '—';
  const a = Math.abs(v);
  const s = a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(2) : v.toFixed(a >= 100 ? 1 : a >= 1 ? 3 : 4);
  return s.includes('e') ? s : s.replace(/\.?0+$/, '');
}
