// The hub's timestamptz and text[] parsers give what pg's own give, to the bit: golden values, random values in every
// form PostgreSQL writes, random near-misses that must fall back, and values a real server wrote under several zones.
import t from 'tap';
import pg from 'pg';
import { parseTimestamptz, parseTextArray, hubTypes } from '../pg-parsers.ts';
import { PG_ADMIN_URL, postgresUp, needService } from '../../../test/helpers/services.ts';

const pgDate = pg.types.getTypeParser(1184, 'text') as (s: string) => Date | number | null;
const pgTexts = pg.types.getTypeParser(1009 as Parameters<typeof pg.types.getTypeParser>[0], 'text') as (s: string) => unknown;
const timeOf = (v: Date | number | null) => (v instanceof Date ? v.getTime() : v);

/** Same result as pg's parser: a Date at the same instant (or both invalid), or the same other value. */
function sameAsPg(t: Tap.Test, s: string) {
  const mine = parseTimestamptz(s), theirs = pgDate(s);
  if (mine instanceof Date !== theirs instanceof Date) return t.fail(`${s}: ${String(mine)} vs ${String(theirs)}`);
  return Object.is(timeOf(mine), timeOf(theirs)) ? true : t.fail(`${s}: ${String(timeOf(mine))} vs ${String(timeOf(theirs))}`);
}

let seed = 20261206;
const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
const pad = (n: number, w: number) => String(n).padStart(w, '0');

t.test('golden values', async (t) => {
  const cases: Array<[string, string]> = [
    ['2026-12-06 04:10:00+00', '2026-12-06T04:10:00.000Z'],
    ['2026-12-06 12:10:00.5+08', '2026-12-06T04:10:00.500Z'],
    ['2026-12-06 04:10:00.123456+00', '2026-12-06T04:10:00.123Z'],
    ['2026-12-06 00:40:00.999999-03:30', '2026-12-06T04:10:00.999Z'],
    ['1850-01-01 05:53:28+05:53:28', '1850-01-01T00:00:00.000Z'],
    ['1969-12-31 23:59:59.9995+00', '1969-12-31T23:59:59.999Z'],
    ['0100-03-01 00:00:00+00', '0100-03-01T00:00:00.000Z'],
  ];
  for (const [s, iso] of cases) {
    const d = parseTimestamptz(s);
    t.equal(d instanceof Date ? d.toISOString() : String(d), iso, s);
    sameAsPg(t, s);
  }
  // Forms left to pg's parser, with pg's result.
  for (const s of ['infinity', '-infinity', '0044-03-15 12:00:00+00 BC', '0099-01-01 00:00:00+00', '12026-01-01 00:00:00+00',
    '2026-12-06 04:10:00.1234567+00', '2026-12-06 04:10:00', '2026-12-06T04:10:00Z', '2026-12-06 04:10:00+0800']) sameAsPg(t, s);
  t.equal(parseTimestamptz('infinity'), Infinity);
});

t.test('random values in the forms PostgreSQL writes agree with pg\'s parser', async (t) => {
  let n = 0;
  for (let i = 0; i < 30_000; i++) {
    const frac = rand(7) === 0 ? '' : '.' + pad(rand(1_000_000), 6).slice(0, 1 + rand(6));
    const zone = [`+${pad(rand(15), 2)}`, `-${pad(rand(13), 2)}`, `+${pad(rand(15), 2)}:${pad(rand(60), 2)}`, `-${pad(rand(13), 2)}:${pad(rand(60), 2)}:${pad(rand(60), 2)}`][rand(4)];
    const s = `${pad(100 + rand(9900), 4)}-${pad(1 + rand(12), 2)}-${pad(1 + rand(28), 2)} ${pad(rand(24), 2)}:${pad(rand(60), 2)}:${pad(rand(60), 2)}${frac}${zone}`;
    if (sameAsPg(t, s) !== true) break;
    n++;
  }
  t.equal(n, 30_000, 'all agreed');
  // Every millisecond fraction of three digits, on both sides of 1970 (where Date.UTC cuts a fraction the other way).
  let bad = 0;
  for (let f = 0; f < 1000; f++) for (const day of ['2026-12-06 04:10:00', '1969-12-31 23:59:59']) {
    for (const tail of [pad(f, 3), pad(f, 3) + '5', pad(f, 3) + '999']) if (sameAsPg(t, `${day}.${tail}+00`) !== true) bad++;
  }
  t.equal(bad, 0, 'fractions');
});

t.test('near misses fall back to pg\'s parser and agree with it', async (t) => {
  const base = '2026-12-06 04:10:00.123+08:30';
  const alphabet = '0123456789-: .+TZ,BCab';
  let n = 0;
  for (let i = 0; i < 20_000; i++) {
    const a = [...base];
    for (let k = 0, m = 1 + rand(3); k < m; k++) {
      const at = rand(a.length + 1), op = rand(3);
      if (op === 0) a.splice(at, 1); else if (op === 1) a.splice(at, 0, alphabet[rand(alphabet.length)]!); else a[Math.min(at, a.length - 1)] = alphabet[rand(alphabet.length)]!;
    }
    if (sameAsPg(t, a.join('')) !== true) break;
    n++;
  }
  t.equal(n, 20_000);
});

t.test('text[]: the same arrays as pg\'s parser', async (t) => {
  const cases = ['{}', '{late}', '{late,unit_converted}', '{NULL}', '{null}', '{a,NULL,b}', '{""}', '{"a b",c}', '{"a\\"b"}', '{"{x}"}',
    '{{a,b},{c,d}}', '[0:1]={a,b}', '{a,,b}', '{ a }', '{,}', '{Null,x}', '{out_of_range,future_time,uncertain}', '{中文,值}'];
  for (const s of cases) t.same(parseTextArray(s), pgTexts(s), s);
  t.same(parseTextArray('{}'), []);
  t.not(parseTextArray('{}'), parseTextArray('{}'), 'a new array each time');
  t.same(parseTextArray('{late,unit_converted}'), ['late', 'unit_converted']);
});

t.test('values a PostgreSQL server wrote, under several session zones, read through the hub\'s types', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const hub = new pg.Client({ connectionString: PG_ADMIN_URL, types: hubTypes });
  const plain = new pg.Client({ connectionString: PG_ADMIN_URL });
  await hub.connect(); await plain.connect();
  t.teardown(async () => { await hub.end(); await plain.end(); });
  const sql = `SELECT ts, ARRAY['late', 'unit_converted'] AS flags, '{}'::text[] AS none, ARRAY['a b', NULL, 'NULL', ''] AS odd
    FROM (VALUES (timestamptz '2026-12-06 04:10:07.654321Z'), (timestamptz '2026-12-06 04:10:00.123456Z'), (timestamptz '1850-01-01 00:00Z'), (timestamptz '0050-06-01 00:00Z'),
      (timestamptz '0044-03-15 12:00Z BC'), (timestamptz 'infinity'), (timestamptz '-infinity'), (timestamptz '1969-12-31 23:59:59.9995Z'),
      (timestamptz '2026-03-29 01:30:00Z')) v(ts)`;
  for (const zone of ['UTC', 'Asia/Shanghai', 'America/St_Johns', 'Asia/Kolkata', 'Europe/London', 'Pacific/Chatham']) {
    await hub.query(`SET TimeZone = '${zone}'`); await plain.query(`SET TimeZone = '${zone}'`);
    const a = (await hub.query(sql)).rows, b = (await plain.query(sql)).rows;
    t.same(a.map((r) => [timeOf(r.ts), r.flags, r.none, r.odd]), b.map((r) => [timeOf(r.ts), r.flags, r.none, r.odd]), zone);
    t.ok(a.every((r, i) => (r.ts instanceof Date) === (b[i]!.ts instanceof Date)), `${zone}: Dates where pg gives Dates`);
  }
});
