import t from 'tap';
import { Arbitration, CLEAN_TO_TRUST, arbitrationOf } from '../arbitration.ts';

t.test('a source is arbitrated from its conflict until CLEAN_TO_TRUST clean batches in a row', async (t) => {
  const a = new Arbitration();
  t.notOk(a.needed('hj212'), 'a source starts trusted');
  a.conflicted('hj212');
  t.ok(a.needed('hj212'));
  t.notOk(a.needed('http'), 'only that source');
  for (let i = 1; i < CLEAN_TO_TRUST; i++) a.arbitrated('hj212', false);
  t.ok(a.needed('hj212'), `${CLEAN_TO_TRUST - 1} clean batches are not enough`);
  a.arbitrated('hj212', true);
  for (let i = 1; i < CLEAN_TO_TRUST; i++) a.arbitrated('hj212', false);
  t.ok(a.needed('hj212'), 'a batch with a stored reading starts the count over');
  a.arbitrated('hj212', false);
  t.notOk(a.needed('hj212'), 'trusted again');
});

t.test('the sources remembered are bounded: the one that conflicted longest ago goes first', async (t) => {
  const a = new Arbitration();
  for (let i = 0; i < 10_000; i++) a.conflicted(`s${i}`);
  a.conflicted('s0'); // again: now the newest
  a.conflicted('new');
  t.ok(a.needed('s0'));
  t.notOk(a.needed('s1'), 'the oldest was dropped');
  t.ok(a.needed('new'));
  t.ok(a.needed('s9999'));
});

t.test('one state per store handle', async (t) => {
  const s1 = {}, s2 = {};
  arbitrationOf(s1).conflicted('x');
  t.ok(arbitrationOf(s1).needed('x'));
  t.notOk(arbitrationOf(s2).needed('x'));
});
