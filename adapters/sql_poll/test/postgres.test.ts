// sql_poll against a real PostgreSQL source (fresh database), hub store on a fresh PostgreSQL database.
import t from 'tap';
import { needService } from '../../../test/helpers/services.ts';
import { postgresUp } from './fixtures/db.ts';
import { sqlPollSuite } from './fixtures/suite.ts';

if (needService(t, 'PostgreSQL', await postgresUp())) sqlPollSuite(t, 'postgres');
