// The built-in adapter runs the same certification kit as vendors' adapters (source: a fresh PostgreSQL database).
import t from 'tap';
import { conformanceSuite } from '../../../conformance/index.ts';
import { freshDatabase, needService, postgresUp } from '../../../test/helpers/services.ts';
import sqlPoll from '../index.ts';

if (needService(t, 'PostgreSQL', await postgresUp())) {
  const db = await freshDatabase();
  t.teardown(() => db.drop());
  await conformanceSuite(t, sqlPoll, { config: { sources: [{ name: 'conformance', driver: 'postgres', url: db.url, interval_s: 0.1 }] } });
}
