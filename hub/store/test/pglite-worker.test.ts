// The embedded store with its engine in a worker thread (openPglite thread: 'worker', the hub's default): what the
// thread boundary could lose or change. The store suite (store.test.ts) runs on it as well.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite, engineArtifacts } from '../pglite.ts';
import type { SqlDriver } from '../driver.ts';
import { seedFromTemplate } from '../../pglite-template.ts';

const worker = () => openPglite(undefined, { thread: 'worker' });
// One store for the cases that leave it open: each open is a new isolate starting the engine.
let shared: Promise<SqlDriver> | undefined;
const sharedStore = () => (shared ??= worker());
t.teardown(async () => { if (shared) await (await shared).close(); });

t.test('an engine error keeps its PostgreSQL fields (code, constraint, detail) and gets this thread\'s stack', async (t) => {
  const db = await sharedStore();
  await db.exec('CREATE TABLE k (id int PRIMARY KEY, v text NOT NULL)');
  await db.query('INSERT INTO k VALUES ($1, $2)', [1, 'a']);
  const e = await db.query('INSERT INTO k VALUES ($1, $2)', [1, 'b']).then(() => undefined, (x: unknown) => x as Error & Record<string, unknown>);
  t.ok(e instanceof Error, 'an Error');
  t.equal(e?.code, '23505', 'unique_violation');
  t.equal(e?.constraint, 'k_pkey');
  t.match(String(e?.detail), /Key \(id\)=\(1\) already exists/);
  t.match(e?.message, /duplicate key value violates unique constraint "k_pkey"/);
  t.match(e?.stack, /pglite-worker\.test\.ts/, 'the stack names the caller');
  const syntax = await db.query('SELEC 1').then(() => undefined, (x: unknown) => x as Record<string, unknown>);
  t.equal(syntax?.code, '42601', 'syntax_error');
});

t.test('types cross the thread as they come from PGlite in-thread: Date, bigint text, arrays, jsonb, bytea, null', async (t) => {
  const here = await openPglite();
  const there = await sharedStore();
  t.teardown(() => here.close());
  const sql = `SELECT now()::timestamptz AS ts, 9007199254740993::bigint AS big, ARRAY[1,2,NULL]::int[] AS arr,
    '{"a":[1,"x"]}'::jsonb AS doc, '\\x0102ff'::bytea AS bin, NULL::text AS nothing, $1::text[] AS param`;
  const params = [['a', 'b,c', '"q"']];
  const [a, b] = [(await here.query<Record<string, unknown>>(sql, params)).rows[0]!, (await there.query<Record<string, unknown>>(sql, params)).rows[0]!];
  t.ok(b.ts instanceof Date, 'timestamptz → Date');
  t.same(Object.keys(b).sort(), Object.keys(a).sort());
  for (const k of ['big', 'arr', 'doc', 'nothing', 'param']) t.same(b[k], a[k], k);
  t.same(Buffer.from(b.bin as Uint8Array), Buffer.from([1, 2, 255]), 'bytea → bytes');
});

t.test('transactions: commit, rollback on a throw, an aborted one reported at COMMIT; other statements wait their turn', async (t) => {
  const db = await sharedStore();
  await db.exec('CREATE TABLE n (v int)');
  const out = await db.transaction(async (tx) => {
    await tx.query('INSERT INTO n VALUES (1)');
    return (await tx.query<{ c: number }>('SELECT count(*)::int AS c FROM n')).rows[0]!.c;
  });
  t.equal(out, 1, 'the callback\'s result');
  await t.rejects(db.transaction(async (tx) => {
    await tx.query('INSERT INTO n VALUES (2)');
    throw new Error('changed my mind');
  }), /changed my mind/, 'the callback\'s own error');
  // A failed statement the callback swallows leaves the transaction aborted: COMMIT then fails, nothing is kept.
  await t.rejects(db.transaction(async (tx) => {
    await tx.query('INSERT INTO n VALUES (3)');
    await tx.query('INSERT INTO nowhere VALUES (1)').catch(() => undefined);
  }));
  t.same((await db.query<{ v: number }>('SELECT v FROM n ORDER BY v')).rows, [{ v: 1 }], 'only the committed row');

  // A statement sent while a transaction is open runs after it ends (as PGlite does in-thread): it sees the commit.
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const tx = db.transaction(async (q) => { await q.query('INSERT INTO n VALUES (4)'); await gate; await q.query('INSERT INTO n VALUES (5)'); });
  await new Promise((r) => setTimeout(r, 20));
  const outside = db.query<{ c: number }>('SELECT count(*)::int AS c FROM n');
  release();
  await tx;
  t.equal((await outside).rows[0]!.c, 3, 'the outside read saw 1, 4 and 5');
});

t.test('a transaction\'s first statement goes with its BEGIN: the engine does not wait for this thread in between', async (t) => {
  const db = await sharedStore();
  // The statement takes 300 ms, and this thread is busy for 300 ms right after starting the transaction (as a hub
  // parsing a large request). Sent with BEGIN, the statement runs meanwhile; sent only once this thread has heard that
  // BEGIN went through, it would start after the busy spell: 600 ms and more.
  const t0 = performance.now();
  const done = db.transaction(async (tx) => (await tx.query<{ v: number }>('SELECT 7 AS v FROM pg_sleep(0.3)')).rows[0]!.v);
  for (const until = performance.now() + 300; performance.now() < until;) { /* busy */ }
  t.equal(await done, 7, 'the transaction\'s result');
  const ms = performance.now() - t0;
  t.ok(ms < 520, `done ${ms.toFixed(0)} ms after it started (statement 300 ms, this thread busy 300 ms meanwhile)`);
});

t.test('the engine is compiled once per process and shared by every engine thread; their stores stay apart', async (t) => {
  const a = await engineArtifacts();
  t.ok(a, 'PGlite\'s files found');
  t.equal(await engineArtifacts(), a, 'the same compiled engine on every call');
  t.ok(a!.pglite instanceof WebAssembly.Module && a!.initdb instanceof WebAssembly.Module, 'both WASM modules compiled');
  t.ok(WebAssembly.Module.exports(a!.pglite).some((e) => e.name === 'memset'), 'the PostgreSQL engine (exports memset)');
  t.ok(a!.fsBundle.byteLength > 1_000_000, 'the file-system bundle read');
  // Two threads at once from the one compiled module: each has its own memory, file system and data.
  const [x, y] = await Promise.all([worker(), worker()]);
  t.teardown(async () => { await x.close(); await y.close(); });
  await x.exec('CREATE TABLE only_x (v int); INSERT INTO only_x VALUES (1);');
  t.same((await x.query('SELECT v FROM only_x')).rows, [{ v: 1 }]);
  t.equal((await y.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_x'")).rows[0]!.n, 0, 'the other store does not see it');
  t.equal((await y.query<{ x: number }>('SELECT 6 * 7 AS x')).rows[0]!.x, 42);
});

t.test('the page cache (shared_buffers): 16 MB in memory by default, cacheMb sets it, in the thread and in-thread alike', async (t) => {
  const show = async (db: SqlDriver) => (await db.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers;
  t.equal(await show(await sharedStore()), '16MB', 'in memory, worker');
  const main = await openPglite(undefined, { cacheMb: 24 });
  t.equal(await show(main), '24MB', 'cacheMb, in-thread');
  await main.close();
  const dir = join(mkdtempSync(join(tmpdir(), 'lifeline-worker-')), 'pglite');
  t.teardown(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  await seedFromTemplate(dir);
  const onDisk = await openPglite(dir, { thread: 'worker' });
  t.equal(await show(onDisk), '128MB', 'on disk: PostgreSQL\'s default');
  await onDisk.close();
});

t.test('exec runs several statements; after close every call is refused', async (t) => {
  const db = await worker();
  await db.exec('CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2);');
  t.equal((await db.query<{ s: number }>('SELECT sum(x)::int AS s FROM a')).rows[0]!.s, 3);
  await db.close();
  await db.close(); // twice is fine
  await t.rejects(db.query('SELECT 1'), /embedded store's thread ended/);
});

t.test('on disk: the data directory is locked while open and reopens with its data; an unclosed store does not keep the process alive', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lifeline-worker-')), 'pglite');
  t.teardown(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  await seedFromTemplate(dir); // as the hub starts a new store: a copy of the template cluster, not an initdb
  const db = await openPglite(dir, { thread: 'worker' });
  await db.exec('CREATE TABLE d (x int); INSERT INTO d VALUES (42);');
  t.ok(existsSync(join(dir, 'lifeline.lock')), 'lock file');
  await db.close();
  t.notOk(existsSync(join(dir, 'lifeline.lock')), 'lock released');
  const again = await openPglite(dir, { thread: 'worker' });
  t.equal((await again.query<{ x: number }>('SELECT x FROM d')).rows[0]!.x, 42, 'data kept');
  await again.close();

  // A script that queries and ends without close(): it must exit by itself, with its result printed.
  const script = `import { openPglite } from ${JSON.stringify(new URL('../pglite.ts', import.meta.url).href)};
    const db = await openPglite(undefined, { thread: 'worker' });
    console.log((await db.query('SELECT 6 * 7 AS x')).rows[0].x);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.signal, null, 'not killed by the timeout');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '42');
});

t.test('a data directory the engine cannot open: the open fails with the engine\'s error and the lock is released', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lifeline-worker-bad-')), 'pglite');
  t.teardown(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  mkdirSync(join(dir, 'base'), { recursive: true });
  writeFileSync(join(dir, 'PG_VERSION'), 'garbage\n');
  await t.rejects(openPglite(dir, { thread: 'worker' }), /PGlite failed to initialize/);
  t.notOk(existsSync(join(dir, 'lifeline.lock')), 'lock released');
  // Nothing of it keeps this process busy: a good store opens on the same directory once it is repaired.
  rmSync(dir, { recursive: true, force: true });
  await seedFromTemplate(dir);
  const db = await openPglite(dir, { thread: 'worker' });
  t.equal((await db.query<{ x: number }>('SELECT 1 AS x')).rows[0]!.x, 1);
  await db.close();
});
