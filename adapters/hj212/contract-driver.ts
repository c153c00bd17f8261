// The hj212 adapter's contract driver (docs/certification.md, "Adapter contract"): a station that sends one 2011
// upload per reading (Rtd = the reading's number) and resends it, same QN, until the hub answers 9014.
import net from 'node:net';
import { contractRegistry, contractTime, type ContractDriverFactory } from '../../hub/sdk/index.ts';
import { Hj212Client } from './transport/client.ts';
import { wallTime14 } from './transport/qn.ts';
import { Hj212ErrorCodes } from './codec/index.ts';

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const driver: ContractDriverFactory = async (env) => {
  const port = await freePort();
  const mn = '4C4C48000000000000C0FFEE';
  const zone = 'Asia/Shanghai';
  const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const acked = new Set<number>();
  let closed = false;
  let qn = 0;
  const client = new Hj212Client({ host: '127.0.0.1', port, timeoutMs: 400, retries: 0, connectTimeoutMs: 400, nextQn: () => `${wallTime14(Date.now(), zone)}${String(++qn % 1000).padStart(3, '0')}` });
  const deliver = async (seq: number) => {
    const t = contractTime(base, seq);
    const frame = { version: '2017' as const, qn: `${wallTime14(t, zone)}000`, st: '32', cn: '2011', pw: '123456', mn, ackRequested: true, cp: { records: [{ dataTime: wallTime14(t, zone), items: [{ code: 'e01201', fields: { Rtd: String(seq), Flag: 'N' } }] }] } };
    while (!closed) {
      try { await client.send(frame); acked.add(seq); return; } catch { await sleep(100); }
    }
  };
  return {
    config: { host: '127.0.0.1', port },
    registry: contractRegistry({ device: 'HJ-CT-1', fields: ['e01201'], identity: { protocol: 'hj212', key: mn, pw: '123456' } }),
    async send(seqs) { for (const s of seqs) void deliver(s); env.note(`station ${mn} sends 2011 uploads for seq ${seqs.join(', ')}`); },
    acknowledged: () => acked,
    errorCodes: Object.keys(Hj212ErrorCodes),
    async close() { closed = true; client.close(); },
  };
};
export default driver;
