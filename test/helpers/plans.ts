// For tests of the plans PostgreSQL gives the store's statements: a fresh, migrated database, and a statement with its
// parameters written in as literals (the custom plan pg and PGlite get: the planner sees the values).
import type { Test } from 'tap';
import { openPostgres } from '../../hub/store/postgres.ts';
import { migrate } from '../../hub/store/migrate.ts';
import type { SqlDriver } from '../../hub/store/driver.ts';
import { freshDatabase, postgresUp, needService } from './services.ts';

/** A fresh PostgreSQL database, migrated, closed and dropped at the test's end; undefined when skipped (no server, not CI). */
export async function migratedPostgres(t: Test, poolSize = 2): Promise<SqlDriver | undefined> {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return undefined;
  const fresh = await freshDatabase();
  t.teardown(() => fresh.drop());
  const db = await openPostgres(fresh.url, poolSize);
  t.teardown(() => db.close());
  await migrate(db);
  return db;
}

/** `sql` with each `$n` replaced by params[n − 1] as a literal (arrays as `'{a,b}'`), for EXPLAIN. */
export function withLiterals(sql: string, params: unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => { const v = params[Number(n) - 1]; return Array.isArray(v) ? `'{${v.join(',')}}'` : `'${String(v)}'`; });
}
