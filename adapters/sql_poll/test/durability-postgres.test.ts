// SIGKILL mid-read of a PostgreSQL intermediate table: after restart every row is stored exactly once.
import t from 'tap';
import { needService, postgresUp } from '../../../test/helpers/services.ts';
import { sigkillMidRead } from './fixtures/durability.ts';

if (needService(t, 'PostgreSQL', await postgresUp())) await t.test('SIGKILL mid-read, restart: every row stored exactly once', (t) => sigkillMidRead(t, 'postgres'));
