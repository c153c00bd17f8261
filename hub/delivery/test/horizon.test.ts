// The outbox horizon: an outbox id taken by a transaction still open must not be skipped when a later id
// commits first (real PostgreSQL, two connections).
import t from 'tap';
import pg from 'pg';
import { postgresUp, needService, freshDatabase } from '../../../test/helpers/services.ts';
import { openPostgres } from '../../store/postgres.ts';
import { migrate } from '../../store/migrate.ts';
import { OutboxHorizon } from '../horizon.ts';
import { backoffMs } from '../targets.ts';

t.test('backoff: exponential, capped, jittered; Retry-After wins', async (t) => {
  const r = { initialMs: 1000, maxMs: 8000, multiplier: 2, maxAttempts: 10, jitter: 0.2 };
  t.equal(backoffMs(r, 1, undefined, () => 0.5), 1000);
  t.equal(backoffMs(r, 3, undefined, () => 0.5), 4000);
  t.equal(backoffMs(r, 9, undefined, () => 0.5), 8000, 'capped at max_ms');
  t.equal(backoffMs(r, 1, undefined, () => 0), 800, '-jitter');
  t.equal(backoffMs(r, 1, undefined, () => 1), 1200, '+jitter');
  t.equal(backoffMs(r, 5, 2500), 2500, 'Retry-After honoured as given');
});

t.test('postgres: an open transaction holds the horizon below its outbox id', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const d = await freshDatabase();
  const db = await openPostgres(d.url, 2);
  await migrate(db);
  const slow = new pg.Client({ connectionString: d.url });
  await slow.connect();
  t.teardown(async () => { await slow.end(); await db.close(); await d.drop(); });
  const h = new OutboxHorizon(db);
  const add = (q: { query: (s: string) => Promise<unknown> }) => q.query(`INSERT INTO outbox (topic, ref_ids, count) VALUES ('observation', '{1}', 1)`);
  await add(db);
  t.equal(await h.safeMax(), '1', 'nothing in flight: the visible maximum is safe');
  await slow.query('BEGIN');
  await add(slow);                      // takes id 2, not committed
  await add(db);                        // id 3 commits first
  t.equal(await h.safeMax(), '1', 'id 3 is visible but 2 may still come');
  t.equal(await h.safeMax(), '1', 'still open: still held');
  await slow.query('COMMIT');
  t.equal(await h.safeMax(), '3', 'once the open transaction finished, 3 is safe');
  await slow.query('BEGIN');
  await add(slow);
  await slow.query('ROLLBACK');
  await add(db);
  t.equal(await h.safeMax(), '5', 'a rolled-back id leaves a gap the cursor may pass');
});

t.test('pglite: the visible maximum at once (one transaction at a time), without asking pg_stat_activity', async (t) => {
  const { openPglite } = await import('../../store/pglite.ts');
  const db = await openPglite();
  await migrate(db);
  t.teardown(() => db.close());
  const seen: string[] = [];
  const watched = { kind: db.kind, query: <T>(sql: string, params?: unknown[]) => { seen.push(sql); return db.query<T>(sql, params); } };
  const h = new OutboxHorizon(watched);
  t.equal(await h.safeMax(), '0', 'empty outbox');
  // A transaction's own outbox entry: PGlite runs nothing else while it is open, so the horizon is asked after it.
  const open = db.transaction(async (tx) => {
    await tx.query(`INSERT INTO outbox (topic, ref_ids, count) VALUES ('observation', '{1}', 1)`);
    await new Promise((r) => setTimeout(r, 50));
  });
  const during = h.safeMax();
  await open;
  t.equal(await during, '1', 'asked while a transaction was open: answered after it, with its entry');
  await db.query(`INSERT INTO outbox (topic, ref_ids, count) VALUES ('observation', '{2}', 1)`);
  t.equal(await h.safeMax(), '2');
  t.notOk(seen.some((s) => s.includes('pg_stat_activity')), 'pg_stat_activity never asked');
});
