// The test processes' TypeScript loader (scripts/ts-loader.mjs, .taprc's node-arg): a .ts file runs with its types
// stripped, compiled once and then read from the cache until it changes; what is not .ts is Node's own; a syntax
// error names the file, line and column.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const loader = join(root, 'scripts', 'ts-loader.mjs');
const cacheDir = join(root, 'node_modules', '.cache', 'lifeline-ts');
const dir = mkdtempSync(join(tmpdir(), 'lifeline-ts-loader-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const run = (file: string) => spawnSync(process.execPath, [`--import=${loader}`, file], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
const cached = () => { try { return new Set(readdirSync(cacheDir)); } catch { return new Set<string>(); } };
/** Whether a cached file was compiled from a source in this test's folder (its inline source map names the source). */
const fromHere = (f: string) => {
  const m = /sourceMappingURL=data:application\/json;base64,(\S+)/.exec(readFileSync(join(cacheDir, f), 'utf8'));
  try { return m !== null && (JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as { sources: string[] }).sources.some((s) => s.includes(dir)); } catch { return false; }
};
// Only this test's own: the other test files running beside it (npm test runs three at a time) add their modules to
// the same cache when it is cold (a fresh clone).
const added = (before: Set<string>) => [...cached()].filter((f) => !before.has(f) && fromHere(f));

t.test('a .ts file runs with its types stripped; a .ts it imports too (also as a second copy, ?query); an .mjs and JSON with its attribute are Node\'s', async (t) => {
  const nonce = `${process.pid}-${Date.now()}`; // a source never seen: this run compiles it
  writeFileSync(join(dir, 'shape.ts'), `export interface Shape { sides: number }\nexport const square: Shape = { sides: 4 } satisfies Shape;\nexport enum Kind { A = 'a', B = 'b' }\n`);
  writeFileSync(join(dir, 'plain.mjs'), 'export const plain = "mjs";\n');
  writeFileSync(join(dir, 'data.json'), '{ "n": 7 }\n');
  writeFileSync(join(dir, 'main.ts'), `import { square, Kind, type Shape } from './shape.ts';
import * as copy from './shape.ts?copy=1';
import { plain } from './plain.mjs';
import data from './data.json' with { type: 'json' };
const s: Shape = square;
function twice<T>(x: T): [T, T] { return [x, x]; }
console.log(JSON.stringify({ sides: s.sides, kind: Kind.B, plain, n: data.n, pair: twice<number>(1), nonce: '${nonce}', copy: copy.square !== square && copy.square.sides === 4 }));
`);
  const before = cached();
  const r = run(join(dir, 'main.ts'));
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { sides: 4, kind: 'b', plain: 'mjs', n: 7, pair: [1, 1], nonce, copy: true });
  const made = added(before);
  t.ok(made.length >= 1, 'compiled files cached');
  const mine = made.map((f) => readFileSync(join(cacheDir, f), 'utf8')).find((c) => c.includes(nonce));
  t.ok(mine, 'main.ts among them');
  const code = mine?.slice(0, mine.indexOf('//# sourceMappingURL='));
  t.notMatch(code, /interface Shape|: Shape =|<T>/, 'types stripped');
  t.match(mine, /\/\/# sourceMappingURL=data:application\/json;base64,/, 'with an inline source map (coverage maps back through it)');

  const again = cached();
  const r2 = run(join(dir, 'main.ts'));
  t.equal(r2.stdout, r.stdout, 'the same output from the cache');
  t.same(added(again), [], 'nothing compiled the second time');
});

t.test('a changed file is compiled again, never served stale from the cache', async (t) => {
  const file = join(dir, 'changing.ts');
  writeFileSync(file, `const v: number = 1; console.log(v, '${process.pid}');\n`);
  t.equal(run(file).stdout.trim(), `1 ${process.pid}`);
  writeFileSync(file, `const v: number = 2; console.log(v, '${process.pid}');\n`);
  t.equal(run(file).stdout.trim(), `2 ${process.pid}`);
});

t.test('a syntax error names the file, the line and the column, and the process fails', async (t) => {
  const file = join(dir, 'broken.ts');
  writeFileSync(file, 'const ok = 1;\nconst bad: = 2;\n');
  const r = run(file);
  t.not(r.status, 0);
  t.match(r.stderr, /broken\.ts:2:\d+/, 'file:line:column');
});
