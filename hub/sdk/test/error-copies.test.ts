// `instanceof LifelineError` across copies of the SDK module: the compiled hub (dist/) bundles its own, and a plugin
// that imports `lifeline-hub/sdk` loads the sources, a second copy. A query string makes a second copy here.
import t from 'tap';
import { LifelineError, isLifelineError } from '../errors.ts';
import { Hj212Error } from '../../../adapters/hj212/codec/errors.ts';

t.test('an error from another copy of the SDK is a LifelineError; subclasses keep the plain check', async (t) => {
  const copy = (await import(`../errors.ts?copy=${Date.now()}`)) as typeof import('../errors.ts');
  t.not(copy.LifelineError, LifelineError, 'a second copy of the class');
  const theirs = new copy.LifelineError('CONFIG_INVALID', 'from a plugin');
  t.ok(theirs instanceof LifelineError, 'theirs instanceof ours');
  t.ok(isLifelineError(theirs));
  t.ok(new LifelineError('CONFIG_INVALID', 'x') instanceof copy.LifelineError, 'ours instanceof theirs');
  t.notOk(new Error('plain') instanceof LifelineError);
  t.notOk(Object.create(null) instanceof LifelineError);
  t.notOk((null as unknown) instanceof LifelineError);
  t.notOk({ code: 'X', message: 'look-alike' } instanceof LifelineError, 'duck typing is not enough');
  const hj = new Hj212Error('HJ212_CRC_MISMATCH', 'crc', { offset: 17 });
  t.ok(hj instanceof LifelineError, 'a subclass instance is a LifelineError');
  t.ok(hj instanceof Hj212Error);
  t.notOk(theirs instanceof Hj212Error, 'but a LifelineError is not a Hj212Error');
});
