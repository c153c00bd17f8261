// The json_http adapter's contract driver (docs/certification.md, "Adapter contract"): a vendor cloud that POSTs one
// flat-reading webhook per reading (methane = the reading's number) and retries every answer but a 2xx.
import { contractRegistry, contractTime, type ContractDriverFactory } from '../../hub/sdk/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const driver: ContractDriverFactory = async (env) => {
  const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const acked = new Set<number>();
  let closed = false;
  const deliver = async (seq: number) => {
    const body = JSON.stringify({ deviceId: 'HTTP-CT-KEY', ts: contractTime(base, seq), msgId: `ct-${seq}`, methane: seq, unit: 'kPa' });
    while (!closed) {
      try {
        const res = await fetch(`${env.httpUrl}/v1/ingest/ct`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.ok) { acked.add(seq); return; }
      } catch { /* retried */ }
      await sleep(100);
    }
  };
  return {
    config: { profiles: { ct: { mapping: 'flat-reading' } } },
    registry: contractRegistry({ device: 'HTTP-CT', fields: ['methane'], identity: { protocol: 'json_http', key: 'HTTP-CT-KEY' } }),
    async send(seqs) { for (const s of seqs) void deliver(s); env.note(`webhook client POSTs seq ${seqs.join(', ')}`); },
    acknowledged: () => acked,
    async close() { closed = true; },
  };
};
export default driver;
