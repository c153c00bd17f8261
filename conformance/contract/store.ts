// The contract run's store: in memory, started from a dump of the prepared template cluster (hub/pglite-template.ts).
// A copy on disk costs a copy, an open and a delete of ~40 MB per run; the dump loads in one step and vanishes with
// the process. The dump is made once per template (PGlite version + migrations) next to it.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlDriver } from '../../hub/store/driver.ts';
import { openPglite } from '../../hub/store/pglite.ts';
import { BytesBlob, seedFromTemplate, templateDir } from '../../hub/pglite-template.ts';
import { migrate } from '../../hub/store/migrate.ts';

async function dumpFile(): Promise<string | undefined> {
  const file = `${templateDir()}.contract-store.tar`;
  if (existsSync(file)) return file;
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-contract-dump-'));
  try {
    if ((await seedFromTemplate(join(dir, 'pglite'))) === 'existing') return undefined;
    const db = await PGlite.create({ dataDir: join(dir, 'pglite') });
    const tar = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    await db.close();
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, tar);
    renameSync(tmp, file); // atomic: a run beside this one reads a whole dump or makes its own
    return file;
  } catch {
    return undefined;
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** A migrated in-memory store for one contract run. */
export async function openContractStore(): Promise<SqlDriver> {
  const file = await dumpFile();
  const db = await openPglite(undefined, file ? { loadDataDir: new BytesBlob(readFileSync(file)) } : {});
  await migrate(db);
  return db;
}
