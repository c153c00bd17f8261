import t from 'tap';
import { storeSuite } from './store-suite.ts';
import { openPglite } from '../pglite.ts';
import { openPostgres } from '../postgres.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';

t.test('PGlite', async (t) => storeSuite(t, () => openPglite()));

t.test('PGlite, engine in a worker thread', async (t) => storeSuite(t, () => openPglite(undefined, { thread: 'worker' })));

t.test('PostgreSQL', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const db = await freshDatabase();
  t.teardown(() => db.drop());
  storeSuite(t, () => openPostgres(db.url, 4));
});
