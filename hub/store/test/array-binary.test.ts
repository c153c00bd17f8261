// The batch statement's number columns go to PostgreSQL as binary arrays (array_send's format) built by the hub. A real
// server must read back exactly the numbers given, NULLs where they were, for every value a double or an int can be,
// and agree with what the text literals the embedded engine gets give.
import t from 'tap';
import { openPostgres } from '../postgres.ts';
import { float8ArrayBinary, int4ArrayBinary, numArray } from '../array-literals.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';

/** A deterministic generator (xorshift32), so a failure can be rerun. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

const SPECIAL = [0, -0, 1, -1, 0.1, 1 / 3, 2 ** 53, -(2 ** 53) - 2, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE,
  2.2250738585072014e-308, Infinity, -Infinity, NaN, 1796541720000, 1e-7, 123456.789];

t.test('encoding: header, NULL flags and the all-NULL array', async (t) => {
  const b = float8ArrayBinary([1.5, null]);
  t.same([b.readInt32BE(0), b.readInt32BE(4), b.readInt32BE(8), b.readInt32BE(12), b.readInt32BE(16)], [1, 1, 701, 2, 1], 'one dimension, has NULLs, float8, 2 long, from 1');
  t.same([b.readInt32BE(20), b.readDoubleBE(24), b.readInt32BE(32)], [8, 1.5, -1], 'a value, then a NULL');
  t.equal(b.length, 36);
  const i = int4ArrayBinary([7, -2_147_483_648]);
  t.same([i.readInt32BE(4), i.readInt32BE(8), i.readInt32BE(24), i.readInt32BE(32)], [0, 23, 7, -2_147_483_648], 'int4: no NULLs, the values');
  const none = float8ArrayBinary([null, undefined, null]);
  t.same([none.length, none.readInt32BE(0)], [12, 0], 'none but NULLs: the empty array (unnest pads it with NULLs)');
  t.throws(() => int4ArrayBinary([2 ** 31]), RangeError, 'an id beyond int4 is refused here, not wrapped');
});

t.test('a real PostgreSQL reads exactly the numbers sent, as the text literals do', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const fresh = await freshDatabase();
  t.teardown(() => fresh.drop());
  const db = await openPostgres(fresh.url, 2);
  t.teardown(() => db.close());
  const rand = rng(20261206);
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const double = () => {
    const r = rand();
    if (r < 0.15) return SPECIAL[Math.floor(rand() * SPECIAL.length)]!;
    if (r < 0.25) return null;
    if (r < 0.6) return Math.round((rand() - 0.5) * 1e6) / 1000;
    u32[0] = Math.floor(rand() * 2 ** 32); u32[1] = Math.floor(rand() * 2 ** 32); // any bit pattern, NaNs included
    return f64[0]!;
  };
  // Each element as text with all its bits (float8send's hex would do too): the exact double the server holds.
  const sql = `SELECT coalesce(array_agg(CASE WHEN x IS NULL THEN 'NULL' WHEN x = 'NaN' THEN 'NaN' ELSE float8send(x)::text END ORDER BY n), '{}') AS bits
    FROM unnest($1::float8[]) WITH ORDINALITY AS u(x, n)`;
  const seen = (xs: Array<number | null>) => xs.map((x) => {
    if (x === null) return 'NULL';
    if (Number.isNaN(x)) return 'NaN';
    const b = Buffer.allocUnsafe(8); b.writeDoubleBE(x); return `\\x${b.toString('hex')}`;
  });
  let arrays = 0;
  for (let k = 0; k < 60; k++) {
    const xs = Array.from({ length: 1 + Math.floor(rand() * 300) }, double);
    const bin = (await db.query<{ bits: string[] }>(sql, [float8ArrayBinary(xs)])).rows[0]!;
    if (xs.every((x) => x === null)) { t.same(bin.bits, [], 'all NULL: an empty array'); continue; }
    t.same(bin.bits, seen(xs), `binary array ${k}: every double to the bit, NULLs in place`);
    // The text literal the embedded engine gets gives the same doubles, except -0 (written "0") and NaN's payload.
    const txt = (await db.query<{ bits: string[] }>(sql, [numArray(xs)])).rows[0]!;
    const norm = (s: string[]) => s.map((v) => (v === '\\x8000000000000000' ? '\\x0000000000000000' : v));
    t.same(norm(bin.bits), norm(txt.bits), `array ${k}: as the text literal`);
    arrays++;
  }
  t.ok(arrays > 50, 'most arrays had values');
  const ints = Array.from({ length: 500 }, () => (rand() < 0.1 ? null : Math.floor((rand() - 0.5) * 2 ** 32)));
  const back = (await db.query<{ a: string }>('SELECT $1::int[]::text AS a', [int4ArrayBinary(ints)])).rows[0]!.a;
  t.equal(back, `{${ints.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`, 'int4: every value, NULLs in place');
});
