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
