// The sample adapters' protocol, small enough to read in a minute: a source connects over TCP and sends one line per
// reading, `<id> <device> <field> <time-ms> <value>`; the adapter answers `ACK <id>` once the reading is committed.
// It exists to show the adapter contract (docs/certification.md, "Adapter contract"): line_tcp keeps it,
// broken_line_tcp breaks it on purpose.
import net from 'node:net';
import type { AdapterContext, AdapterManifest, SourceReading } from '../../../hub/sdk/index.ts';

export interface LineConfig { host: string; port: number }

export const lineConfigSchema = (id: string) => ({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: `lifeline:adapter/${id}`,
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    host: { type: 'string', default: '127.0.0.1', description: 'Address to listen on.', examples: ['127.0.0.1', '0.0.0.0'] },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'TCP port sources connect to (0: any free port).', examples: [9300] },
  },
});

export const lineManifest = (id: string, title: string, description: string): AdapterManifest => ({
  id, version: '0.1.0', title, description, direction: 'listen', stability: 'development',
  capabilities: { acknowledges: true, commands: false, history: false },
  configSchema: lineConfigSchema(id),
  conformance: { driver: () => import('./line-driver.ts') },
});

/** `<id> <device> <field> <time-ms> <value>` → its id and reading; undefined for a line that is not one. */
export function parseLine(line: string): { id: string; reading: SourceReading } | undefined {
  const [id, device, field, t, value] = line.trim().split(' ');
  if (!id || !device || !field || !t || value === undefined || !Number.isFinite(Number(t)) || !Number.isFinite(Number(value))) return undefined;
  return { id, reading: { device, field, time: new Date(Number(t)).toISOString(), value: Number(value) } };
}

/** A line server: `onLine(socket, line)` per line; health ok while listening. */
export class LineServer {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(private readonly config: LineConfig, private readonly ctx: AdapterContext, private readonly onLine: (s: net.Socket, line: string) => void) {}

  async start(): Promise<void> {
    const server = net.createServer((s) => {
      this.sockets.add(s);
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); this.onLine(s, line); }
        if (buf.length > 4096) s.destroy();
      });
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(this.config.port, this.config.host, () => resolve()); });
    this.server = server;
    this.ctx.logger.info({ port: (server.address() as net.AddressInfo).port }, 'listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const k of this.sockets) k.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  health() { return { status: this.server?.listening ? 'ok' as const : 'down' as const, detail: { connections: this.sockets.size } }; }
}
