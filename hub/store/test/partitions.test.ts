import t from 'tap';
import { partitionsSuite } from './partitions-suite.ts';
import { openPglite } from '../pglite.ts';
import { openPostgres } from '../postgres.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';

t.test('PGlite', async (t) => partitionsSuite(t, () => openPglite()));

t.test('PostgreSQL', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  // A fresh database per store: each subtest builds its own layout from migration 001.
  const dbs: Array<{ drop(): Promise<void> }> = [];
  t.teardown(async () => { for (const d of dbs) await d.drop(); });
  partitionsSuite(t, async () => {
    const d = await freshDatabase();
    dbs.push(d);
    return openPostgres(d.url, 2);
  });
});
