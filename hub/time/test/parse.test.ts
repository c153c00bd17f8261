import t from 'tap';
import { parseTime, zoneOffsetMs, isValidZone, parseCanonicalOffsetTime, parseCanonicalWallTime, parseTimeGeneral, MIN_TIME_MS } from '../parse.ts';

t.equal(parseTime('2026-11-25T10:00:00+08:00', 'UTC'), Date.UTC(2026, 10, 25, 2), 'offset wins over zone');
t.equal(parseTime('2026-11-25T02:00:00Z', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 2));
t.equal(parseTime('2026-11-25T10:00:00+0800', 'UTC'), Date.UTC(2026, 10, 25, 2), 'basic-format offset');
t.equal(parseTime('2026-11-25 10:00:00', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 2), 'wall time in Shanghai');
t.equal(parseTime('2026-11-25T10:00:00.250', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 2, 0, 0, 250));
t.equal(parseTime('2026-07-01 12:00', 'Europe/Berlin'), Date.UTC(2026, 6, 1, 10), 'summer time');
t.equal(parseTime('2026-01-01 12:00', 'Europe/Berlin'), Date.UTC(2026, 0, 1, 11), 'winter time');
t.equal(parseTime(1764036000000, 'Asia/Shanghai'), 1764036000000, 'epoch ms');
for (const bad of ['2026-13-01T00:00:00', '2026-02-30T10:00:00', '2026-02-29T10:00:00+08:00', '2026-04-31 00:00', 'yesterday', '2026-11-25T25:00:00', '20261125100000', '']) t.ok(Number.isNaN(parseTime(bad, 'UTC')), `"${bad}" is invalid`);
t.ok(Number.isNaN(parseTime(Number.POSITIVE_INFINITY, 'UTC')));
t.equal(zoneOffsetMs('Asia/Shanghai', Date.now()), 8 * 3600_000);
t.ok(isValidZone('Asia/Shanghai'));
t.notOk(isValidZone('Mars/Olympus'));
t.equal(parseTime('2028-02-29T10:00:00+08:00', 'UTC'), Date.UTC(2028, 1, 29, 2), 'leap day exists in 2028');

t.test('the canonical-form fast path agrees with the general path on every input it takes', async (t) => {
  // Canonical times, then one to three random edits each: a character replaced (digit, separator, letter), one dropped
  // or added, a field pushed out of range (month 13, day 31 of a short month, hour 24, second 60, offset +24:00), an
  // early year. Whatever the fast path answers (a time or NaN) must be what the general path answers.
  let seed = 20261206;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const pad = (v: number, w: number) => String(v).padStart(w, '0');
  const pieces = ['0', '1', '2', '3', '4', '5', '9', '-', ':', 'T', 't', ' ', '.', 'Z', 'z', '+', 'x', '\u0660'];
  let fast = 0, fastNaN = 0, general = 0;
  for (let i = 0; i < 20_000; i++) {
    const frac = rand(3) === 0 ? `.${pad(rand(1000), 3)}` : '';
    const off = rand(3) === 0 ? 'Z' : `${rand(2) ? '+' : '-'}${pad(rand(26), 2)}:${pad(rand(5) === 0 ? 60 : rand(60), 2)}`;
    let s = `${pad(rand(6) === 0 ? rand(1200) : 1900 + rand(200), 4)}-${pad(1 + rand(13), 2)}-${pad(1 + rand(31), 2)}T` +
      `${pad(rand(25), 2)}:${pad(rand(60), 2)}:${pad(rand(12) === 0 ? 60 : rand(60), 2)}${frac}${off}`;
    for (let e = rand(4); e > 0; e--) {
      const at = rand(s.length + 1);
      const what = rand(3);
      if (what === 0) s = s.slice(0, at) + pieces[rand(pieces.length)] + s.slice(at + 1);
      else if (what === 1) s = s.slice(0, at) + s.slice(at + 1);
      else s = s.slice(0, at) + pieces[rand(pieces.length)] + s.slice(at);
    }
    const f = parseCanonicalOffsetTime(s);
    const g = parseTimeGeneral(s, 'Asia/Shanghai');
    if (f === undefined) { general++; continue; }
    fast++;
    if (Number.isNaN(f)) fastNaN++;
    if (!Object.is(f, g) && !(Number.isNaN(f) && Number.isNaN(g))) { t.fail(`"${s}": fast ${f}, general ${g}`); return; }
  }
  t.ok(fast > 5000 && fastNaN > 100 && general > 5000, `both paths taken: fast ${fast} (${fastNaN} NaN), general ${general}`);
  // What the fast path leaves to the general one.
  for (const s of ['2026-11-25T24:00:00Z', '0999-01-01T00:00:00Z', '2026-11-25T10:00:00+0800', '2026-11-25 10:00:00Z', '2026-11-25T10:00:00.1Z', '2026-11-25T10:00:00z', '2026-11-25T10:00Z']) {
    t.equal(parseCanonicalOffsetTime(s), undefined, `${s}: the general path's`);
  }
  t.equal(parseCanonicalOffsetTime('2026-11-25T10:00:00.250+08:00'), Date.UTC(2026, 10, 25, 2, 0, 0, 250));
  t.equal(parseCanonicalOffsetTime('2026-11-25T10:00:00-05:30'), Date.UTC(2026, 10, 25, 15, 30));
  t.ok(Number.isNaN(parseCanonicalOffsetTime('2027-02-29T10:00:00Z')!), 'no 29 February in 2027');
  t.equal(parseCanonicalOffsetTime('2000-02-29T00:00:00Z'), Date.UTC(2000, 1, 29), 'but in 2000');
  t.ok(Number.isNaN(parseCanonicalOffsetTime('2100-02-29T00:00:00Z')!), 'and not in 2100');
});

t.test('the wall-clock fast path agrees with the general path, DST edges included', async (t) => {
  let seed = 612;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const pad = (v: number, w: number) => String(v).padStart(w, '0');
  const pieces = ['0', '1', '2', '5', '9', '-', ':', 'T', ' ', '.', 'Z', '+', 'x', '\u0660'];
  const zones = ['UTC', 'Asia/Shanghai', 'Europe/Berlin', 'America/New_York'];
  let fast = 0, fastNaN = 0, general = 0;
  const check = (s: string, zone: string): boolean => {
    const f = parseCanonicalWallTime(s, zone);
    if (f === undefined) { general++; return true; }
    fast++;
    if (Number.isNaN(f)) fastNaN++;
    const g = parseTimeGeneral(s, zone);
    if (f === g || (Number.isNaN(f) && Number.isNaN(g))) return true;
    t.fail(`"${s}" in ${zone}: fast ${f}, general ${g}`);
    return false;
  };
  for (let i = 0; i < 20_000; i++) {
    // Half of them in the weeks around the 2026 DST changes (the last Sundays of March and October, the second Sunday
    // of March and the first of November in New York), at any hour.
    const near = rand(2) === 0;
    const [y, mo, d] = near ? [2026, [3, 10, 11][rand(3)]!, 1 + rand(31)] : [rand(6) === 0 ? rand(1200) : 1900 + rand(200), 1 + rand(13), 1 + rand(31)];
    let s = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${rand(2) ? 'T' : ' '}${pad(rand(25), 2)}:${pad(rand(60), 2)}:${pad(rand(12) === 0 ? 60 : rand(60), 2)}` +
      (rand(3) === 0 ? `.${pad(rand(1000), 3)}` : '');
    for (let e = rand(5) - 2; e > 0; e--) {
      const at = rand(s.length + 1);
      const what = rand(3);
      if (what === 0) s = s.slice(0, at) + pieces[rand(pieces.length)] + s.slice(at + 1);
      else if (what === 1) s = s.slice(0, at) + s.slice(at + 1);
      else s = s.slice(0, at) + pieces[rand(pieces.length)] + s.slice(at);
    }
    if (!check(s, zones[rand(zones.length)]!)) return;
  }
  // The hour that does not exist and the hour that comes twice, in Berlin and New York.
  for (const [s, zone] of [['2026-03-29 02:30:00', 'Europe/Berlin'], ['2026-10-25 02:30:00', 'Europe/Berlin'], ['2026-03-08T02:30:00.500', 'America/New_York'], ['2026-11-01 01:30:00', 'America/New_York']] as const) {
    t.not(parseCanonicalWallTime(s, zone), undefined, `${s} takes the fast path`);
    if (!check(s, zone)) return;
  }
  t.ok(fast > 5000 && fastNaN > 100 && general > 2000, `both paths taken: fast ${fast} (${fastNaN} NaN), general ${general}`);
  t.equal(parseCanonicalWallTime('2026-11-25 10:00:00', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 2));
  t.equal(parseCanonicalWallTime('2026-11-25 10:00', 'Asia/Shanghai'), undefined, 'without seconds: the general path');
  t.equal(parseCanonicalWallTime('0099-11-25 10:00:00', 'UTC'), undefined, 'a year before 1000: the general path');
});

t.test('years before 1000: read as written, and nothing before 0001 comes out', async (t) => {
  const year50 = new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(50);
  t.equal(parseTime('0050-01-01 00:00:00', 'UTC'), year50, 'a wall time in year 50 is year 50, not 1950');
  t.equal(parseTime('0050-01-01T00:00:00Z', 'UTC'), year50, 'the same with an offset');
  t.equal(parseTime('0001-01-01T00:00:00Z', 'UTC'), MIN_TIME_MS, 'the first instant the hub stores');
  for (const s of ['0000-06-01T00:00:00Z', '0000-02-29T00:00:00Z', '0001-01-01 00:00:00']) {
    t.ok(Number.isNaN(parseTime(s, 'Asia/Shanghai')), `${s} (Asia/Shanghai) is before 0001-01-01T00:00Z: NaN`);
  }
});
