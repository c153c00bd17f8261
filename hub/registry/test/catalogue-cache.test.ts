// The catalogue cache of short-lived commands: the same list loadCatalogue() validates, made once, read after, made
// again when unreadable; its name follows the sources.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { cachedCatalogue, catalogueCacheFile } from '../catalogue-cache.ts';
import { loadCatalogue } from '../catalogue.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-catalogue-cache-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const env = { LIFELINE_CACHE_DIR: join(dir, 'cache') };

t.test('made on first use: the validated catalogue, written whole', async (t) => {
  const file = catalogueCacheFile(env);
  t.equal(dirname(file), env.LIFELINE_CACHE_DIR, 'in LIFELINE_CACHE_DIR');
  t.match(basename(file), /^catalogue-[0-9a-f]{16}\.json$/, 'named by a hash of the sources');
  t.notOk(existsSync(file));
  const list = await cachedCatalogue(env);
  t.same(list, loadCatalogue(), 'the same indicators, in the same order, as loadCatalogue()');
  t.same(JSON.parse(readFileSync(file, 'utf8')), list, 'the cache holds them');
  t.equal(catalogueCacheFile(env), file, 'the same name while the sources are unchanged');
});

t.test('read from the cache after; an unreadable cache is made again', async (t) => {
  const file = catalogueCacheFile(env);
  const marked = loadCatalogue().slice(0, 2).map((i) => ({ ...i, code: `${i.code}.from_cache` }));
  writeFileSync(file, JSON.stringify(marked));
  t.same((await cachedCatalogue(env)).map((i) => i.code), marked.map((i) => i.code), 'a hit reads the file, not the YAML');
  writeFileSync(file, '{"indicators": [');
  t.same(await cachedCatalogue(env), loadCatalogue(), 'half a file: made again from the sources');
  t.same(JSON.parse(readFileSync(file, 'utf8')), loadCatalogue(), 'and written again');
});

t.test('a cache directory that cannot be written costs only the work', async (t) => {
  const blocked = join(dir, 'a-file');
  writeFileSync(blocked, 'not a directory');
  t.same(await cachedCatalogue({ LIFELINE_CACHE_DIR: blocked }), loadCatalogue());
});
