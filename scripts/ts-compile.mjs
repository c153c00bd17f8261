// One .ts file compiled as the test processes run it: esbuild (types stripped, one file at a time) with an inline
// source map, cached by content in node_modules/.cache/lifeline-ts (a file is compiled once until it changes). Used by
// the test loader's hooks (scripts/ts-hooks.mjs) and by the coverage hook (scripts/coverage-hook.mjs), which reads the
// same compiled text back for the source map c8 maps coverage through.
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

/**
 * Where the compiled text of the TypeScript file at `path` (its text `source`) is cached.
 * @param {string} path
 * @param {string} source
 */
export function cachedTsPath(path, source) {
  return `${cacheDir}${createHash('sha256').update(salt).update('\0').update(path).update('\0').update(source).digest('hex').slice(0, 40)}.js`;
}

/**
 * The JavaScript that runs for the TypeScript file at `path` (its text `source`, read by the caller), compiled now or
 * taken from the cache.
 * @param {string} path
 * @param {string} source
 * @returns {Promise<string>}
 */
export async function compiledTs(path, source) {
  const cached = cachedTsPath(path, source);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    const code = esbuild.transformSync(source, { ...options, sourcefile: path }).code;
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached); // whole or not at all: a process beside this one reads a complete file or compiles its own
    return code;
  }
}
