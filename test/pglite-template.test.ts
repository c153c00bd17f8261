// A new embedded store is a copy of the cached template cluster (no WASM initdb on each first start): the copy is a
// working, independent store; a directory that already holds anything is never touched.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BytesBlob, bareClusterDump, seedFromTemplate, templateDir } from '../hub/pglite-template.ts';
import { openPglite } from '../hub/store/pglite.ts';
import { migrate } from '../hub/store/migrate.ts';

const work = mkdtempSync(join(tmpdir(), 'lifeline-template-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('two new data directories are seeded from the template and are separate, working stores', async (t) => {
  const a = join(work, 'a', 'pglite'), b = join(work, 'b', 'pglite');
  t.match(await seedFromTemplate(a), /^(copied|built)$/);
  t.equal(await seedFromTemplate(b), 'copied', 'the second one copies the template made or found by the first');
  t.ok(existsSync(join(templateDir(), 'PG_VERSION')), `the template is a cluster (${templateDir()})`);
  t.same(readdirSync(join(work, 'a')), ['pglite'], 'no temporary copy left beside it');
  const dbA = await openPglite(a), dbB = await openPglite(b);
  t.teardown(async () => { await dbA.close(); await dbB.close(); });
  t.same(await migrate(dbA), [], 'the copy arrives migrated: nothing left to apply');
  await dbA.query("INSERT INTO site (code, doc) VALUES ('T1', '{}')");
  await migrate(dbB);
  t.equal((await dbB.query('SELECT count(*)::int AS n FROM site')).rows[0]!.n as number, 0, 'a write to one copy is not in the other');
});

t.test('a directory that holds anything is left alone', async (t) => {
  const dir = join(work, 'used', 'pglite');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'something'), 'x');
  t.equal(await seedFromTemplate(dir), 'existing');
  t.same(readdirSync(dir), ['something']);
  const empty = join(work, 'empty', 'pglite');
  mkdirSync(empty, { recursive: true });
  let dead = 4_000_000; // a pid that runs nothing: a hub killed while copying left its work directory
  while (existsSync(`/proc/${dead}`)) dead++;
  mkdirSync(`${empty}.seed-${dead}`);
  t.match(await seedFromTemplate(empty), /^(copied|built)$/, 'an empty directory (made by hand, say) is seeded');
  t.same(readdirSync(join(work, 'empty')), ['pglite'], 'and the copy a killed hub left beside it is gone');
});

t.test('an in-memory store starts from the cached dump of a bare cluster: made once, then read', async (t) => {
  const env = { ...process.env, LIFELINE_CACHE_DIR: join(work, 'cache') };
  const made = await bareClusterDump(env);
  t.ok(made && made.size > 1_000_000, `a dump was made (${made?.size} bytes)`);
  const files = readdirSync(join(work, 'cache'));
  t.equal(files.length, 1, `one file in the cache, no temporary left (${files})`);
  t.ok(files[0]!.endsWith('-bare.tar'));
  const db = await openPglite(undefined, { loadDataDir: made });
  t.teardown(() => db.close());
  t.same((await db.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows, [{ n: 0 }], 'bare: no tables before migrate');
  t.ok((await migrate(db)).length > 0, 'and it migrates like a new cluster');
  const fresh = await openPglite();
  t.teardown(() => fresh.close());
  t.same((await fresh.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows, [{ n: 0 }], 'openPglite() without a directory: a bare cluster too');
});

t.test('the dump read back from the cache: each store gets a copy of its own, in this thread and in the engine thread', async (t) => {
  const file = join(work, 'cache', readdirSync(join(work, 'cache')).find((f) => f.endsWith('-bare.tar'))!);
  const dump = new BytesBlob(readFileSync(file));
  t.equal(dump.size, statSync(file).size, 'size is the file\'s');
  const [a, b] = [await dump.arrayBuffer(), await dump.arrayBuffer()];
  t.ok(a !== b, 'arrayBuffer() returns a new buffer each time');
  t.ok(Buffer.from(a).equals(readFileSync(file)), 'holding the file\'s bytes');
  const first = await openPglite(undefined, { loadDataDir: dump });
  t.teardown(() => first.close());
  await first.exec('CREATE TABLE only_in_first (x int)');
  for (const thread of ['main', 'worker'] as const) {
    const other = await openPglite(undefined, { loadDataDir: dump, thread });
    t.same((await other.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_first'")).rows, [{ n: 0 }], `a second store (${thread} thread) from the same dump does not see the first one's table`);
    await other.close();
  }
});
