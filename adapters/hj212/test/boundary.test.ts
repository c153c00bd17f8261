// Failure boundaries of the HJ 212 server over real sockets: an unexpected error while handling one frame
// closes that connection with a typed, logged error (never the process), and a frame trickled byte by byte
// is cut at frame_timeout_s even though bytes keep the idle timer alive (issue 10).
import t from 'tap';
import net from 'node:net';
import { tmpdir } from 'node:os';
import pino from 'pino';
import { startTestHub, auth, KEYS } from '../../../test/helpers/hub.ts';
import type { AdapterContext } from '../../../hub/sdk/index.ts';
import { decodeFrame, encodeFrame, Framer, type BuildInput } from '../codec/index.ts';
import { Peer } from './fixtures/peer.ts';
import { Hj212Server } from '../transport/server.ts';
import type { Hj212Config } from '../manifest.ts';

const MN = '88888880000001';
const upload = (qn: string, mn = MN): BuildInput => ({
  version: '2017', qn, st: '32', cn: '2011', pw: '123456', mn, ackRequested: true,
  cp: { records: [{ dataTime: `2026112510${qn.slice(-4)}`, items: [{ code: 'e01201', fields: { Rtd: 0.3, Flag: 'N' } }] }] },
});


const defaults: Hj212Config = {
  host: '127.0.0.1', port: 0, mode: 'lenient', max_data_length: 4096, idle_timeout_s: 30, frame_timeout_s: 30, max_connections: 100,
  max_connections_per_ip: 100, max_pending_frames: 64, unknown_mn: 'quarantine', ack_without_flag: true, segment_expiry_s: 360,
  command_timeout_s: 10, command_retries: 3,
};

t.test('an unexpected error in one frame closes that connection only, logged as HJ212_FRAME_FAILED', async (t) => {
  const h = await startTestHub('pglite');
  t.teardown(h.cleanup);
  const logged: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => { logged.push(JSON.parse(line)); } });
  const ac = new AbortController();
  const FAULTY = '99999990000009';
  const ctx: AdapterContext = {
    name: 'hj212',
    ingest: (batch, o) => h.hub.ingest('hj212', batch, o),
    checkpoint: async () => undefined,
    // A fault injected where the server looks up the MN: stands for any bug on the frame's path.
    registry: {
      devicesFor: () => [],
      findDevice: (_p, key) => { if (key === FAULTY) throw new TypeError('injected fault'); return h.hub.registry.registry.findDevice('hj212', key); },
    },
    logger, metrics: { received() {}, sent() {}, error() {}, dropped() {} },
    signal: ac.signal, clock: { now: () => Date.now() }, timezone: 'Asia/Shanghai', dataDir: tmpdir(), configDir: tmpdir(),
    http: { route() {} },
  };
  const server = new Hj212Server(defaults, ctx);
  await server.start();
  t.teardown(() => server.stop());

  const good = await Peer.connect(server.port);
  const bad = await Peer.connect(server.port);
  t.teardown(() => { good.socket.destroy(); bad.socket.destroy(); });
  bad.socket.write(encodeFrame(upload('20261125100000001', FAULTY)));
  good.socket.write(encodeFrame(upload('20261125100000002')));
  t.ok(await good.acked('20261125100000002'), 'the other connection is acknowledged');
  t.ok(await bad.until(() => bad.closed, 3000), 'the failing connection is closed');
  t.equal(bad.frames.length, 0, 'unanswered (the station resends)');
  const entry = logged.find((l) => l.code === 'HJ212_FRAME_FAILED');
  t.ok(entry, 'logged with the typed code');
  t.match(entry, { level: 50, mns: [] }, 'at error level');
  good.socket.write(encodeFrame(upload('20261125100000003')));
  t.ok(await good.acked('20261125100000003'), 'and the server keeps serving');
  t.equal(server.health().status, 'ok');
});

t.test('a frame trickled one byte at a time is cut at frame_timeout_s; a slow but whole frame is not', async (t) => {
  const h = await startTestHub('pglite', (c) => { c.adapters = { hj212: { port: 0, host: '127.0.0.1', idle_timeout_s: 30, frame_timeout_s: 1 } }; });
  t.teardown(h.cleanup);
  const list = (await h.hub.app.inject({ url: '/v1/adapters', headers: auth(KEYS.read) })).json() as { data: Array<{ name: string; health: { detail: { port: number } } }> };
  const port = list.data.find((a) => a.name === 'hj212')!.health.detail.port;

  // Within the deadline: half a frame, a pause, the rest.
  const slow = await Peer.connect(port);
  t.teardown(() => slow.socket.destroy());
  const whole = Buffer.from(encodeFrame(upload('20261125100000011')));
  slow.socket.write(whole.subarray(0, 40));
  await new Promise((r) => setTimeout(r, 500));
  slow.socket.write(whole.subarray(40));
  t.ok(await slow.acked('20261125100000011'), 'a frame completed within the deadline is acknowledged');

  // The attack: a frame header, then one byte every 300 ms (well within the idle timeout).
  const trickle = await Peer.connect(port);
  t.teardown(() => trickle.socket.destroy());
  const started = Date.now();
  const body = Buffer.from(encodeFrame(upload('20261125100000012')));
  let i = 0;
  const timer = setInterval(() => { if (!trickle.closed && i < body.length - 1) trickle.socket.write(body.subarray(i, ++i)); }, 300);
  t.teardown(() => clearInterval(timer));
  t.ok(await trickle.until(() => trickle.closed, 4000), 'the trickling connection is closed');
  const after = Date.now() - started;
  t.ok(after >= 900 && after < 3000, `about frame_timeout_s after its first byte (${after} ms)`);
  clearInterval(timer);

  const metrics = (await h.hub.app.inject({ url: '/metrics', headers: auth(KEYS.read) })).body;
  t.match(metrics, /lifeline_adapter_events_total\{adapter="hj212",event="error",error_type="frame_timeout"\} 1/, 'counted as a frame_timeout error');
  slow.socket.write(encodeFrame(upload('20261125100000013')));
  t.ok(await slow.acked('20261125100000013'), 'the other station is still served');
});

t.test('client: a request handler that throws drops that frame only; uploads go on being acknowledged', async (t) => {
  // A platform over real TCP: sends the client a request (1011 get time) first, then answers every upload 9014.
  const platform = net.createServer((sock) => {
    sock.on('error', () => undefined);
    sock.write(encodeFrame({ version: '2017', qn: '20261125100000100', st: '32', cn: '1011', pw: '123456', mn: MN, ackRequested: true, cp: {} }));
    const framer = new Framer({ maxDataLength: 9999, mode: 'lenient' });
    sock.on('data', (c) => {
      for (const ev of framer.push(c)) {
        if (ev.type !== 'frame') continue;
        const f = decodeFrame(ev.bytes, { mode: 'lenient' });
        sock.write(encodeFrame({ version: '2017', qn: f.qn, st: '91', cn: '9014', pw: f.pw, mn: f.mn, cp: {} }));
      }
    });
  });
  await new Promise<void>((r) => platform.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => platform.close(() => r())));
  const { Hj212Client } = await import('../transport/client.ts');
  const errors: Array<{ code: string }> = [];
  let n = 0;
  const client = new Hj212Client({
    host: '127.0.0.1', port: (platform.address() as net.AddressInfo).port, timeoutMs: 2000, retries: 0,
    nextQn: () => `2026112510000${String(++n).padStart(4, '0')}`,
    onRequest: () => { throw new TypeError('injected: a request handler bug'); },
    onError: (e) => errors.push(e),
  });
  t.teardown(() => client.close());
  await client.open();
  await new Promise((r) => setTimeout(r, 200)); // the request arrives and its handler throws
  t.match(errors, [{ code: 'HJ212_FRAME_FAILED' }], 'reported as a typed error');
  const report = await client.send(upload('20261125100000101'));
  t.equal(report.qns.length, 1, 'the next upload is acknowledged on the same connection');
  t.ok(client.connected);
});
