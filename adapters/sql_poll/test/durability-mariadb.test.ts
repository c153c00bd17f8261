// SIGKILL mid-read of a MariaDB intermediate table: after restart every row is stored exactly once.
import t from 'tap';
import { needService, postgresUp } from '../../../test/helpers/services.ts';
import { mysqlUp } from './fixtures/db.ts';
import { sigkillMidRead } from './fixtures/durability.ts';

if (needService(t, 'PostgreSQL', await postgresUp()) && needService(t, 'MariaDB', await mysqlUp())) await t.test('SIGKILL mid-read, restart: every row stored exactly once', (t) => sigkillMidRead(t, 'mysql'));
