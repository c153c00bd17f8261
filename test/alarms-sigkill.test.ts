// SIGKILL the hub mid-episode and restart it: the same alarms continue, no duplicate event, no lost clear (PGlite; the
// suite is test/helpers/alarms-sigkill-suite.ts).
import t from 'tap';
import { alarmsSigkillSuite } from './helpers/alarms-sigkill-suite.ts';

alarmsSigkillSuite(t, 'pglite');
