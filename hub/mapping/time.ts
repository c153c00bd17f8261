// Reading a mapped time: auto | iso8601 | epoch_ms | epoch_s | a token pattern (YYYY MM DD HH mm ss SSS Z).
import { parseTime, zoneOffsetMs, inTimeRange } from '../time/parse.ts';
// Cut short, and no RangeError for a value nested thousands deep (that escaped map() as a 500 INTERNAL).
import { show } from './result.ts';

export type TimeReader = (raw: unknown, zone: string) => number | string; // epoch ms, or why not

const numeric = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const tokens: Record<string, string> = { YYYY: '(\\d{4})', MM: '(\\d{2})', DD: '(\\d{2})', HH: '(\\d{2})', mm: '(\\d{2})', ss: '(\\d{2})', SSS: '(\\d{1,9})', Z: '(Z|z|[+-]\\d{2}:?\\d{2})' };


function asNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string' && numeric.test(raw)) return Number(raw);
  return undefined;
}

/** Compile a format once; throws Error(message) for a bad pattern. A time outside 0001…9999 is a failure too. */
export function timeReader(format: string): TimeReader {
  const read = formatReader(format);
  return (raw, zone) => {
    const t = read(raw, zone);
    return typeof t === 'number' && !inTimeRange(t) ? `${show(raw)} is outside the years 0001–9999 (format ${format})` : t;
  };
}

function formatReader(format: string): TimeReader {
  switch (format) {
    case 'epoch_ms': return (raw) => { const n = asNumber(raw); return n === undefined ? `${show(raw)} is not epoch milliseconds` : Math.trunc(n); };
    case 'epoch_s': return (raw) => { const n = asNumber(raw); return n === undefined ? `${show(raw)} is not epoch seconds` : Math.round(n * 1000); };
    case 'iso8601': return (raw, zone) => {
      const ms = typeof raw === 'string' ? parseTime(raw.trim(), zone) : Number.NaN;
      return Number.isNaN(ms) ? `${show(raw)} is not an ISO 8601 date-time` : ms;
    };
    case 'auto': return (raw, zone) => {
      const n = asNumber(raw);
      if (n !== undefined) return n > 1e11 ? Math.trunc(n) : Math.round(n * 1000);
      const ms = typeof raw === 'string' ? parseTime(raw.trim(), zone) : Number.NaN;
      return Number.isNaN(ms) ? `${show(raw)} is neither epoch seconds/milliseconds nor ISO 8601` : ms;
    };
    default: return patternReader(format);
  }
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Days in month `mo` (1–12) of year `y`, proleptic Gregorian (as Date.UTC). */
const daysIn = (y: number, mo: number) => mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : DAYS[mo - 1]!;

function patternReader(format: string): TimeReader {
  const order: string[] = [];
  let re = '';
  for (let i = 0; i < format.length;) {
    const tok = ['YYYY', 'SSS', 'MM', 'DD', 'HH', 'mm', 'ss', 'Z'].find((t) => format.startsWith(t, i));
    if (tok) { order.push(tok); re += tokens[tok]; i += tok.length; } else { re += format[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); i++; }
  }
  for (const need of ['YYYY', 'MM', 'DD']) if (!order.includes(need)) throw new Error(`time format "${format}" needs ${need} (or use auto, iso8601, epoch_ms, epoch_s)`);
  if (new Set(order).size !== order.length) throw new Error(`time format "${format}" repeats a token`);
  const rx = new RegExp(`^${re}$`);
  // Each token's capture group, found once: a row is read without building an object of its parts.
  const at = (t: string) => order.indexOf(t) + 1; // 0: the format has no such token
  const [Y, MO, D, H, MI, S, F, Z] = ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss', 'SSS', 'Z'].map(at) as [number, number, number, number, number, number, number, number];
  const fixed = fixedWidth(format);
  let lastRaw: unknown, lastZone = '', lastMs: number | string = 0;
  return (raw, zone) => {
    // Rows of one file mostly repeat the time of the row before (every point of an instant, wide rows' values).
    if (raw === lastRaw && zone === lastZone && typeof raw === 'string') return lastMs;
    let wall = typeof raw === 'string' && fixed ? fixed(raw) : -1; // -1: not read (a real wall clock here is whole seconds)
    let zone_: string | undefined;
    if (wall === -1) {
      const s = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : raw;
      const m = typeof s === 'string' ? rx.exec(s.trim()) : null;
      if (!m) return `${show(raw)} does not match the time format "${format}"`;
      const y = +m[Y]!, mo = +m[MO]!, d = +m[D]!, h = H ? +m[H]! : 0, mi = MI ? +m[MI]! : 0, sec = S ? +m[S]! : 0;
      const ms = F ? Math.round(Number(`0.${m[F]}`) * 1000) : 0;
      wall = realWall(y, mo, d, h, mi, sec, ms);
      zone_ = Z ? m[Z] : undefined;
    }
    if (Number.isNaN(wall)) return `${show(raw)} is not a real date-time`;
    let utc: number;
    if (zone_) {
      if (zone_ === 'Z' || zone_ === 'z') return wall;
      const z = zone_.replace(':', '');
      const off = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * 60_000;
      return wall - off;
    } else {
      utc = wall - zoneOffsetMs(zone, wall);
      utc = wall - zoneOffsetMs(zone, utc);
    }
    if (typeof raw === 'string') { lastRaw = raw; lastZone = zone; lastMs = utc; }
    return utc;
  };
}

/** The wall clock as epoch ms (as if UTC), or NaN when it is no real date-time. */
function realWall(y: number, mo: number, d: number, h: number, mi: number, sec: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59) return Number.NaN;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

const WIDTH: Record<string, number> = { YYYY: 4, MM: 2, DD: 2, HH: 2, mm: 2, ss: 2 };

/**
 * For a format of fixed-width number tokens (YYYY MM DD HH mm ss) and literal characters, e.g. "YYYY-MM-DD HH:mm:ss":
 * the wall clock of a text exactly that wide, read digit by digit (no match array, no substrings); -1 for any other
 * text (spaces around it, another width, a character out of place), which the pattern then reads as before, failure
 * messages included. undefined for formats with SSS or Z.
 */
function fixedWidth(format: string): ((s: string) => number) | undefined {
  const parts: Array<{ token: string; at: number } | { literal: number; at: number }> = [];
  let i = 0;
  while (i < format.length) {
    const tok = ['YYYY', 'SSS', 'MM', 'DD', 'HH', 'mm', 'ss', 'Z'].find((t) => format.startsWith(t, i));
    if (tok === 'SSS' || tok === 'Z') return undefined;
    if (tok) { parts.push({ token: tok, at: i }); i += tok.length; } else { parts.push({ literal: format.charCodeAt(i), at: i }); i++; }
  }
  const width = format.length;
  const field = (t: string) => { const p = parts.find((x) => 'token' in x && x.token === t); return p ? p.at : -1; };
  const [y, mo, d, h, mi, sec] = ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss'].map(field) as [number, number, number, number, number, number];
  const literals = parts.filter((x): x is { literal: number; at: number } => 'literal' in x);
  const digitAt = parts.flatMap((x) => 'token' in x ? Array.from({ length: WIDTH[x.token]! }, (_, k) => x.at + k) : []);
  const num = (s: string, at: number, n: number) => { let v = 0; for (let k = 0; k < n; k++) v = v * 10 + s.charCodeAt(at + k) - 48; return v; };
  return (s) => {
    if (s.length !== width) return -1;
    for (let k = 0; k < literals.length; k++) if (s.charCodeAt(literals[k]!.at) !== literals[k]!.literal) return -1;
    for (let k = 0; k < digitAt.length; k++) { const c = s.charCodeAt(digitAt[k]!); if (c < 48 || c > 57) return -1; }
    return realWall(num(s, y, 4), num(s, mo, 2), num(s, d, 2), h < 0 ? 0 : num(s, h, 2), mi < 0 ? 0 : num(s, mi, 2), sec < 0 ? 0 : num(s, sec, 2), 0);
  };
}
