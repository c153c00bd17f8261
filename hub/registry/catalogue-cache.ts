// The indicator catalogue for short-lived commands (`lifeline indicators`): the validated catalogue kept as JSON in the
// per-user cache, named by a hash of what it is made from (the YAML files and the indicator schema). Parsing the YAML
// and compiling the schema's validator were most of the command's CPU (yaml ~115 ms, ajv ~150 ms of ~0.6 s); a hit
// reads six small files and one JSON. A changed YAML file or schema changes the hash: the catalogue is made again
// (through loadCatalogue, which validates and names a bad entry) and cached under the new name. The YAML stays the
// one source; the cache is derived and may be deleted at any time.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Indicator } from '../../schemas/generated/types.ts';
import { cacheRoot } from '../cache-dir.ts';

const indicatorsDir = fileURLToPath(new URL('../../schemas/indicators/', import.meta.url));
const indicatorSchema = fileURLToPath(new URL('../../schemas/json/indicator.schema.json', import.meta.url));

/** The cache file for the catalogue as the sources are now. */
export function catalogueCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(indicatorsDir).filter((f) => f.endsWith('.yaml')).sort()) hash.update(file).update('\0').update(readFileSync(indicatorsDir + file)).update('\0');
  hash.update(readFileSync(indicatorSchema));
  return join(cacheRoot(env), `catalogue-${hash.digest('hex').slice(0, 16)}.json`);
}

/** Every indicator, as loadCatalogue() gives it, from the cache when it matches the sources. */
export async function cachedCatalogue(env: NodeJS.ProcessEnv = process.env): Promise<Indicator[]> {
  const file = catalogueCacheFile(env);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Indicator[];
  } catch { /* not made yet, or unreadable: make it */ }
  const list = (await import('./catalogue.ts')).loadCatalogue();
  // Written whole under a temporary name, then renamed: a reader never sees half a file. A read-only or full cache
  // directory only costs the next run the same work.
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(tmp, JSON.stringify(list));
    renameSync(tmp, file);
  } catch {
    try { rmSync(tmp, { force: true }); } catch { /* never made */ }
  }
  return list;
}
