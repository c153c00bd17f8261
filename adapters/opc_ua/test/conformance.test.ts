// The built-in adapter runs the same certification kit as vendors' adapters.
import t from 'tap';
import { conformanceSuite } from '../../../conformance/index.ts';
import opcUa from '../index.ts';

// No server listens on port 1: the lifecycle clauses run against an endpoint that keeps failing to connect.
await conformanceSuite(t, opcUa, { config: {
  endpoints: [{ key: 'nowhere', url: 'opc.tcp://127.0.0.1:1/lifeline', items: [{ name: 'PT101', browse_path: '/Objects/WaterPlant/PT101.PV' }] }],
  reconnect_initial_delay_ms: 200,
} });
