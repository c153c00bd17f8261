// The opc_ua adapter's contract driver (docs/certification.md, "Adapter contract"): the simulator's manual variable
// `ct` takes each reading's number in turn (one data change each, 150 ms apart). OPC UA acknowledges nothing to the
// server; the health clause stops the simulator and starts it again on its port. Both PKIs are kept in the temp
// folder between runs (creating the two RSA certificates is most of a first run).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractRegistry, type ContractDriverFactory } from '../../hub/sdk/index.ts';
import { OpcUaSim, DEFAULT_USER, SIM_NAMESPACE } from './sim/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const driver: ContractDriverFactory = async (env) => {
  const pki = join(tmpdir(), `lifeline-contract-opcua-${process.getuid?.() ?? 'u'}`);
  const sim = new OpcUaSim({ pkiDir: join(pki, 'sim'), items: 1, intervalMs: 3_600_000, allowNone: true, acceptUnknownCertificates: true, manual: [{ name: 'ct', low: 0, high: 1_000_000, initial: 0 }] });
  await sim.start();
  let closed = false;
  let queue = Promise.resolve();
  return {
    config: {
      endpoints: [{
        key: 'ct', url: sim.url, namespace: SIM_NAMESPACE, security_mode: 'None', security_policy: 'None',
        auth: { type: 'username', ...DEFAULT_USER }, publishing_interval_ms: 50, sampling_interval_ms: 50,
        items: [{ name: 'ct', node_id: `nsu=${SIM_NAMESPACE};s=Manual.ct` }],
      }],
      pki_dir: join(pki, 'hub'), accept_unknown_certificates: true,
      reconnect_initial_delay_ms: 100, reconnect_max_delay_ms: 300, batch_max_wait_ms: 5, request_timeout_ms: 2000,
    },
    registry: contractRegistry({ device: 'UA-CT', fields: ['ct'], identity: { protocol: 'opc_ua', key: 'ct' } }),
    async send(seqs) {
      queue = queue.then(async () => { for (const s of seqs) { if (!closed && sim.running) sim.setValue('ct', s); await sleep(150); } });
      env.note(`the variable ct takes seq ${seqs.join(', ')}, 150 ms apart`);
    },
    seqOf: (r) => (typeof r.value === 'number' && r.value !== 0 ? r.value : null),
    outage: { down: () => sim.stop(), up: () => sim.start() },
    async close() { closed = true; await queue.catch(() => undefined); await sim.stop(); },
  };
};
export default driver;
