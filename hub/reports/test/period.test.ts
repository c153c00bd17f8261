// Report periods: days and months of the hub zone, their lengths (DST), the elapsed part, defaults, bad input.
import t from 'tap';
import { dayPeriod, monthPeriod } from '../period.ts';

const NOW = Date.parse('2026-11-26T04:00:00Z'); // 12:00 on 2026-11-26 in Shanghai

t.test('a past day of Shanghai: 16:00–16:00 UTC, whole', async (t) => {
  const p = dayPeriod('2026-11-25', 'Asia/Shanghai', NOW);
  t.match(p, { kind: 'daily', label: '2026-11-25', fromMs: Date.parse('2026-11-24T16:00:00Z'), toMs: Date.parse('2026-11-25T16:00:00Z'), partial: false });
  t.same(p.days, [{ startMs: Date.parse('2026-11-24T16:00:00Z'), lengthS: 86400, elapsedS: 86400 }]);
});

t.test('today is partial; a future day has nothing elapsed', async (t) => {
  t.match(dayPeriod('2026-11-26', 'Asia/Shanghai', NOW), { partial: true, days: [{ elapsedS: 12 * 3600 }] });
  t.match(dayPeriod('2026-12-01', 'Asia/Shanghai', NOW), { partial: true, days: [{ elapsedS: 0 }] });
});

t.test('days of a DST change are 23 and 25 hours long', async (t) => {
  t.equal(dayPeriod('2026-03-08', 'America/New_York', NOW).days[0]!.lengthS, 23 * 3600);
  t.equal(dayPeriod('2026-11-01', 'America/New_York', NOW).days[0]!.lengthS, 25 * 3600);
  const march = monthPeriod('2026-03', 'America/New_York', NOW);
  t.equal(march.days.length, 31);
  t.equal(march.days.reduce((a, d) => a + d.lengthS, 0), 31 * 86400 - 3600);
});

t.test('months: their days, partial when current; February of a leap year', async (t) => {
  const nov = monthPeriod('2026-11', 'Asia/Shanghai', NOW);
  t.match(nov, { label: '2026-11', fromMs: Date.parse('2026-10-31T16:00:00Z'), toMs: Date.parse('2026-11-30T16:00:00Z'), partial: true });
  t.equal(nov.days.reduce((a, d) => a + d.elapsedS, 0), 25 * 86400 + 12 * 3600);
  t.equal(monthPeriod('2028-02', 'UTC', NOW).days.length, 29);
  t.equal(monthPeriod('2026-12', 'UTC', Date.parse('2027-01-01T00:00:00Z')).partial, false);
});

t.test('defaults: yesterday and last month by the clock, in the zone', async (t) => {
  t.equal(dayPeriod(undefined, 'Asia/Shanghai', NOW).label, '2026-11-25');
  t.equal(dayPeriod(undefined, 'Asia/Shanghai', Date.parse('2026-11-30T17:00:00Z')).label, '2026-11-30', 'already 1 December in Shanghai');
  t.equal(monthPeriod(undefined, 'Asia/Shanghai', NOW).label, '2026-10');
  t.equal(monthPeriod(undefined, 'UTC', Date.parse('2027-01-15T00:00:00Z')).label, '2026-12', 'across the year');
});

t.test('bad dates and months: QUERY_INVALID naming the parameter', async (t) => {
  for (const d of ['2026-02-29', '2026-13-01', '26-11-25', '2026-11-25T00:00', '1969-12-31', '']) {
    t.throws(() => dayPeriod(d, 'UTC', NOW), { code: 'QUERY_INVALID', details: { path: '/date' } }, d);
  }
  for (const m of ['2026-00', '2026-13', '2026-1', '2026', '9999-12']) {
    t.throws(() => monthPeriod(m, 'UTC', NOW), { code: 'QUERY_INVALID', details: { path: '/month' } }, m);
  }
});
