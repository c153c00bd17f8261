// broken_line_tcp: the same protocol as line_tcp, broken on purpose the two classic ways, so the adapter-contract
// profile can show what it finds: it acknowledges a reading as soon as it arrives (before the commit), and it
// swallows ingest errors (the source was already told "ACK", so a failed commit loses the reading).
import { defineAdapter } from '../../../hub/sdk/index.ts';
import { LineServer, lineManifest, parseLine, type LineConfig } from './line-protocol.ts';

export default defineAdapter<LineConfig>({
  manifest: lineManifest('broken_line_tcp', 'Line over TCP (broken sample)', 'Broken on purpose: ACK before commit, ingest errors swallowed.'),
  create(config, ctx) {
    const server = new LineServer(config, ctx, (socket, line) => {
      const p = parseLine(line);
      if (!p) return;
      socket.write(`ACK ${p.id}\n`); // wrong: before the commit
      ctx.ingest([p.reading]).catch(() => undefined); // wrong: the error is swallowed
    });
    return { start: () => server.start(), stop: () => server.stop(), health: () => server.health() };
  },
});
