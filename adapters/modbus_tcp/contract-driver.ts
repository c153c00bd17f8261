// The modbus_tcp adapter's contract driver (docs/certification.md, "Adapter contract"): the simulator holds one
// holding register that serves each reading's number to exactly one poll (0 between readings, which the kit
// ignores). A poller acknowledges nothing; the health clause stops the simulator and starts it again on its port.
import { contractRegistry, type ContractDriverFactory, type SourceReading } from '../../hub/sdk/index.ts';
import { ModbusSimServer, UnitImage } from './sim/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const driver: ContractDriverFactory = async (env) => {
  const sim = new ModbusSimServer();
  const image = new UnitImage({ holding_registers: 1 });
  sim.units.set(1, image);
  const port = await sim.listen();
  let closed = false;
  let queue = Promise.resolve();
  /** Serve `seq` until one read request was answered with it (the poller saw it once). */
  const serveOnce = async (seq: number) => {
    image.set('holding_registers', 0, [seq]);
    const before = sim.requestsByUnit.get(1) ?? 0;
    const end = Date.now() + 30_000; // the first read may wait for the poller's connection
    while (!closed && (sim.requestsByUnit.get(1) ?? 0) === before && Date.now() < end) await sleep(2);
    image.set('holding_registers', 0, [0]);
  };
  return {
    config: {
      interval_ms: 100, timeout_ms: 2000, retries: 0, reconnect_initial_ms: 50, reconnect_max_ms: 200, batch_max_wait_ms: 0,
      devices: [{ device: 'MB-CT', host: '127.0.0.1', port, unit_id: 1, points: [{ name: 'p', address: 0, type: 'uint16' }] }],
    },
    registry: contractRegistry({ device: 'MB-CT', fields: ['p'] }),
    async send(seqs) {
      queue = queue.then(async () => { for (const s of seqs) await serveOnce(s); });
      env.note(`the register serves seq ${seqs.join(', ')}, one poll each`);
    },
    seqOf: (r: SourceReading) => (typeof r.value === 'number' && r.value !== 0 ? r.value : null),
    outage: { down: () => sim.close(), up: async () => { await sim.listen(port); } },
    async close() { closed = true; await queue.catch(() => undefined); await sim.close(); },
  };
};
export default driver;
