// sql_poll against a real MariaDB source (fresh database lifeline_t_<random>), hub store on a fresh PostgreSQL database.
import t from 'tap';
import { needService, postgresUp } from '../../../test/helpers/services.ts';
import { mysqlUp } from './fixtures/db.ts';
import { sqlPollSuite } from './fixtures/suite.ts';

if (needService(t, 'PostgreSQL', await postgresUp()) && needService(t, 'MariaDB', await mysqlUp())) sqlPollSuite(t, 'mysql');
