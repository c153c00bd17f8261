// Hubs started together on one fresh PostgreSQL database: each runs the migrations and the store-layout upkeep
// (legacy move, partitions) at the same moment. Every one must come up. Two pools in this process are two hubs as
// far as PostgreSQL can tell (test/multi-hub.test.ts does the same with real hub processes).
import t from 'tap';
import { postgresUp, needService, freshDatabase } from '../../../test/helpers/services.ts';
import { openPostgres } from '../postgres.ts';
import { migrate } from '../migrate.ts';
import { prepareStoreLayout } from '../upgrade.ts';

t.test('three hubs migrate and prepare one fresh database at once', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  for (let round = 0; round < 3; round++) {
    const db = await freshDatabase();
    const drivers = await Promise.all([0, 1, 2].map(() => openPostgres(db.url, 4)));
    try {
      const results = await Promise.allSettled(drivers.map(async (d) => {
        await migrate(d);
        return prepareStoreLayout(d, {}, Date.now, () => undefined);
      }));
      const failed = results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as Error).stack ?? r.reason)] : []));
      t.same(failed, [], `round ${round}: every hub migrated and prepared the store`);
      const legacy = await drivers[0]!.query<{ r: string | null }>(`SELECT to_regclass('observation_legacy')::text AS r`);
      t.equal(legacy.rows[0]!.r, null, `round ${round}: the empty legacy table is gone`);
    } finally {
      await Promise.all(drivers.map((d) => d.close()));
      await db.drop();
    }
  }
});
