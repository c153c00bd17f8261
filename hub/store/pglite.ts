import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlDriver, Queryable } from './driver.ts';
import { LifelineError } from '../sdk/errors.ts';
import { bareClusterDump } from '../pglite-template.ts';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/**
 * PGlite has no lock of its own, and two processes on one data directory corrupt it: take a pid lock file.
 * A lock left by a process that no longer runs (SIGKILL, power loss) is taken over.
 */
function lock(dir: string): () => void {
  const file = join(dir, 'lifeline.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => { try { unlinkSync(file); } catch { /* already gone */ } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && alive(pid)) {
        throw new LifelineError('STORE_UNAVAILABLE', `another hub (pid ${pid}) is using the embedded store in ${dir}; stop it, or give this one its own data_dir`, { retryable: false });
      }
      unlinkSync(file); // stale
    }
  }
  throw new LifelineError('STORE_UNAVAILABLE', `cannot lock ${file}`);
}

/**
 * Embedded PostgreSQL (WASM). `dir` undefined → in memory (tests, conformance kit), a bare cluster copied from the
 * cached initdb dump (bareClusterDump); `loadDataDir` (a dumped cluster, dumpDataDir's tar) starts it from that one.
 */
export async function openPglite(dir?: string, o: { loadDataDir?: Blob } = {}): Promise<SqlDriver> {
  let unlock = () => {};
  if (dir) { mkdirSync(dir, { recursive: true }); unlock = lock(dir); }
  let db: PGlite;
  const cached = dir || o.loadDataDir ? undefined : await bareClusterDump();
  const loadDataDir = o.loadDataDir ?? cached;
  try {
    db = await PGlite.create(dir ? { dataDir: dir } : loadDataDir ? { loadDataDir } : {})
      // A cached dump that does not load (damaged on disk) costs an initdb, not the store.
      .catch((e) => { if (cached) return PGlite.create(); throw e; });
  } catch (e) { unlock(); throw e; }
  const q: Queryable['query'] = async (sql, params) => db.query(sql, params) as never;
  return {
    kind: 'pglite',
    query: q,
    async exec(sql) { await db.exec(sql); },
    transaction: (fn) => db.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) as never })),
    async close() { if (!db.closed) await db.close(); unlock(); },
  };
}
