// The hourly maintenance vacuums the tables the hub updates and deletes from on PGlite (which runs no autovacuum), so
// their space is used again; on PostgreSQL it leaves vacuuming to autovacuum.
import t from 'tap';
import type { SqlDriver } from '../driver.ts';
import { openPglite } from '../pglite.ts';
import { migrate } from '../migrate.ts';
import { CHURNED_TABLES, runMaintenance } from '../maintenance.ts';
import { migratedPostgres } from '../../../test/helpers/plans.ts';

const NOW = Date.UTC(2026, 11, 4, 12);
const maintain = (db: SqlDriver) => runMaintenance(db, { retention: {}, daysAhead: 1, now: () => NOW, packAfterMs: false });

/**
 * Outbox entries written and pruned `rounds` times (as the outbox pruner does), maintenance after each pruning when
 * `vacuum`, then one more round written: the outbox's heap size.
 */
async function churn(db: SqlDriver, rounds: number, vacuum: boolean): Promise<number> {
  const write = () => db.query(`INSERT INTO outbox (topic, ref_ids, count) SELECT 'observation', '{1,2,3,4,5,6,7,8}', 8 FROM generate_series(1, 5000)`);
  for (let i = 0; i < rounds; i++) {
    await write();
    await db.query('DELETE FROM outbox');
    if (vacuum) await maintain(db);
  }
  await write();
  return Number((await db.query<{ n: string }>("SELECT pg_relation_size('outbox')::text AS n")).rows[0]!.n);
}

const vacuumedTables = async (db: SqlDriver) => (await db.query<{ relname: string }>(
  'SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL ORDER BY relname')).rows.map((r) => r.relname);

t.test('PGlite: the churned tables are vacuumed and analysed, and pruned rows leave room for new ones', async (t) => {
  const fresh = async () => { const db = await openPglite(); await migrate(db); return db; };
  const db = await fresh();
  t.teardown(() => db.close());
  t.same(await vacuumedTables(db), [], 'nothing vacuumed before');
  const r = await maintain(db);
  t.same(r.vacuumed, [...CHURNED_TABLES], 'the maintenance says what it vacuumed');
  t.same(await vacuumedTables(db), [...CHURNED_TABLES].sort(), 'each of them vacuumed and analysed');

  const kept = await churn(db, 4, true);
  const control = await fresh();
  t.teardown(() => control.close());
  const grown = await churn(control, 4, false);
  // With vacuum the last round's rows take the room of the pruned ones; without, each round's go after the last (5 ×).
  t.ok(kept > 0 && grown >= 3 * kept, `without vacuum the outbox grew to ${grown} bytes; with the hourly maintenance ${kept} bytes`);
});

t.test('PostgreSQL: vacuuming is left to autovacuum', async (t) => {
  const db = await migratedPostgres(t);
  if (!db) return;
  const r = await maintain(db);
  t.same(r.vacuumed, [], 'nothing vacuumed by the hub');
  t.same(await vacuumedTables(db), [], 'no table vacuumed');
});
