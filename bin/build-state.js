// Is the compiled build in dist/ up to date with the sources? Read by bin/lifeline.js at every start, so it is plain
// JavaScript with no dependencies, and cheap: one small JSON file and a stat() per source file the build was made
// from (about 180 of them, a few milliseconds). A file is hashed only when its mtime moved (a checkout, a touch): the
// build is stale exactly when some input's content differs from what scripts/build.js compiled, or is gone.
//
// dist/build-info.json (written last by scripts/build.js) lists every input esbuild read, with size, mtime and
// SHA-256. Runtime files read by relative path (schemas/, *.sql, *.yaml, *.proto) are not inputs: the compiled code
// reads them from the source tree, so they cannot be stale.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const buildInfoName = 'build-info.json';

/** SHA-256 of a file's bytes, hex. */
export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * `{ fresh: true, info }` when `<root>/<outdir>` holds a build of the current sources, else `{ fresh: false, reason }`.
 * strict: hash every input even when its mtime is unchanged (CI; the CLI trusts an unchanged size and mtime).
 * @param {{ root?: string, outdir?: string, strict?: boolean }} [options]
 * @returns {{ fresh: true, info: { entry: string, inputs: Record<string, [number, number, string]> } } | { fresh: false, reason: string }}
 */
export function buildState({ root = projectRoot, outdir = 'dist', strict = false } = {}) {
  let info;
  try {
    info = JSON.parse(readFileSync(join(root, outdir, buildInfoName), 'utf8'));
  } catch {
    return { fresh: false, reason: `no compiled build (${outdir}/${buildInfoName} is missing)` };
  }
  if (info?.version !== 1 || typeof info.inputs !== 'object') return { fresh: false, reason: `${outdir}/${buildInfoName} is from another build script` };
  for (const [file, [size, mtimeMs, hash]] of Object.entries(info.inputs)) {
    let st;
    try { st = statSync(join(root, file)); } catch { return { fresh: false, reason: `${file} is gone since the build` }; }
    if (st.size !== size) return { fresh: false, reason: `${file} changed since the build` };
    if (!strict && st.mtimeMs === mtimeMs) continue;
    if (sha256(readFileSync(join(root, file))) !== hash) return { fresh: false, reason: `${file} changed since the build` };
  }
  return { fresh: true, info };
}
