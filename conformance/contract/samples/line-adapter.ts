// line_tcp: the sample adapter that keeps the contract. Each reading is acknowledged only after ctx.ingest resolved
// (after the commit); when ingest fails nothing is acknowledged, the error is logged with its code, and the source
// sends the reading again.
import { defineAdapter, LifelineError } from '../../../hub/sdk/index.ts';
import { LineServer, lineManifest, parseLine, type LineConfig } from './line-protocol.ts';

export default defineAdapter<LineConfig>({
  manifest: lineManifest('line_tcp', 'Line over TCP (sample)', 'Sample: one reading per line over TCP, ACK <id> after commit.'),
  create(config, ctx) {
    const server = new LineServer(config, ctx, (socket, line) => {
      const p = parseLine(line);
      if (!p) {
        void ctx.ingest([], { rejected: [{ record: { line: line.slice(0, 200) }, reason: 'INGEST_INVALID', message: 'not `<id> <device> <field> <time-ms> <value>`' }] }).catch(() => undefined);
        return;
      }
      ctx.metrics.received();
      ctx.ingest([p.reading]).then(
        () => { if (!socket.destroyed) socket.write(`ACK ${p.id}\n`); },
        (e: unknown) => {
          ctx.metrics.error('ingest_failed');
          ctx.logger.warn({ code: e instanceof LifelineError ? e.code : 'STORE_COMMIT_FAILED', id: p.id }, 'not committed; not acknowledged (the source resends)');
        },
      );
    });
    return { start: () => server.start(), stop: () => server.stop(), health: () => server.health() };
  },
});
