// SensorThings v1.1 on PostgreSQL: the same suite as test/sta-api.test.ts (test/helpers/sta-suite.ts).
import t from 'tap';
import { staSuite } from './helpers/sta-suite.ts';
import { postgresUp, needService } from './helpers/services.ts';

if (needService(t, 'PostgreSQL', await postgresUp())) await staSuite(t, 'postgres');
