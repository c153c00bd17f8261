// `lifeline indicators --domain D`: an unknown domain is an error naming the valid ones, not "0 indicators".
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closest, notOneOf } from '../../did-you-mean.ts';
import { domains } from '../../../schemas/generated/enums.ts';

const bin = new URL('../../../bin/lifeline.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'indicators', ...args], { encoding: 'utf8', env: { ...process.env, LIFELINE_RUN: 'ts' } });

t.test('a misspelt domain exits non-zero, names the valid domains and the near one', async (t) => {
  const r = run('--domain', 'gass');
  t.equal(r.status, 1);
  t.equal(r.stdout, '', 'no table, no "0 indicators"');
  t.match(r.stderr, /"gass" is not a domain \(did you mean "gas"\?\); one of: gas, water, drainage, heating, bridge/);
  const far = run('--domain', 'electricity');
  t.equal(far.status, 1);
  t.notMatch(far.stderr, /did you mean/);
  t.match(far.stderr, /one of: gas, water/);
});

t.test('a valid domain still lists its indicators', async (t) => {
  const r = run('--domain', 'gas');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /gas\.pressure|gas\./);
  t.notMatch(r.stdout, /\n0 indicators/);
});

t.test('closest', async (t) => {
  t.equal(closest('gass', domains), 'gas');
  t.equal(closest('Watr', domains), 'water');
  t.equal(closest('heat', domains), undefined, 'four letters, two edits: too far');
  t.equal(closest('xyz', domains), undefined);
  t.match(notOneOf('domain', 'brige', domains), /did you mean "bridge"/);
});

t.test('closest gives up on a long value at once', async (t) => {
  const start = performance.now();
  t.equal(closest('g'.repeat(1_000_000), domains), undefined);
  t.ok(performance.now() - start < 50);
});
