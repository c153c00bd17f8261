// The built-in adapter runs the same certification kit as vendors' adapters, with a real poller: one device on a
// loopback port nobody listens on, so the lifecycle clauses (stop before start, start/stop, health) exercise it.
import t from 'tap';
import net from 'node:net';
import { conformanceSuite } from '../../../conformance/index.ts';
import modbus from '../index.ts';

const srv = net.createServer();
await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
const port = (srv.address() as net.AddressInfo).port;
await new Promise<void>((r) => srv.close(() => r()));

await conformanceSuite(t, modbus, { config: { interval_ms: 200, devices: [{ host: '127.0.0.1', port, unit_id: 1, profile: 'water_pressure_transmitter' }] } });
