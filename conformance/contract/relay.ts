// A TCP relay between an adapter and its source, owned by the kit: cut() takes the source away (listener closed,
// every connection reset), restore() brings it back on the same port; a tap sees the bytes of each direction.
import net from 'node:net';
import type { ContractRelay, RelayTap } from '../../hub/sdk/contract.ts';

export async function openRelay(target: { host: string; port: number }, tap?: RelayTap): Promise<ContractRelay & { close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let conns = 0;
  let server: net.Server | undefined;
  let port = 0;
  const listen = async () => {
    const s = net.createServer((client) => {
      const conn = ++conns;
      const upstream = net.connect(target);
      sockets.add(client); sockets.add(upstream);
      const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('data', (b) => { tap?.('up', conn, b); upstream.write(b); });
      upstream.on('data', (b) => { tap?.('down', conn, b); client.write(b); });
      client.on('error', drop); upstream.on('error', drop); client.on('close', drop); upstream.on('close', drop);
    });
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(port, '127.0.0.1', () => { s.off('error', reject); resolve(); }); });
    port = (s.address() as net.AddressInfo).port;
    server = s;
  };
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const k of sockets) k.resetAndDestroy?.() ?? k.destroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    host: '127.0.0.1',
    get port() { return port; },
    cut,
    restore: async () => { if (!server) await listen(); },
    close: cut,
  };
}
