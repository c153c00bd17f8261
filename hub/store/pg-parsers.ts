// Faster text parsers for the two column types every observation read returns on each row: timestamptz (time,
// received_at) and text[] (flags, warnings). pg's own (postgres-date: three regular expressions, a split and parseInt
// per value; its array parser: a parser object per value, for '{}' too) took about 1.3 µs a time, so one point's day
// of 1,440 readings spent some 4 ms of a read in them. Each parser here reads the usual form by character codes and
// hands anything else to pg's, so the values are those pg's parsers give, to the bit.
import pg from 'pg';

const pgTimestamptz = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number | null;
const pgTextArray = pg.types.getTypeParser(1009 as Parameters<typeof pg.types.getTypeParser>[0], 'text') as (text: string) => Array<string | null> | null;

const ZERO = 48;
const digit = (s: string, i: number) => s.charCodeAt(i) - ZERO;
const isDigit = (s: string, i: number) => { const c = s.charCodeAt(i) - ZERO; return c >= 0 && c <= 9; };
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/**
 * The fixed fields of `YYYY-MM-DD HH:MM:SS` at the start: true when every one of those 19 characters is where it
 * belongs (year 0100 or later: postgres-date moves years 0–99 itself).
 */
function plainDateTime(s: string): boolean {
  if (s.length < 22 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false;
  for (let k = 0; k < DIGITS_AT.length; k++) if (!isDigit(s, DIGITS_AT[k]!)) return false;
  return digit(s, 0) !== 0 || digit(s, 1) !== 0;
}
const DIGITS_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/**
 * timestamptz text as PostgreSQL writes it with DateStyle ISO (`2026-12-06 04:10:00.123456+08`, `…+05:30`,
 * `…-03:30:45`) → the Date postgres-date makes of it: the same fields through Date.UTC, the fraction as
 * 1000 × its decimal value (a fraction of a millisecond is cut as Date.UTC cuts it), less the offset. Other forms (BC,
 * infinity, years before 0100 or after 9999, another DateStyle) go to pg's parser.
 */
export function parseTimestamptz(s: string): Date | number | null {
  if (!plainDateTime(s)) return pgTimestamptz(s);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) { // fraction
    let n = 0, scale = 1;
    for (i++; i < s.length && isDigit(s, i) && scale < 1e6; i++) { n = n * 10 + digit(s, i); scale *= 10; }
    if (scale === 1 || isDigit(s, i)) return pgTimestamptz(s);
    ms = 1000 * (n / scale); // n / scale is exactly parseFloat('.' + digits): both round the same quotient once
  }
  const sign = s.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || i + 3 > s.length || !isDigit(s, i + 1) || !isDigit(s, i + 2)) return pgTimestamptz(s);
  let offset = two(s, i + 1) * 3600;
  i += 3;
  for (let k = 0; k < 2 && i < s.length; k++) {
    if (s.charCodeAt(i) !== 58 || i + 3 > s.length || !isDigit(s, i + 1) || !isDigit(s, i + 2)) return pgTimestamptz(s);
    offset += two(s, i + 1) * (k === 0 ? 60 : 1);
    i += 3;
  }
  if (i !== s.length) return pgTimestamptz(s);
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
  const t = Date.UTC(year, two(s, 5) - 1, two(s, 8), two(s, 11), two(s, 14), two(s, 17), ms);
  return new Date(sign === 45 ? t + offset * 1000 : t - offset * 1000);
}

/**
 * text[] as PostgreSQL writes it → what pg's parser makes of it. `{}` and lists of plain elements (`{late,unit_converted}`:
 * no quote, backslash, brace or NULL, which PostgreSQL writes only quoted or for a null element) are split here.
 */
export function parseTextArray(s: string): Array<string | null> | null {
  if (s === '{}') return [];
  if (s.length < 3 || s.charCodeAt(0) !== 123 || s.charCodeAt(s.length - 1) !== 125) return pgTextArray(s);
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 92 || c === 123 || c === 125 || c === 32) return pgTextArray(s);
  }
  const parts = s.slice(1, -1).split(',');
  for (const p of parts) if (p === '' || p.length === 4 && p.toUpperCase() === 'NULL') return pgTextArray(s);
  return parts;
}

/** pg's `types` for the hub's pools: these two parsers, pg's own for every other type. */
export const hubTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      if (oid === 1184) return parseTimestamptz;
      if (oid === 1009) return parseTextArray;
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
};
