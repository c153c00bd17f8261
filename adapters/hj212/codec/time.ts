// HJ 212 times (DataTime, QN, SystemTime, BeginTime…: YYYYMMDDhhmmss, QN and some senders add zzz) ↔ ISO
// wall-clock text without an offset. The zone is the adapter's business (config), not the codec's.

const daysIn = (y: number, m: number) => (m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);

function num(s: string, a: number, b: number): number {
  let n = 0;
  for (let k = a; k < b; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** `20160801085857` → `2016-08-01T08:58:57`; 17 digits → `….223`. Anything else, or an impossible date → undefined. */
export function dataTimeToIso(s: string): string | undefined {
  if (s.length !== 14 && s.length !== 17) return undefined;
  const y = num(s, 0, 4), mo = num(s, 4, 6), d = num(s, 6, 8), h = num(s, 8, 10), mi = num(s, 10, 12), se = num(s, 12, 14);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return undefined;
  const base = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
  if (s.length === 14) return base;
  return num(s, 14, 17) < 0 ? undefined : `${base}.${s.slice(14, 17)}`;
}

/**
 * `2016-08-01T08:58:57[.223]` (wall clock, no offset; a space instead of T is accepted) → `20160801085857`,
 * or 17 digits when `digits` is 17 (milliseconds, 000 when absent). Invalid input → undefined.
 */
export function isoToDataTime(iso: string, digits: 14 | 17 = 14): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(iso);
  if (!m) return undefined;
  const s = `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}`;
  if (dataTimeToIso(s) === undefined) return undefined;
  return digits === 14 ? s : s + (m[7] ?? '0').padEnd(3, '0');
}
