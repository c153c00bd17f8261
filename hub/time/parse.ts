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

/** Offset of `zone` from UTC at instant `ms`, in ms. Cached per zone and quarter hour. */
export function zoneOffsetMs(zone: string, ms: number): number {
  const key = Math.floor(ms / 900_000);
  let cache = offsetCache.get(zone);
  if (cache === undefined) { cache = new Map(); offsetCache.set(zone, cache); }
  let off = cache.get(key);
  if (off === undefined) {
    const p = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    const asUtc = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
    off = asUtc - Math.floor(ms / 1000) * 1000;
    if (cache.size > 100_000) cache.clear();
    cache.set(key, off);
  }
  return off;
}

export function isValidZone(zone: string): boolean {
  try { formatter(zone); return true; } catch { return false; }
}

/** Date.parse and Date.UTC roll 2026-02-30 over to March; a source that sends it is wrong, not early. */
function realDate(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
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

function parseTimeString(input: string, zone: string): number {
  if (withOffset.test(input)) {
    if (!realDate(+input.slice(0, 4), +input.slice(5, 7), +input.slice(8, 10))) return Number.NaN;
    return Date.parse(input.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  }
  const m = naive.exec(input);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = m;
  if (!realDate(+y!, +mo!, +d!) || +h > 23 || +mi > 59 || +s > 59) return Number.NaN;
  const wall = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, Math.round(Number(`0.${frac}`) * 1000));
  // First guess with the offset at the wall time, then correct once for DST edges.
  let utc = wall - zoneOffsetMs(zone, wall);
  utc = wall - zoneOffsetMs(zone, utc);
  return utc;
}
