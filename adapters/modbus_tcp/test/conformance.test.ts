// The built-in adapter runs the same certification kit as vendors' adapters.
import t from 'tap';
import { conformanceSuite } from '../../../conformance/index.ts';
import modbus from '../index.ts';

await conformanceSuite(t, modbus, { config: { devices: [] } });
