// A report's period: one day or one calendar month of the hub's time zone, as the days it holds (their starts are
// the day rollups' buckets) and how much of each has elapsed by the hub clock (expected readings count only that).
import { LifelineError } from '../sdk/errors.ts';
import { parseTime } from '../time/parse.ts';

export type ReportKind = 'daily' | 'monthly';

export interface ReportDay {
  /** Day start (the day rollup's bucket), epoch ms. */
  startMs: number;
  /** Its length, s (23 or 25 h on a DST change). */
  lengthS: number;
  /** The part of it elapsed at the report's time, s (0 … lengthS). */
  elapsedS: number;
}

export interface Period {
  kind: ReportKind;
  /** `2026-11-25` or `2026-11`. */
  label: string;
  fromMs: number;
  toMs: number;
  days: ReportDay[];
  /** Part of the period lies after the report's time. */
  partial: boolean;
}

const bad = (param: string, message: string) => new LifelineError('QUERY_INVALID', `${param}: ${message}`, { details: { path: `/${param}` } });
const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`;

/** The calendar date (year, month, day) of instant `ms` in `zone`. */
export function localDate(ms: number, zone: string): { y: number; m: number; d: number } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(ms);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { y: get('year'), m: get('month'), d: get('day') };
}

/** Midnight of a calendar date in `zone`, epoch ms. */
const midnight = (y: number, m: number, d: number, zone: string) => {
  const u = new Date(Date.UTC(y, m - 1, d)); // normalises day 32 → next month
  return parseTime(`${ymd(u.getUTCFullYear(), u.getUTCMonth() + 1, u.getUTCDate())}T00:00:00`, zone);
};

function build(kind: ReportKind, label: string, y: number, m: number, d0: number, n: number, zone: string, nowMs: number): Period {
  const days: ReportDay[] = [];
  for (let i = 0; i < n; i++) {
    const startMs = midnight(y, m, d0 + i, zone), endMs = midnight(y, m, d0 + i + 1, zone);
    const lengthS = (endMs - startMs) / 1000;
    days.push({ startMs, lengthS, elapsedS: Math.max(0, Math.min(lengthS, Math.floor((nowMs - startMs) / 1000))) });
  }
  const fromMs = days[0]!.startMs, toMs = days[n - 1]!.startMs + days[n - 1]!.lengthS * 1000;
  return { kind, label, fromMs, toMs, days, partial: nowMs < toMs };
}

/**
 * The day `date` (YYYY-MM-DD) of `zone`; without one, yesterday by the hub clock (the last whole day).
 * QUERY_INVALID (path /date) for anything else.
 */
export function dayPeriod(date: string | undefined, zone: string, nowMs: number): Period {
  let y: number, m: number, d: number;
  if (date === undefined) {
    const t = localDate(nowMs, zone);
    const u = new Date(Date.UTC(t.y, t.m - 1, t.d - 1));
    [y, m, d] = [u.getUTCFullYear(), u.getUTCMonth() + 1, u.getUTCDate()];
  } else {
    const x = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    if (!x) throw bad('date', `"${date.slice(0, 40)}" is not a date (YYYY-MM-DD)`);
    [y, m, d] = [Number(x[1]), Number(x[2]), Number(x[3])];
    const u = new Date(Date.UTC(y, m - 1, d));
    if (y < 1970 || y > 9998 || u.getUTCMonth() !== m - 1 || u.getUTCDate() !== d) throw bad('date', `"${date}" is not a calendar date from 1970 to 9998`);
  }
  return build('daily', ymd(y, m, d), y, m, d, 1, zone, nowMs);
}

/**
 * The calendar month `month` (YYYY-MM) of `zone`; without one, last month by the hub clock (the last whole month).
 * QUERY_INVALID (path /month) for anything else.
 */
export function monthPeriod(month: string | undefined, zone: string, nowMs: number): Period {
  let y: number, m: number;
  if (month === undefined) {
    const t = localDate(nowMs, zone);
    [y, m] = t.m === 1 ? [t.y - 1, 12] : [t.y, t.m - 1];
  } else {
    const x = /^(\d{4})-(\d{2})$/.exec(month);
    if (!x) throw bad('month', `"${month.slice(0, 40)}" is not a month (YYYY-MM)`);
    [y, m] = [Number(x[1]), Number(x[2])];
    if (y < 1970 || y > 9998 || m < 1 || m > 12) throw bad('month', `"${month}" is not a calendar month from 1970 to 9998`);
  }
  const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return build('monthly', `${String(y).padStart(4, '0')}-${pad(m)}`, y, m, 1, n, zone, nowMs);
}
