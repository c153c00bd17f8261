// The compiled build (scripts/build.js → dist/) and bin/lifeline.js's promise about it: the build is run only while it
// is the build of the current sources; after an edit the CLI runs the sources (tsx) and says so, LIFELINE_RUN=dist
// refuses, and `build.js --check` fails. Works on a copy of the tree, so the checkout's own dist/ is never touched.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JavaScript without declarations (it runs at install, before anything is compiled)
import { build, check } from '../scripts/build.js';
import { childEnv } from './helpers/child-env.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const copy = mkdtempSync(join(tmpdir(), 'lifeline-compiled-'));
t.teardown(() => rmSync(copy, { recursive: true, force: true }));
for (const entry of ['hub', 'adapters', 'conformance', 'schemas', 'console', 'bin', 'scripts', 'package.json', 'tsconfig.json']) {
  cpSync(join(root, entry), join(copy, entry), { recursive: true, filter: (src) => !/[/\\](test|data)$/.test(src) });
}
symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [join(copy, 'bin/lifeline.js'), ...args], { encoding: 'utf8', env: childEnv({ LIFELINE_RUN: '', ...env }) });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
const mainTs = join(copy, 'hub/cli/main.ts');

t.test('build: dist/cli.js, the inputs it records, and every runtime file it points at', async (t) => {
  const r = await build({ root: copy });
  t.ok(existsSync(join(copy, 'dist/cli.js')), 'dist/cli.js exists');
  t.ok(existsSync(join(copy, 'dist/cli.js.map')), 'with its source map');
  const info = JSON.parse(readFileSync(join(copy, 'dist/build-info.json'), 'utf8'));
  t.ok(info.inputs['hub/cli/main.ts'] && info.inputs['hub/sdk/errors.ts'] && info.inputs['scripts/build.js'], 'inputs recorded');
  t.notOk(Object.keys(info.inputs).some((f) => f.startsWith('node_modules/')), 'packages are not bundled');
  t.ok(r.outputs > 5, `split into chunks (${r.outputs} files)`);
  // Schemas, migrations, YAML and the .proto are read from the source tree: each rewritten URL must reach a file.
  const targets = new Set<string>();
  for (const f of readdirSync(join(copy, 'dist')).filter((n) => n.endsWith('.js'))) {
    for (const m of readFileSync(join(copy, 'dist', f), 'utf8').matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)) targets.add(m[1]!);
  }
  t.ok(targets.has('../hub/store/migrations/') && targets.has('../schemas/json/'), 'migrations and schemas among them');
  for (const to of targets) t.ok(existsSync(join(copy, 'dist', to)), `dist/${to} exists`);
  t.same(await check({ root: copy }), [], 'check: up to date');
});

t.test('a fresh build runs, quietly; LIFELINE_RUN=dist accepts it', async (t) => {
  for (const env of [{}, { LIFELINE_RUN: 'dist' }]) {
    const r = cli(['--version'], env);
    t.equal(r.code, 0);
    t.equal(r.out.trim(), version);
    t.equal(r.err, '', `nothing on stderr (${JSON.stringify(env)})`);
  }
  const decode = cli(['hj212', 'decode', '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80']);
  t.equal(decode.code, 0, decode.err);
  t.match(JSON.parse(decode.out), { cn: '1062' }, 'hj212 decode from the build');
  const indicators = cli(['indicators', '--domain', 'gas']);
  t.match(indicators.out, /gas\.pipe_pressure/, 'indicators from the build (YAML read from schemas/)');
  // A plugin (here .js) imports the SDK's TypeScript sources: the compiled hub registers tsx before loading it.
  mkdirSync(join(copy, 'plugin'));
  writeFileSync(join(copy, 'plugin/package.json'), '{ "type": "module" }\n');
  writeFileSync(join(copy, 'plugin/index.js'), `import { defineAdapter } from '../hub/sdk/index.ts';
export default defineAdapter({
  manifest: { id: 'js_plug', version: '1.0.0', title: 'JS plug', description: 'a .js plugin', direction: 'poll', stability: 'development',
    configSchema: { $id: 'lifeline:adapter/js_plug', type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false } },
  create() { return { async start() {}, async stop() {}, health() { return { status: 'ok' }; } }; },
});
`);
  writeFileSync(join(copy, 'plugin/hub.yaml'), 'plugins: [./index.js]\nadapters:\n  js_plug: { n: 1 }\n');
  const plugged = cli(['check-config', join(copy, 'plugin/hub.yaml')], { LIFELINE_RUN: 'dist' });
  t.equal(plugged.code, 0, plugged.err);
  t.match(plugged.out, /OK \(0 sites, 0 devices, 0 points, 1 adapters\)/, 'a .js plugin importing the TypeScript SDK loads under the build');
  // A touched but unchanged file (a checkout, an editor saving the same bytes) keeps the build.
  const later = new Date(Date.now() + 5_000);
  utimesSync(mainTs, later, later);
  t.equal(cli(['--version']).err, '', 'touched, same content: still the build');
});

t.test('an edited source is never run from the old build', async (t) => {
  writeFileSync(mainTs, readFileSync(mainTs, 'utf8').replace('urban lifeline data hub', 'urban lifeline data hub (edited)'));
  const auto = cli(['--help']);
  t.equal(auto.code, 0);
  t.match(auto.out, /data hub \(edited\)/, 'the edited source ran');
  t.match(auto.err, /hub\/cli\/main\.ts changed since the build: running the TypeScript sources through tsx/, 'and the CLI said why');
  t.equal(auto.err.trim().split('\n').length, 1, 'once');

  const strict = cli(['--help'], { LIFELINE_RUN: 'dist' });
  t.equal(strict.code, 1, 'LIFELINE_RUN=dist refuses a stale build');
  t.equal(strict.out, '');
  t.match(strict.err, /hub\/cli\/main\.ts changed since the build, and LIFELINE_RUN=dist allows only the compiled build: run npm run build/);

  const dev = cli(['--help'], { LIFELINE_RUN: 'ts' });
  t.match(dev.out, /\(edited\)/);
  t.equal(dev.err, '', 'LIFELINE_RUN=ts: the sources, silently');

  t.match(await check({ root: copy }), [/hub\/cli\/main\.ts changed since the build/], 'check (CI) fails');
  await build({ root: copy });
  t.same(await check({ root: copy }), [], 'rebuilt: up to date');
  const rebuilt = cli(['--help'], { LIFELINE_RUN: 'dist' });
  t.equal(rebuilt.code, 0);
  t.match(rebuilt.out, /\(edited\)/, 'the rebuilt build has the edit');
});

t.test('a build that does not match a fresh one fails the check', async (t) => {
  const chunk = readdirSync(join(copy, 'dist')).find((n) => n.startsWith('chunk-') && n.endsWith('.js'))!;
  writeFileSync(join(copy, 'dist', chunk), `${readFileSync(join(copy, 'dist', chunk), 'utf8')}\n// tampered\n`);
  t.match(await check({ root: copy }), [new RegExp(`dist/${chunk} differs from a fresh build`)]);
});

t.test('no build at all: the sources, and why', async (t) => {
  rmSync(join(copy, 'dist'), { recursive: true });
  const r = cli(['--version']);
  t.equal(r.code, 0);
  t.equal(r.out.trim(), version);
  t.match(r.err, /no compiled build \(dist\/build-info\.json is missing\): running the TypeScript sources through tsx/);
  t.equal(cli(['--version'], { LIFELINE_RUN: 'dist' }).code, 1, 'LIFELINE_RUN=dist refuses');
  t.equal(cli(['--version'], { LIFELINE_RUN: 'fast' }).code, 2, 'an unknown LIFELINE_RUN is an error');
  t.match(await check({ root: copy }), [/no compiled build/]);
});
