import t from 'tap';
import { conversion, applyConversion, normaliseUnit, isValidUnit } from '../convert.ts';
import { LifelineError } from '../../sdk/errors.ts';

const conv = (from: string, to: string, v: number, lel?: number) => {
  const c = conversion(from, to, lel);
  if (c instanceof LifelineError) throw c;
  return applyConversion(c, v);
};

t.test('golden conversions', async (t) => {
  t.equal(conv('kPa', 'MPa', 250), 0.25);
  t.equal(conv('L/s', 'm3/h', 50), 180);
  t.equal(conv('cm', 'm', 35), 0.35);
  t.equal(conv('Cel', 'K', 20), 293.15);
  t.equal(conv('[ppm]', '%{vol}', 10000), 1);
  t.equal(conv('%{LEL}', '%{vol}', 20, 5), 1, '20 %LEL methane = 1 %VOL');
  t.equal(conv('%LEL', '%{vol}', 100, 4), 4, 'alias, other gas LEL');
  t.equal(conv('℃', 'Cel', 12.5), 12.5, 'alias resolves to the same unit');
  t.equal(conv('m³/h', 'L/s', 3.6), 1);
  t.equal(conv('MPa', 'MPa', 1.23456789), 1.23456789, 'identity untouched');
});

t.test('errors are typed and say why', async (t) => {
  const a = conversion('m', 'MPa');
  t.ok(a instanceof LifelineError && a.code === 'UNIT_INCOMPATIBLE', 'different dimension');
  const b = conversion('furlongs', 'm');
  t.ok(b instanceof LifelineError && b.code === 'UNIT_UNKNOWN', 'not UCUM');
  const c = conversion('%{LEL}', '%{vol}');
  t.ok(c instanceof LifelineError && c.code === 'UNIT_INCOMPATIBLE' && /lel_percent_vol/.test(c.message), '%LEL needs a LEL');
  t.equal(normaliseUnit('ppm'), '[ppm]');
  t.ok(isValidUnit('%LEL'));
  t.notOk(isValidUnit('zz'));
});

t.test('property: a → b → a round-trips for random values', async (t) => {
  const pairs: Array<[string, string]> = [['kPa', 'MPa'], ['L/s', 'm3/h'], ['Cel', '[degF]'], ['mm', 'm'], ['[ppm]', '%']];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2000 - 1000;
  for (const [a, b] of pairs) {
    for (let i = 0; i < 200; i++) {
      const v = Number(rnd().toFixed(4));
      const back = conv(b, a, conv(a, b, v));
      if (Math.abs(back - v) > 1e-9 * Math.max(1, Math.abs(v))) { t.fail(`${a}→${b}→${a} ${v} came back ${back}`); return; }
    }
  }
  t.pass('1000 round trips within 1e-9');
});

t.test('units from the network cannot grow memory: the cache is bounded and a cached error keeps no caller alive', async (t) => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // A batch-sized object only the first caller's frames reach (the fuzzer found batches kept alive this way).
  let ref!: WeakRef<object>;
  (function firstCaller() {
    const batch = { rows: new Array(100_000).fill(0) };
    ref = new WeakRef(batch);
    // The arrow closes over the batch and is on the stack when the error is made.
    const codes = [0].map(() => (conversion(`x-unknown-${batch.rows.length}`, 'MPa') as LifelineError).code);
    t.same(codes, ['UNIT_UNKNOWN']);
  })();
  // No deref() until the end: a deref keeps its target alive for the rest of the job.
  for (let i = 0; i < 3; i++) { await new Promise((r) => setImmediate(r)); gc(); }
  t.equal(ref.deref(), undefined, 'the caller of the first conversion is collected');
  const again = conversion('x-unknown-100000', 'MPa');
  t.match(again, { code: 'UNIT_UNKNOWN', message: /not a UCUM code/ }, 'the cached answer is the same');

  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 50_000; i++) conversion(`bogus-${i}-${'u'.repeat(100)}`, 'MPa');
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  t.ok(grown < 20 * 1024 ** 2, `50,000 distinct unknown units grew the heap by ${(grown / 1024 ** 2).toFixed(1)} MiB (bounded cache)`);
});
