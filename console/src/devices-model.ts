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

/** `pending`: the device's latest values have not been fetched yet (the page asks for the rows in view first). */
export type Status = 'online' | 'late' | 'offline' | 'never' | 'pending';

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

/** A device with what does not change between refreshes of the latest values (worked out once per registry). */
export interface IndexedDevice {
  code: string; name: string; site: string; siteName: string; points: PointDoc[];
  /** The shortest expected interval of its points (s). */
  intervalS: number;
  /** Lower-case text the search box matches (codes, names, site). */
  text: string;
}

export interface DeviceRow extends IndexedDevice {
  status: Status;
  /** Newest sign of life: per point min(measured, received), the newest over the device's points. */
  lastSeenMs: number | null;
  /** Offline/late/never, or a point whose latest value carries a problem flag. */
  error: boolean;
}

/** The registry as the page lists it: devices in code order with their site name, points, interval and search text. */
export function indexRegistry(sites: SiteDoc[], devices: DeviceDoc[], points: PointDoc[], indicators: Map<string, IndicatorDoc>): IndexedDevice[] {
  const siteName = new Map(sites.map((s) => [s.code, s.name ?? '']));
  const pointsOf = new Map<string, PointDoc[]>();
  for (const p of points) {
    const list = pointsOf.get(p.device);
    if (list) list.push(p); else pointsOf.set(p.device, [p]);
  }
  return devices.map((d) => {
    const own = pointsOf.get(d.code) ?? [];
    const site = siteName.get(d.site) ?? '';
    let interval = Infinity;
    for (const p of own) interval = Math.min(interval, p.expected_interval_s ?? indicators.get(p.indicator)?.expected_interval_s ?? DEFAULT_INTERVAL_S);
    return {
      code: d.code, name: d.name ?? '', site: d.site, siteName: site, points: own, intervalS: Number.isFinite(interval) ? interval : DEFAULT_INTERVAL_S,
      text: `${d.code} ${d.name ?? ''} ${d.site} ${site} ${own.map((p) => p.code).join(' ')}`.toLowerCase(),
    };
  }).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
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

/**
 * Each device's status from the latest values (by point code): per refresh, O(points), nothing but numbers and flags.
 * With `known`, a device not in it has not been asked about yet: status `pending`.
 */
export function deviceRows(index: IndexedDevice[], latest: Map<string, Observation>, nowMs: number, known?: Set<string>): DeviceRow[] {
  const rows: DeviceRow[] = new Array(index.length);
  for (let i = 0; i < index.length; i++) {
    const d = index[i]!;
    if (known && !known.has(d.code)) { rows[i] = { ...d, status: 'pending', lastSeenMs: null, error: false }; continue; }
    let seen: number | null = null, problem = false;
    for (const p of d.points) {
      const o = latest.get(p.code);
      if (!o) continue;
      const at = Math.min(Date.parse(o.time), Date.parse(o.source.received_at));
      if (Number.isFinite(at)) seen = seen === null ? at : Math.max(seen, at);
      problem ||= hasProblem(o);
    }
    const status = statusOf(seen === null ? null : Math.max(0, (nowMs - seen) / 1000), d.intervalS);
    rows[i] = { ...d, status, lastSeenMs: seen, error: problem || status !== 'online' };
  }
  return rows;
}

const hasProblem = (o: Observation) => (!!o.quality.source_flag && o.quality.source_flag !== 'N') || o.quality.flags.some(isProblemFlag);

/** The points of a device drawn on screen, with their latest values and flags. */
export function pointValues(d: IndexedDevice, latest: Map<string, Observation>, indicators: Map<string, IndicatorDoc>): PointValue[] {
  return d.points.map((p) => {
    const o = latest.get(p.code);
    if (!o) return { code: p.code, indicator: p.indicator, value: null, unit: indicators.get(p.indicator)?.unit ?? '', time: null, flags: [], problem: false };
    const f = flagsOf(o);
    return { code: p.code, indicator: p.indicator, value: o.value, unit: o.unit, time: o.time, flags: f.flags, problem: f.problem };
  });
}

export function countByStatus(rows: DeviceRow[]): Record<Status, number> {
  const c: Record<Status, number> = { online: 0, late: 0, offline: 0, never: 0, pending: 0 };
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
