#!/usr/bin/env node
// `npm run build`: compile the CLI and the hub into dist/ with esbuild (npm's `prepare` runs it, so `npm ci` leaves a
// build). `--check`: build again into a temporary folder and fail unless dist/ is byte-identical (CI: stale or missing).
//
// One ESM bundle of our own code (packages stay external, in node_modules), split at every dynamic import so a command
// loads only what it uses: dist/cli.js (hub/cli/main.ts) and dist/<name>-<hash>.js chunks, all in one folder, with
// source maps. Plain JavaScript: it runs at install, before anything is compiled. Why esbuild and not tsc, and how
// bin/lifeline.js avoids ever running a stale build: docs/build.md.
//
// Files read at runtime by `new URL('<relative>', import.meta.url)` (JSON Schemas, SQL migrations, YAML catalogues,
// the .proto) are not copied: the URL is rewritten to point from dist/ back into the source tree, so the compiled code
// reads the same files the sources do and no copy can go stale. dist/build-info.json, written last, lists every input
// with its size, mtime and hash (bin/build-state.js compares them).
//
// The operator console (console/, Preact + TSX) is bundled for the browser into dist/console/ by the same esbuild
// in the same run, so it is never committed and never stale apart from the hub (docs/console.md).
import { copyFileSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildInfoName, buildState, projectRoot, sha256 } from '../bin/build-state.js';

export const entryPoints = { cli: 'hub/cli/main.ts' };
/** The operator console (docs/console.md): a browser bundle in dist/console/, served by the hub at /console. */
export const consoleEntry = 'console/src/main.tsx';
const consoleStatic = ['console/index.html', 'console/favicon.svg'];
/** Boundary data of the one-map page (console/geo/README.md): copied beside the bundle, fetched by the page on demand. */
const consoleGeo = (root) => readdirSync(join(root, 'console/geo')).filter((f) => f.endsWith('.geojson')).sort().map((f) => `console/geo/${f}`);
/** Inputs esbuild does not report but the output depends on: the build options and the compiler settings it reads. */
const extraInputs = ['scripts/build.js', 'tsconfig.json'];
const assetUrl = /new URL\((['"])(\.\.?\/[^'"$`]*)\1,(\s*)import\.meta\.url\)/g;

/** esbuild plugin: `new URL('./x.json', import.meta.url)` in src/a/b.ts becomes `new URL('../src/a/x.json', …)`. */
function relocateAssetUrls(finalOutdir) {
  return {
    name: 'relocate-asset-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        const contents = source.replace(assetUrl, (_m, _q, rel, space) => {
          let to = relative(finalOutdir, resolve(dirname(args.path), rel)).split(sep).join('/');
          if (rel.endsWith('/')) to += '/';
          return `new URL(${JSON.stringify(to.startsWith('.') ? to : `./${to}`)},${space}import.meta.url)`;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * esbuild plugin for the console: the registry's JSON Schemas it bundles (its forms are generated from them) lose their
 * `$schema` (the draft's URL: an identifier, never fetched, but the bundle names no external URL at all).
 */
const schemaWithoutDraftUrl = {
  name: 'schema-without-draft-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]schemas[\\/]json[\\/][^\\/]+\.schema\.json$/ }, async (args) => {
      const { $schema: _draft, ...schema } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify(schema), loader: 'json' };
    });
  },
};

/**
 * The console: one minified ES module and its CSS for the browser (Preact, JSX through esbuild), and index.html,
 * into `<work>/console/`. No external URL, no CDN: everything the page loads comes from the hub (docs/console.md).
 */
async function buildConsole(esbuild, root, work) {
  const out = join(work, 'console');
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: { app: consoleEntry },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [schemaWithoutDraftUrl],
  }).catch((e) => { rmSync(work, { recursive: true, force: true }); throw e; });
  for (const f of [...consoleStatic, ...consoleGeo(root)]) copyFileSync(join(root, f), join(out, basename(f)));
  return result;
}

/** Remove `<outdir>.{tmp,old,check}-<pid>` folders of builds that were killed halfway (their pid no longer runs). */
function sweepLeftovers(root, outdir) {
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
  for (const name of readdirSync(root)) {
    const m = new RegExp(`^${outdir}\\.(?:tmp|old|check)-(\\d+)$`).exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Compile into `<root>/<outdir>` (replaced whole, never half-written). Returns the build's figures. */
export async function build({ root = projectRoot, outdir = 'dist' } = {}) {
  const { build: esbuild, version } = await import('esbuild');
  const began = performance.now();
  const final = join(root, outdir);
  const work = join(root, `${outdir}.tmp-${process.pid}`); // same depth as the final folder: relative paths hold
  sweepLeftovers(root, outdir);
  rmSync(work, { recursive: true, force: true });
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints,
    outdir: work,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    sourcesContent: false, // the sources ship beside dist/; the maps point at them
    keepNames: true, // class and function names as in the sources (error names, logs)
    metafile: true,
    logLevel: 'warning',
    plugins: [relocateAssetUrls(final)],
  }).catch((e) => { rmSync(work, { recursive: true, force: true }); throw e; });
  const web = await buildConsole(esbuild, root, work);
  const inputs = {};
  // Packages (preact, in the console bundle) are not recorded: like the hub's, they change only with package-lock.json.
  const own = [...Object.keys(result.metafile.inputs), ...Object.keys(web.metafile.inputs), ...consoleStatic, ...consoleGeo(root), ...extraInputs].filter((f) => !f.startsWith('node_modules/'));
  for (const file of [...new Set(own)].sort()) {
    const bytes = readFileSync(join(root, file));
    inputs[file] = [bytes.length, statSync(join(root, file)).mtimeMs, sha256(bytes)];
  }
  writeFileSync(join(work, buildInfoName), `${JSON.stringify({ version: 1, esbuild: version, entry: 'cli.js', inputs }, null, 1)}\n`);
  // Swap in whole: a CLI starting meanwhile finds either the old build, or none (and runs the sources).
  const old = join(root, `${outdir}.old-${process.pid}`);
  try { renameSync(final, old); } catch (e) { if (e.code !== 'ENOENT') throw e; }
  renameSync(work, final);
  rmSync(old, { recursive: true, force: true });
  const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
  return { seconds: (performance.now() - began) / 1000, inputs: Object.keys(inputs).length, outputs: outputs.length, esbuild: version };
}

/** Problems that make `<root>/<outdir>` not the build of the current sources; empty when it is. */
export async function check({ root = projectRoot, outdir = 'dist' } = {}) {
  const state = buildState({ root, outdir, strict: true });
  if (!state.fresh) return [state.reason];
  const probe = `${outdir}.check-${process.pid}`;
  try {
    await build({ root, outdir: probe });
    const problems = [];
    const list = (d) => readdirSync(join(root, d), { recursive: true }).map((f) => f.split(sep).join('/'))
      .filter((f) => f !== buildInfoName && !statSync(join(root, d, f)).isDirectory()).sort();
    const [have, want] = [list(outdir), list(probe)];
    for (const f of want) if (!have.includes(f)) problems.push(`${outdir}/${f} is missing`);
    for (const f of have) if (!want.includes(f)) problems.push(`${outdir}/${f} is not part of a fresh build`);
    for (const f of want) {
      if (have.includes(f) && !readFileSync(join(root, outdir, f)).equals(readFileSync(join(root, probe, f)))) problems.push(`${outdir}/${f} differs from a fresh build`);
    }
    return problems;
  } finally {
    rmSync(join(root, probe), { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = projectRoot;
  if (process.argv.includes('--check')) {
    const problems = await check({ root });
    if (problems.length) {
      console.error(`dist/ is not the build of these sources (npm run build):\n  ${problems.slice(0, 10).join('\n  ')}`);
      process.exitCode = 1;
    } else console.log('dist/ is up to date with the sources');
  } else {
    const r = await build({ root });
    console.log(`built dist/ with esbuild ${r.esbuild} in ${r.seconds.toFixed(2)} s: ${r.inputs} inputs, ${r.outputs} files`);
  }
}
