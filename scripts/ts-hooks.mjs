// Module hooks of the test processes' TypeScript loader (scripts/ts-loader.mjs registers them): a `.ts` file is
// compiled by esbuild (types stripped, one file at a time) with an inline source map, through which c8 maps coverage
// back to the source; everything else goes to Node's own loader untouched. Compiled files are cached by content in
// node_modules/.cache/lifeline-ts: a file is compiled once until it changes.
//
// Why not tsx, which `npm run bench`, `npm run gen` and the CLI on the sources still use: tsx's hooks see every module
// a process loads, node_modules included (resolve and load), for what this project does not use (tsconfig paths,
// extensionless and .js-to-.ts imports, CommonJS TypeScript). A test that loads the hub loads 500+ modules; started
// with tsx it took about 0.5 s more CPU than with these hooks (README).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const cacheDir = fileURLToPath(new URL('../node_modules/.cache/lifeline-ts/', import.meta.url));
// A cached file is valid for the source, its path (in the source map) and the compiler that made it.
const salt = `1\0${JSON.parse(readFileSync(new URL('../node_modules/esbuild/package.json', import.meta.url), 'utf8')).version}\0${process.versions.node}`;
// tsx's settings (what the coverage figures were measured with): this Node's own syntax (a bare `node20` would strip
// import attributes, which Node 20 needs for JSON), names kept for stack traces, one source map with the sources in it.
const options = /** @type {const} */ ({
  loader: 'ts', format: 'esm', target: `node${process.versions.node}`, sourcemap: 'inline', sourcesContent: true, minifyWhitespace: true, keepNames: true,
});
/** @type {typeof import('esbuild') | undefined} */
let esbuild;

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const path = fileURLToPath(url); // without ?query and #hash (a test imports a second copy of a module with ?copy=…)
  if (!path.endsWith('.ts')) return nextLoad(url, context);
  const source = readFileSync(path, 'utf8');
  const cached = `${cacheDir}${createHash('sha256').update(salt).update('\0').update(path).update('\0').update(source).digest('hex').slice(0, 40)}.js`;
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    code = esbuild.transformSync(source, { ...options, sourcefile: path }).code;
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached); // whole or not at all: a process beside this one reads a complete file or compiles its own
  }
  return { format: 'module', source: code, shortCircuit: true };
}
