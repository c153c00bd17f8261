// SensorThings v1.1 on PGlite (test/helpers/sta-suite.ts): a generic client against /v1/observations, latest values,
// $count, dataArray, filters, errors and an enterprise-scoped key.
import t from 'tap';
import { staSuite } from './helpers/sta-suite.ts';

await staSuite(t, 'pglite');
