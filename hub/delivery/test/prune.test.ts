// Outbox pruning: only entries every configured target has read, and only once older than the retention; with no
// targets, everything older than the retention. Real stores (PGlite in memory, PostgreSQL).
import t from 'tap';
import { postgresUp, needService, freshDatabase } from '../../../test/helpers/services.ts';
import { openPostgres } from '../../store/postgres.ts';
import { openPglite } from '../../store/pglite.ts';
import { migrate } from '../../store/migrate.ts';
import type { SqlDriver } from '../../store/driver.ts';
import { pruneOutbox } from '../store.ts';

async function suite(t: Tap.Test, db: SqlDriver) {
  await migrate(db);
  // ids 1–10: 1–6 two days old, 7–10 new.
  for (let i = 1; i <= 10; i++) {
    await db.query(`INSERT INTO outbox (topic, ref_ids, count, created_at) VALUES ('observation', '{1}', 1, now() - $1 * interval '1 hour')`, [i <= 6 ? 48 : 0]);
  }
  await db.query(`INSERT INTO delivery_target (target, outbox_id) VALUES ('a', 8), ('b', 4), ('gone', 0)`);
  const ids = async () => (await db.query<{ id: string }>('SELECT id::text AS id FROM outbox ORDER BY outbox.id')).rows.map((r) => Number(r.id));

  t.equal(await pruneOutbox(db, ['a', 'b'], 24 * 3600, 2), 4, 'old entries both targets read (1–4), in chunks of 2');
  t.same(await ids(), [5, 6, 7, 8, 9, 10], 'b has not read 5 and 6: kept though old; a target no longer configured does not hold anything back');
  t.equal(await pruneOutbox(db, ['a', 'b', 'new'], 0), 0, 'a configured target without a cursor yet holds everything');
  await db.query(`UPDATE delivery_target SET outbox_id = 10 WHERE target = 'b'`);
  t.equal(await pruneOutbox(db, ['a', 'b'], 24 * 3600), 2, 'once b read them, the old ones go');
  t.same(await ids(), [7, 8, 9, 10], 'new entries stay for the retention even when read');
  t.equal(await pruneOutbox(db, [], 24 * 3600), 0, 'no targets: nothing young goes');
  t.equal(await pruneOutbox(db, [], 0), 4, 'no targets: everything older than the retention goes');
}

t.test('pglite', async (t) => {
  const db = await openPglite();
  t.teardown(() => db.close());
  await suite(t, db);
});

t.test('postgres', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const d = await freshDatabase();
  const db = await openPostgres(d.url, 2);
  t.teardown(async () => { await db.close(); await d.drop(); });
  await suite(t, db);
});
