// npm test's coverage hook (scripts/coverage-hook.mjs) in a process of its own: it writes V8's block coverage of the
// project's scripts only, in Node's format with the source map of each .ts file as the test loader compiled it, once
// per run.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childEnv } from './helpers/child-env.ts';

const root = new URL('..', import.meta.url).pathname;
const sample = join(root, 'test', 'fixtures', 'coverage-hook', 'sample.ts');
const hook = pathToFileURL(join(root, 'scripts', 'coverage-hook.mjs')).href;

interface ScriptCov { url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number; endOffset: number }> }> }
interface Written { result: ScriptCov[]; 'source-map-cache': Record<string, { lineLengths: number[]; data: { sources: string[] } }> }

const run = (t: Test, dir: string, loader = './scripts/ts-loader.mjs') => {
  const env = childEnv();
  env.LIFELINE_COVERAGE_DIR = dir;
  const r = spawnSync(process.execPath, [`--import=${hook}`, `--import=${loader}`, sample], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '1', 'the script ran');
};
const files = (dir: string) => readdirSync(dir).filter((f) => /^coverage-\d+-\d+-\d+\.json$/.test(f)).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Written);

t.test('the project\'s scripts only, with their block counts, and each .ts source map once per run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-coverage-hook-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(`${dir}.maps`, { recursive: true, force: true }); });
  run(t, dir);
  const [first, ...more] = files(dir);
  t.equal(more.length, 0, 'one file for the one thread');
  const url = pathToFileURL(sample).href;
  t.ok(first!.result.every((s) => s.url.startsWith(pathToFileURL(root).href) && !s.url.includes('/node_modules/')), 'no script from outside the project');
  const mine = first!.result.find((s) => s.url === url)!;
  t.ok(mine, 'the sample is there');
  const count = (name: string) => mine.functions.find((f) => f.functionName === name)?.ranges[0]?.count;
  t.equal(count('called'), 1, 'a called function: its count');
  t.equal(count('notCalled'), 0, 'one never called: 0');
  const map = first!['source-map-cache'][url]!;
  t.match(map.data.sources, [/sample\.ts$/], 'the source map of the compiled text points at the .ts file');
  const length = map.lineLengths.reduce((s, n) => s + n, 0) + map.lineLengths.length - 1;
  t.equal(length, mine.functions[0]!.ranges[0]!.endOffset, 'its line lengths add up to the text that ran');

  run(t, dir);
  const both = files(dir).filter((f) => f.result.some((s) => s.url === url));
  t.equal(both.length, 2, 'a second process of the run writes its counts');
  t.equal(both.filter((f) => url in f['source-map-cache']).length, 1, 'and leaves the map to the first');
});

t.test('a .ts file another loader compiled (tsx, in a child some tests start) is left out: the map would not fit its offsets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-coverage-hook-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(`${dir}.maps`, { recursive: true, force: true }); });
  run(t, dir, 'tsx');
  const [only] = files(dir);
  t.ok(only, 'the process wrote its coverage');
  t.notOk(only!.result.some((s) => s.url === pathToFileURL(sample).href), 'without the sample');
});
