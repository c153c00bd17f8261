// Text sanitising, property-tested over arbitrary UTF-16 (lone surrogates and NUL included), and the promise it
// exists for: whatever arrives, the result is stored by PostgreSQL's text and jsonb (PGlite and the real server).
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { cleanText, sanitiseText, sanitiseJson, isStorableText, findUnstorableText, MAX_DEPTH, TOO_DEEP } from '../text.ts';
import { openPglite } from '../../store/pglite.ts';
import { openPostgres } from '../../store/postgres.ts';
import type { SqlDriver } from '../../store/driver.ts';
import { PG_ADMIN_URL, postgresUp, needService } from '../../../test/helpers/services.ts';

// Any code point, any lone surrogate, NUL: fc's 'binary' unit never yields half surrogates, so they are added.
const unit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u0000', '\uFFFD', '\\', '"', '\\u0000'),
);
const anyString = fc.string({ unit, maxLength: 40 });
const anyJson = fc.jsonValue({ stringUnit: unit, maxDepth: 4 });
const ok = (s: string) => s.isWellFormed() && !s.includes('\u0000');

t.test('cleanText: always storable; identical when it already was; changed iff it was not', async (t) => {
  fc.assert(fc.property(anyString, (s) => {
    const r = sanitiseText(s);
    if (!ok(r.value)) return false;
    if (r.value.length !== s.length) return false; // one code unit for one: offsets and maxLength still hold
    if (r.changed !== !ok(s)) return false;
    if (ok(s) && r.value !== s) return false;
    return isStorableText(s) === ok(s) && cleanText(r.value) === r.value;
  }), { numRuns: 3000 });
  t.equal(cleanText('X\ud800'), 'X\uFFFD', 'the issue\'s lone high surrogate');
  t.equal(cleanText('\udc00X'), '\uFFFDX', 'a lone low surrogate');
  t.equal(cleanText('a\u0000b'), 'a\uFFFDb', 'NUL');
  t.equal(cleanText('😀 中文'), '😀 中文', 'a surrogate pair is kept');
  t.equal(cleanText('\\u0000'), '\\u0000', 'the six characters \\u0000 are text, not NUL');
});

t.test('sanitiseJson: every string and key cleaned, same object when nothing was to clean', async (t) => {
  const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]) : []);
  fc.assert(fc.property(anyJson, (v) => {
    const r = sanitiseJson(v);
    if (!strings(r.value).every(ok)) return false;
    const clean = strings(v).every(ok);
    if (r.changed === clean) return false; // flag iff changed
    if (clean && r.value !== v) return false; // no copy on the hot path
    return findUnstorableText(r.value) === undefined && (findUnstorableText(v) === undefined) === clean;
  }), { numRuns: 2000 });

  const input = { sn: 'MH-\ud800', data: [{ code: 'level', value: 1 }], ['k\u0000']: 'v', 'k\uFFFD': 'other' };
  const r = sanitiseJson(input);
  t.same(r.value, { sn: 'MH-\uFFFD', data: [{ code: 'level', value: 1 }], 'k\uFFFD\uFFFD': 'v', 'k\uFFFD': 'other' }, 'a cleaned key never overwrites another');
  t.equal((r.value as { data: unknown }).data, input.data, 'untouched branches are shared');
  t.equal(input.sn, 'MH-\ud800', 'the input is not mutated');
  const proto = sanitiseJson(JSON.parse('{"__proto__": {"x": "\\u0000"}}'));
  t.same(Object.keys(proto.value as object), ['__proto__'], '__proto__ stays an own key');
  t.equal(Object.getPrototypeOf(proto.value), Object.prototype);
  t.equal(findUnstorableText({ a: [{ 'b/c': 'x\udfff' }] }), '/a/0/b~1c', 'the path of the first bad string');

  let deep: unknown = 'x';
  for (let i = 0; i < 10_000; i++) deep = [deep];
  const d = sanitiseJson({ input: deep });
  t.ok(d.changed, 'nesting beyond MAX_DEPTH is cut (and said so)');
  t.match(JSON.stringify(d.value), TOO_DEEP);
  t.ok(JSON.stringify(d.value).split('[').length - 1 <= MAX_DEPTH);
});

// The property the store relies on: any sanitised value goes into text and jsonb and comes back as it was.
async function roundTrip(t: Tap.Test, open: () => Promise<SqlDriver>) {
  const db = await open();
  t.teardown(() => db.close());
  await fc.assert(fc.asyncProperty(anyJson, anyString, async (v, s) => {
    const clean = sanitiseJson(v).value;
    const text = cleanText(s);
    const r = await db.query<{ j: unknown; s: string }>('SELECT $1::jsonb AS j, $2::text AS s', [JSON.stringify(clean), text]);
    return isDeepStrictEqual(r.rows[0]!.j, JSON.parse(JSON.stringify(clean))) && r.rows[0]!.s === text;
  }), { numRuns: 200 });
  t.pass('200 arbitrary values stored and read back unchanged');
  // Without sanitising, the string is what PostgreSQL refuses.
  await t.rejects(db.query('SELECT $1::jsonb AS j', [JSON.stringify({ sn: 'MH-\ud800' })]), 'a lone surrogate is refused by jsonb');
  await t.rejects(db.query('SELECT $1::jsonb AS j', [JSON.stringify({ sn: 'MH-\u0000' })]), 'and so is NUL');
}

t.test('JSON round trip through PGlite jsonb', (t) => roundTrip(t, () => openPglite()));
t.test('JSON round trip through PostgreSQL jsonb', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  await roundTrip(t, () => openPostgres(PG_ADMIN_URL, 1));
});
