// The sample adapters' contract driver (what a vendor writes for their own adapter): a source that connects to the
// adapter, sends `<id> <device> <field> <time-ms> <value>` lines and resends every line not answered `ACK <id>`.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { contractRegistry, contractTime, type ContractDriverFactory } from '../../../hub/sdk/index.ts';

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
});

const driver: ContractDriverFactory = async (env) => {
  const port = await freePort();
  const device = `LINE-${port}`; // one device per run: runs may share a store
  const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const pending = new Map<number, { line: string; at: number }>();
  /** Write each pending line not written in the last `ms` (a source resends after a timeout, not at once). */
  const flush = (s: net.Socket, ms: number) => {
    const now = Date.now();
    for (const p of pending.values()) if (now - p.at >= ms) { p.at = now; s.write(p.line); }
  };
  const acked = new Set<number>();
  let socket: net.Socket | undefined;
  let closed = false;
  const connect = () => {
    if (closed || socket) return;
    const s = net.connect({ host: '127.0.0.1', port });
    socket = s;
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const m = /^ACK (\d+)$/.exec(buf.slice(0, i).trim());
        buf = buf.slice(i + 1);
        if (m) { acked.add(Number(m[1])); pending.delete(Number(m[1])); }
      }
    });
    s.on('connect', () => flush(s, 0));
    s.on('error', () => undefined);
    s.on('close', () => { if (socket === s) socket = undefined; });
  };
  // A source resends what was not acknowledged within 1.5 s (a collector's OverTime is seconds), and reconnects.
  // setImmediate: after a stalled event loop, acknowledgements already received are read (poll phase) before the
  // resend check runs, not after it (timers run first).
  const timer = setInterval(() => setImmediate(() => { if (closed) return; if (!socket) connect(); else if (!socket.connecting) flush(socket, 1500); }), 100);
  return {
    config: { host: '127.0.0.1', port },
    registry: contractRegistry({ device, fields: ['p'] }),
    async send(seqs) {
      for (const q of seqs) pending.set(q, { line: `${q} ${device} p ${contractTime(base, q)} ${q}\n`, at: 0 });
      if (!socket) connect();
      else if (!socket.connecting) flush(socket, 0);
      env.note(`sent seq ${seqs.join(', ')}`);
    },
    acknowledged: () => acked,
    docs: fileURLToPath(new URL('./line_tcp.md', import.meta.url)),
    async close() { closed = true; clearInterval(timer); socket?.destroy(); },
  };
};
export default driver;
