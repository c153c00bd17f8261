// The built-in adapter runs the same certification kit as vendors' adapters.
import t from 'tap';
import { conformanceSuite } from '../../../conformance/index.ts';
import hj212 from '../index.ts';

await conformanceSuite(t, hj212, { config: { host: '127.0.0.1', port: 0 } });
