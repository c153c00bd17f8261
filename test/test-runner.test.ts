// npm test's runner (scripts/test.js) on fixture files: what it counts, which files it fails and why, its exit code.
// The fixtures sit under fixtures/, which .taprc excludes, so only this test runs them.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { childEnv } from './helpers/child-env.ts';

const root = new URL('..', import.meta.url).pathname;
const run = (...files: string[]) => {
  const env = childEnv();
  delete env.LIFELINE_COVERAGE_DIR; // the fixtures are no project code; and the outer run's coverage files stay its own
  const r = spawnSync(process.execPath, ['scripts/test.js', '--no-coverage', ...files.map((f) => `test/fixtures/runner/${f}.test.ts`)], { cwd: root, env, encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

t.test('passing files: every assertion counted once (a subtest\'s own line is not), exit 0', async (t) => {
  const r = run('pass');
  t.equal(r.status, 0);
  t.match(r.out, /^ok 1 - test\/fixtures\/runner\/pass\.test\.ts # time=[\d.]+ms$/m);
  t.match(r.out, /^# \{ total: 4, pass: 3, todo: 1 \}$/m, 'top, two in the subtest, the todo');
});

t.test('a failing assertion, a thrown subtest, a crash after passing, a file with no assertion: each fails', async (t) => {
  const r = run('pass', 'fail', 'crash', 'empty');
  t.equal(r.status, 1, 'exit 1');
  t.match(r.out, /^not ok \d+ - test\/fixtures\/runner\/fail\.test\.ts # time=.*\n  ---\n  reason: exit code 1$/m);
  t.match(r.out, /^not ok \d+ - test\/fixtures\/runner\/crash\.test\.ts # time=.*\n  ---\n  reason: exit code 3$/m);
  t.match(r.out, /^not ok \d+ - test\/fixtures\/runner\/empty\.test\.ts # time=.*\n  ---\n  reason: no assertion ran$/m);
  t.match(r.out, /^ok \d+ - test\/fixtures\/runner\/pass\.test\.ts/m);
  t.match(r.out, /^ {8}not ok 2 - one is not two$/m, 'a failing file\'s own TAP is shown');
  t.match(r.out, /^ {4}# a line on stderr$/m, 'and its stderr');
  t.match(r.out, /^# \{ total: 11, pass: 6, fail: 4, todo: 1 \}$/m, 'fail: the two assertions, the crash, the empty file; total: all of them');
  t.match(r.out, /^# failed files \(3\):\n# {3}test\/fixtures\/runner\/crash\.test\.ts\n# {3}test\/fixtures\/runner\/empty\.test\.ts\n# {3}test\/fixtures\/runner\/fail\.test\.ts$/m);
});

t.test('a path that does not exist is refused', async (t) => {
  const r = run('missing');
  t.equal(r.status, 2);
  t.match(r.err, /no such file or folder: test\/fixtures\/runner\/missing\.test\.ts/);
});
