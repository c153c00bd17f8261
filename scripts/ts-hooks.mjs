// Module hooks of the test processes' TypeScript loader (scripts/ts-loader.mjs registers them): a `.ts` file is
// compiled by esbuild (types stripped, one file at a time) with an inline source map, through which c8 maps coverage
// back to the source; everything else goes to Node's own loader untouched. Compiled files are cached by content
// (scripts/ts-compile.mjs).
//
// Why not tsx, which `npm run bench`, `npm run gen` and the CLI on the sources still use: tsx's hooks see every module
// a process loads, node_modules included (resolve and load), for what this project does not use (tsconfig paths,
// extensionless and .js-to-.ts imports, CommonJS TypeScript). A test that loads the hub loads 500+ modules; started
// with tsx it took about 0.5 s more CPU than with these hooks (README).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compiledTs } from './ts-compile.mjs';

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const path = fileURLToPath(url); // without ?query and #hash (a test imports a second copy of a module with ?copy=…)
  if (!path.endsWith('.ts')) return nextLoad(url, context);
  const code = await compiledTs(path, readFileSync(path, 'utf8'));
  return { format: 'module', source: code, shortCircuit: true };
}
