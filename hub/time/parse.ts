// Source times → epoch ms. Times with an offset are absolute; times without one are wall-clock in a zone.
const withOffset = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})$/;
const naive = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** zone → quarter hour (ms / 900,000) → offset: a number key, no string built per reading. */
const offsetCache = new Map<string, Map<number, number>>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** Date.UTC, with years 0–99 read as written (Date.UTC reads them as 1900–1999). */
function utcMs(y: number, month0: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y >= 100 || y < 0) return Date.UTC(y, month0, d, h, mi, s, ms);
  return new Date(Date.UTC(2000, month0, d, h, mi, s, ms)).setUTCFullYear(y); // 2000: a leap year, so 29 February stays
}

/** Offset of `zone` from UTC at instant `ms`, in ms. Cached per zone and quarter hour. */
export function zoneOffsetMs(zone: string, ms: number): number {
  const key = Math.floor(ms / 900_000);
  let cache = offsetCache.get(zone);
  if (cache === undefined) { cache = new Map(); offsetCache.set(zone, cache); }
  let off = cache.get(key);
  if (off === undefined) {
    const p = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    const asUtc = utcMs(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!, 0);
    off = asUtc - Math.floor(ms / 1000) * 1000;
    if (cache.size > 100_000) cache.clear();
    cache.set(key, off);
  }
  return off;
}

export function isValidZone(zone: string): boolean {
  try { formatter(zone); return true; } catch { return false; }
}

/** Days in month `m` (1–12) of year `y`, proleptic Gregorian. */
function daysIn(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Date.parse and Date.UTC roll 2026-02-30 over to March; a source that sends it is wrong, not early. */
function realDate(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
}

/** Earliest and latest instants the hub stores (0001-01-01 … 9999-12-31 UTC): what ISO 8601's four-digit year can
 * say, and well inside both JavaScript's Date and PostgreSQL's timestamptz. */
export const MIN_TIME_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
export const MAX_TIME_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

/** Whether epoch ms `ms` is an instant the hub can store. */
export const inTimeRange = (ms: number): boolean => Number.isFinite(ms) && ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;

/** Parse an ISO 8601 / RFC 3339 time or epoch ms; wall-clock times are read in `zone`. NaN when invalid or outside
 * 0001…9999 (a number like 1e17 is not a time any store can hold). */
export function parseTime(input: string | number, zone: string): number {
  if (typeof input === 'number') return inTimeRange(input) ? Math.trunc(input) : Number.NaN;
  // The readings of one batch or frame mostly share their time (every point of a minute, every value of an HJ 212
  // frame): the last answer is kept, and a repeat costs one string compare instead of a parse.
  if (input === last.input && zone === last.zone) return last.ms;
  const ms = parseTimeString(input, zone);
  last.input = input; last.zone = zone; last.ms = ms;
  return ms;
}

const last: { input: string | undefined; zone: string; ms: number } = { input: undefined, zone: '', ms: Number.NaN };

/** The value of `n` ASCII digits at `at`, or -1 if one of them is not a digit (or past the end). */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** The fields readFields found (one object for every call: nothing allocated per time). */
const F = { y: 0, mo: 0, d: 0, h: 0, mi: 0, sec: 0, ms: 0 };

/**
 * `YYYY-MM-DDTHH:MM:SS[.sss]` at the start of `s` (with `space`, a space for the `T` too) into F: the index after it,
 * or -1 when the text is not that, or its year is before 1000 (what only the general path reads). Ranges unchecked.
 */
function readFields(s: string, space: boolean): number {
  const sep = s.charCodeAt(10);
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (sep !== 84 && !(space && sep === 32)) ||
    s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return -1;
  F.y = digits(s, 0, 4); F.mo = digits(s, 5, 2); F.d = digits(s, 8, 2); F.h = digits(s, 11, 2); F.mi = digits(s, 14, 2); F.sec = digits(s, 17, 2);
  if (F.y < 1000 || F.mo < 0 || F.d < 0 || F.h < 0 || F.mi < 0 || F.sec < 0) return -1;
  if (s.charCodeAt(19) !== 46) { F.ms = 0; return 19; }
  F.ms = digits(s, 20, 3);
  return F.ms < 0 ? -1 : 23;
}

/**
 * The form gateways and most feeds send, `YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)`, read by character codes: no regular
 * expression, no string built, no Date (0.12 µs a time against the general path's 0.47). undefined for anything else,
 * and for what only the general path decides (a year before 1000, hour 24, a second or offset out of range): the
 * caller then takes the general path, so both always agree (hub/time/test/parse.test.ts compares them on random input).
 */
export function parseCanonicalOffsetTime(s: string): number | undefined {
  const at = readFields(s, false);
  if (at < 0 || F.h > 23 || F.mi > 59 || F.sec > 59) return undefined;
  let offsetMin = 0;
  const z = s.charCodeAt(at);
  if (at + 1 === s.length) {
    if (z !== 90) return undefined; // Z
  } else {
    if (at + 6 !== s.length || (z !== 43 && z !== 45) || s.charCodeAt(at + 3) !== 58) return undefined; // ±HH:MM
    const oh = digits(s, at + 1, 2), om = digits(s, at + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
  }
  if (!realDate(F.y, F.mo, F.d)) return Number.NaN; // 2026-02-30: wrong, not early
  return Date.UTC(F.y, F.mo - 1, F.d, F.h, F.mi, F.sec, F.ms) - offsetMin * 60_000;
}

/**
 * A wall-clock time in `zone`, `YYYY-MM-DD HH:MM:SS[.sss]` (or with `T`): what enterprise databases and CSV exports
 * mostly hold, read as parseCanonicalOffsetTime reads its form (0.15–0.2 µs a time against 0.7–0.9). undefined for
 * anything else and for a year before 1000; a field out of range is NaN, as on the general path.
 */
export function parseCanonicalWallTime(s: string, zone: string): number | undefined {
  if (readFields(s, true) !== s.length) return undefined;
  if (!realDate(F.y, F.mo, F.d) || F.h > 23 || F.mi > 59 || F.sec > 59) return Number.NaN;
  const wall = Date.UTC(F.y, F.mo - 1, F.d, F.h, F.mi, F.sec, F.ms);
  // As the general path: the offset at the wall time, then once more at the instant that gives (DST edges).
  return wall - zoneOffsetMs(zone, wall - zoneOffsetMs(zone, wall));
}

function parseTimeString(input: string, zone: string): number {
  const fast = parseCanonicalOffsetTime(input) ?? parseCanonicalWallTime(input, zone);
  if (fast !== undefined) return fast;
  // Only the general path reads years before 1000: year 0000, or a wall time in 0001 east of UTC, is before 0001.
  const ms = parseTimeGeneral(input, zone);
  return inTimeRange(ms) ? ms : Number.NaN;
}

/** Every form parseTime takes (ISO 8601 / RFC 3339 with or without an offset): the general path. */
export function parseTimeGeneral(input: string, zone: string): number {
  if (withOffset.test(input)) {
    if (!realDate(+input.slice(0, 4), +input.slice(5, 7), +input.slice(8, 10))) return Number.NaN;
    return Date.parse(input.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  }
  const m = naive.exec(input);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = m;
  if (!realDate(+y!, +mo!, +d!) || +h > 23 || +mi > 59 || +s > 59) return Number.NaN;
  const wall = utcMs(+y!, +mo! - 1, +d!, +h, +mi, +s, Math.round(Number(`0.${frac}`) * 1000));
  // First guess with the offset at the wall time, then correct once for DST edges.
  let utc = wall - zoneOffsetMs(zone, wall);
  utc = wall - zoneOffsetMs(zone, utc);
  return utc;
}
