// The built-in adapter runs the same certification kit as vendors' adapters.
import t from 'tap';
import { conformanceSuite } from '../../../conformance/index.ts';
import jsonHttp from '../index.ts';

await conformanceSuite(t, jsonHttp, { config: { profiles: { gas: { mapping: 'flat-reading' } } } });
