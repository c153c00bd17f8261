// A fresh embedded store is a copy of a template cluster, not a new initdb.
//
// Creating a PGlite cluster runs initdb inside WASM: 6–9 s of CPU on this project's 2-core machine, most of a first
// start. Opening an existing cluster takes under a second, and a new cluster's files are the same every time for one
// PGlite version. So the first cluster is made once into a per-user cache, and every new data directory starts as a
// copy of it (~40 MB, a fraction of a second). `npm install` builds the template (`lifeline prepare-store`), so even a
// newcomer's first start copies instead of running initdb.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { migrate, migrationsFingerprint } from './store/migrate.ts';
import { cacheRoot } from './cache-dir.ts';

/** The PGlite version: a template is only valid for the version (PostgreSQL catalogue) that made it. */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Where templates live: LIFELINE_CACHE_DIR, else the XDG cache directory (~/.cache/lifeline-hub). The template holds
 * the store's migrations too (running them on a bare cluster was most of a first start), so its name carries both the
 * PGlite version and a fingerprint of the migrations: a release with a new migration makes a new template.
 */
export function templateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), `pglite-${pgliteVersion()}-m${migrationsFingerprint()}`);
}

const isCluster = (dir: string) => existsSync(join(dir, 'PG_VERSION'));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/** Remove `<path>.<tag>-<pid>` work directories left by a process killed halfway (its pid no longer runs). */
function sweepLeftovers(path: string, tag: string): void {
  const prefix = `${basename(path)}.${tag}-`;
  let names: string[] = [];
  try { names = readdirSync(dirname(path)); } catch { return; }
  for (const n of names) {
    const pid = n.startsWith(prefix) ? Number(n.slice(prefix.length)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(dirname(path), n), { recursive: true, force: true });
  }
}
const isEmptyOrMissing = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

/** Build the template if it is missing (initdb once, in a temporary directory renamed into place when complete). */
export async function ensureTemplate(env: NodeJS.ProcessEnv = process.env): Promise<{ dir: string; built: boolean }> {
  const dir = templateDir(env);
  if (isCluster(dir)) return { dir, built: false };
  mkdirSync(dirname(dir), { recursive: true });
  sweepLeftovers(dir, 'tmp');
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const { openPglite } = await import('./store/pglite.ts');
    const db = await openPglite(tmp);
    try { await migrate(db); } finally { await db.close(); } // a clean shutdown: the copy is a stopped cluster, safe to open anywhere
    try { renameSync(tmp, dir); } catch { /* another process finished first: use theirs */ }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, built: true };
}

/**
 * Make `dataDir` a cluster copied from the template when it does not exist yet (or is empty). A directory that
 * already holds anything is left alone. Copy to a sibling then rename, so two hubs racing on one new directory never
 * see half a copy. Returns what happened, for the progress line.
 */
export async function seedFromTemplate(dataDir: string, env: NodeJS.ProcessEnv = process.env, progress: (step: string) => void = () => undefined): Promise<'existing' | 'copied' | 'built'> {
  if (!isEmptyOrMissing(dataDir)) return 'existing';
  if (!isCluster(templateDir(env))) progress('creating the embedded store (initdb, once per machine and PGlite version: 5–10 s)');
  const { dir: template, built } = await ensureTemplate(env);
  const tmp = `${dataDir}.seed-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(dataDir), { recursive: true });
  sweepLeftovers(dataDir, 'seed');
  try {
    cpSync(template, tmp, { recursive: true });
    try {
      if (existsSync(dataDir)) rmdirSync(dataDir); // empty (checked above); rename does not replace a directory everywhere
      renameSync(tmp, dataDir);
    } catch { /* another hub seeded it first: theirs is the same */ }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return built ? 'built' : 'copied';
}

/**
 * A Blob over bytes in memory whose arrayBuffer() is one copy: Node's own reads a Blob back as a stream of small chunks
 * (0.3 s of CPU for a 40 MB cluster dump, at every in-memory store's start). It is a whole Blob otherwise (size,
 * stream(), slice() hold the same bytes). Each arrayBuffer() is a copy of its own, since PGlite's in-memory file system
 * may keep the buffer it is given as a file's contents.
 */
export class BytesBlob extends Blob {
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    super([bytes]);
    this.#bytes = bytes;
  }
  // new Uint8Array(view) copies the view's bytes only (a Buffer's slice() would share them, and its pool).
  override async arrayBuffer(): Promise<ArrayBuffer> { return new Uint8Array(this.#bytes).buffer; }
}

const bareDumps = new Map<string, Promise<Blob | undefined>>();

/**
 * A bare cluster (initdb only, no migrations) as a dumpDataDir tar, for in-memory stores: openPglite() without a
 * directory starts from a copy of it instead of running initdb (6–7 s of CPU each, ~1.4 s from the dump). Made once per
 * PGlite version into the cache directory, read once per process. Undefined when it cannot be made: initdb then.
 */
export function bareClusterDump(env: NodeJS.ProcessEnv = process.env): Promise<Blob | undefined> {
  const file = join(cacheRoot(env), `pglite-${pgliteVersion()}-bare.tar`);
  let dump = bareDumps.get(file);
  if (!dump) bareDumps.set(file, dump = (async () => {
    try { return new BytesBlob(readFileSync(file)); } catch { /* not made yet */ }
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = await PGlite.create();
      const blob = await db.dumpDataDir('none');
      await db.close();
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
      renameSync(tmp, file); // whole or not at all: a reader never sees half a dump
      return blob;
    } catch {
      return undefined;
    }
  })());
  return dump;
}
