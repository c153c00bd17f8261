import t from 'tap';
import { rollupsSuite } from './rollups-suite.ts';
import { openPglite } from '../pglite.ts';
import { openPostgres } from '../postgres.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';

t.test('PGlite', async (t) => rollupsSuite(t, () => openPglite()));

t.test('PostgreSQL', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const db = await freshDatabase();
  t.teardown(() => db.drop());
  rollupsSuite(t, () => openPostgres(db.url, 4));
});
