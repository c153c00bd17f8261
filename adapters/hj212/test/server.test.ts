// The HJ 212 server over real TCP sockets, against the real pipeline and store.
import t from 'tap';
import net from 'node:net';
import pg from 'pg';
import { startTestHub, auth, KEYS, type TestHub } from '../../../test/helpers/hub.ts';
import { postgresUp, needService, PG_ADMIN_URL } from '../../../test/helpers/services.ts';
import { encodeFrame, decodeFrame, Framer } from '../codec/index.ts';
import type { BuildInput, Hj212Frame } from '../codec/types.ts';
import { Hj212Client } from '../transport/client.ts';

const MN = '88888880000001';
const PW = '123456';

/** A station: one socket, frames in and out. */
class Station {
  readonly frames: Hj212Frame[] = [];
  private readonly framer = new Framer({ maxDataLength: 9999, mode: 'lenient' });
  private waiters: Array<() => void> = [];
  closed = false;
  constructor(readonly socket: net.Socket) {
    socket.on('data', (c) => {
      for (const ev of this.framer.push(c)) if (ev.type === 'frame') this.frames.push(decodeFrame(ev.bytes, { mode: 'lenient' }));
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => { this.closed = true; for (const w of this.waiters.splice(0)) w(); });
  }
  static async connect(port: number) {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise((r, j) => { s.once('connect', r); s.once('error', j); });
    return new Station(s);
  }
  send(f: BuildInput | Uint8Array) { this.socket.write(f instanceof Uint8Array ? f : encodeFrame(f)); }
  /** Wait until a frame matches (or the socket closes / time runs out). */
  async next(pred: (f: Hj212Frame) => boolean, ms = 3000): Promise<Hj212Frame | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (this.closed || Date.now() > until) return undefined;
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }
  close() { this.socket.destroy(); }
}

const upload = (qn: string, values: Record<string, number>, over: Partial<BuildInput> = {}, dataTime = '20261125100000'): BuildInput => ({
  version: '2017', qn, st: '32', cn: '2011', pw: PW, mn: MN, ackRequested: true,
  cp: { records: [{ dataTime, items: Object.entries(values).map(([code, v]) => ({ code, fields: { Rtd: v, Flag: 'N' } })) }] }, ...over,
});

async function hj212Hub(store: 'pglite' | 'postgres', extra: Record<string, unknown> = {}): Promise<TestHub & { port: number }> {
  const h = await startTestHub(store, (c) => {
    c.adapters = { hj212: { port: 0, host: '127.0.0.1', ...extra } };
    c.registry.points.push({ code: 'WS-001-V9', device: 'WS-001-PT', indicator: 'water.pipe_flow_velocity', field: 'e01202' });
  });
  const list = (await h.hub.app.inject({ url: '/v1/adapters', headers: auth(KEYS.read) })).json() as { data: Array<{ name: string; health: { detail: { port: number } } }> };
  return { ...h, port: list.data.find((a) => a.name === 'hj212')!.health.detail.port };
}

const stored = async (h: TestHub, point = 'WS-001-P1') => (await h.hub.app.inject({ url: `/v1/observations?point=${point}`, headers: auth(KEYS.read) })).json().data as Array<Record<string, unknown>>;

t.test('uploads: 9014 after commit, retransmissions stored once, chunking and coalescing', async (t) => {
  const h = await hj212Hub('pglite');
  t.teardown(h.cleanup);
  const st = await Station.connect(h.port);
  t.teardown(() => st.close());

  st.send(upload('20261125100000001', { e01201: 0.32, e01202: 1.25 }));
  const ack = await st.next((f) => f.cn === '9014');
  t.ok(ack, '9014 received');
  t.match(ack, { qn: '20261125100000001', st: '91', mn: MN, pw: PW, flag: 4, ackRequested: false });
  t.equal(ack!.cpText, '', 'empty CP');
  const rows = await stored(h);
  t.equal(rows.length, 1, 'stored before the answer');
  t.match(rows[0], { value: 0.32, time: '2026-11-25T02:00:00.000Z', kind: 'rtd', source: { adapter: 'hj212', message_id: '20261125100000001' } });
  t.equal((await stored(h, 'WS-001-V9')).length, 1);

  st.send(upload('20261125100000001', { e01201: 0.32, e01202: 1.25 }));
  t.ok(await st.next((f) => f.cn === '9014' && f.qn === '20261125100000001'), 'retransmission acknowledged again');
  t.equal((await stored(h)).length, 1, 'and stored once');

  // One byte at a time, then two frames in one write.
  const a = encodeFrame(upload('20261125100100001', { e01201: 0.33 }, {}, '20261125100100'));
  for (const b of a) { st.socket.write(Uint8Array.of(b)); }
  t.ok(await st.next((f) => f.qn === '20261125100100001'), '1-byte chunks');
  const two = Buffer.concat([encodeFrame(upload('20261125100200001', { e01201: 0.34 }, {}, '20261125100200')), encodeFrame(upload('20261125100300001', { e01201: 0.35 }, {}, '20261125100300'))]);
  st.socket.write(two);
  t.ok(await st.next((f) => f.qn === '20261125100200001'), 'first of a coalesced pair');
  t.ok(await st.next((f) => f.qn === '20261125100300001'), 'second of a coalesced pair');
  t.same((await stored(h)).map((r) => r.value), [0.32, 0.33, 0.34, 0.35]);
});

t.test('client transport: a long message split on record boundaries, each segment answered', async (t) => {
  const h = await hj212Hub('pglite');
  t.teardown(h.cleanup);
  let n = 0;
  const client = new Hj212Client({ host: '127.0.0.1', port: h.port, nextQn: () => `2026112511000000${n++}`, timeoutMs: 2000, retries: 1 });
  t.teardown(() => client.close());
  const records = Array.from({ length: 30 }, (_, i) => ({ dataTime: `2026112510${String(i).padStart(2, '0')}00`, items: [{ code: 'e01201', fields: { Rtd: (0.3 + i / 1000).toFixed(3), Flag: 'N' } }] }));
  const report = await client.send({ version: '2017', qn: '20261125110000000', st: '32', cn: '2011', pw: PW, mn: MN, cp: { records } }, { maxDataLength: 300 });
  t.ok(report.qns.length > 1, `split into ${report.qns.length} segments, each acknowledged`);
  t.equal(new Set(report.qns).size, report.qns.length, 'each with its own QN');
  t.equal((await stored(h)).length, 30, 'every record stored');
});

t.test('minute data, unknown MN, bad CRC, wrong PW', async (t) => {
  const h = await hj212Hub('pglite');
  t.teardown(h.cleanup);
  const st = await Station.connect(h.port);
  t.teardown(() => st.close());

  st.send({ version: '2017', qn: '20261125100000101', st: '32', cn: '2051', pw: PW, mn: MN, ackRequested: true, cp: { records: [{ dataTime: '20261125095000', items: [{ code: 'e01201', fields: { Avg: 0.3, Min: 0.28, Max: 0.31, Cou: 18, Flag: 'N' } }] }] } });
  t.ok(await st.next((f) => f.cn === '9014'));
  const min = (await h.hub.app.inject({ url: '/v1/observations?point=WS-001-P1&kind=min', headers: auth(KEYS.read) })).json().data;
  t.match(min[0], { kind: 'min', value: 0.3, avg: 0.3, min: 0.28, max: 0.31, cou: 18, time: '2026-11-25T01:50:00.000Z' });

  st.send(upload('20261125100000102', { e01201: 0.3 }, { mn: 'UNREGISTERED01' }));
  t.ok(await st.next((f) => f.cn === '9014' && f.mn === 'UNREGISTERED01'), 'unknown MN: acknowledged, because it is kept');
  const q = (await h.hub.app.inject({ url: '/v1/quarantine?reason=UNKNOWN_DEVICE', headers: auth(KEYS.read) })).json().data;
  t.match(q[0], { adapter: 'hj212', record: { identity: { protocol: 'hj212', key: 'UNREGISTERED01' }, field: 'e01201' } }, 'in quarantine, replayable after registration');

  const bad = Buffer.from(encodeFrame(upload('20261125100000103', { e01201: 0.3 })));
  bad[bad.length - 3] = bad[bad.length - 3] === 0x30 ? 0x31 : 0x30; // corrupt the CRC
  st.send(bad);
  const nak = await st.next((f) => f.cn === '9011');
  t.match(nak, { qn: '20261125100000103', st: '91' });
  t.equal(nak!.cp.fields.QnRtn, '9', 'QnRtn 9: CRC error');

  st.send(upload('20261125100000104', { e01201: 0.3 }, { pw: 'wrong!' }));
  const pwErr = await st.next((f) => f.cn === '9011');
  t.equal(pwErr!.cp.fields.QnRtn, '3', 'QnRtn 3: PW error');
  await st.next(() => false, 1000);
  t.ok(st.closed, 'then the connection is closed');
});

t.test('limits: idle timeout and connections per address', async (t) => {
  const h = await hj212Hub('pglite', { idle_timeout_s: 1, max_connections_per_ip: 2 });
  t.teardown(h.cleanup);
  const a = await Station.connect(h.port), b = await Station.connect(h.port), c = await Station.connect(h.port);
  t.teardown(() => { a.close(); b.close(); c.close(); });
  await c.next(() => false, 500);
  t.ok(c.closed, 'third connection from one address refused');
  t.notOk(a.closed);
  await a.next(() => false, 2500);
  await b.next(() => false, 500);
  t.ok(a.closed && b.closed, 'idle connections closed after idle_timeout_s');
});

t.test('commands: get time, correlated by QN, through the API', async (t) => {
  const h = await hj212Hub('pglite', { command_timeout_s: 1, command_retries: 1 });
  t.teardown(h.cleanup);
  const st = await Station.connect(h.port);
  t.teardown(() => st.close());
  st.send(upload('20261125100000201', { e01201: 0.3 }));
  await st.next((f) => f.cn === '9014');

  const call = h.hub.app.inject({ method: 'POST', url: '/v1/adapters/hj212/commands', headers: auth(KEYS.admin), payload: { mn: MN, cn: '1011' } });
  const req = await st.next((f) => f.cn === '1011');
  t.ok(req, 'the station receives the request');
  t.match(req, { mn: MN, pw: PW, ackRequested: true });
  st.send({ version: '2017', qn: req!.qn, st: '91', cn: '9011', pw: PW, mn: MN, cp: { fields: { QnRtn: 1 } } });
  st.send({ version: '2017', qn: req!.qn, st: '32', cn: '1011', pw: PW, mn: MN, cp: { fields: { SystemTime: '20261125100501' } } });
  const res = await call;
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json().result, { mn: MN, cn: '1011', qn: req!.qn, qn_rtn: 1, complete: true, answers: [{ cn: '1011', cp: { fields: { SystemTime: '20261125100501' } } }] });

  const offline = await h.hub.app.inject({ method: 'POST', url: '/v1/adapters/hj212/commands', headers: auth(KEYS.admin), payload: { mn: 'NOBODY', cn: '1011' } });
  t.equal(offline.json().code, 'DEVICE_NOT_CONNECTED');
  const invalid = await h.hub.app.inject({ method: 'POST', url: '/v1/adapters/hj212/commands', headers: auth(KEYS.admin), payload: { mn: MN, cn: 'time' } });
  t.match(invalid.json(), { code: 'COMMAND_INVALID', details: { path: '/cn' } });
  const silent = await h.hub.app.inject({ method: 'POST', url: '/v1/adapters/hj212/commands', headers: auth(KEYS.admin), payload: { mn: MN, cn: '1061' } });
  t.equal(silent.json().code, 'COMMAND_TIMEOUT', 'no answer after the retries');
  const resent = st.frames.filter((f) => f.cn === '1061');
  t.equal(resent.length, 2, 'sent twice (retries 1)');
  t.equal(resent[0]!.qn, resent[1]!.qn, 'with the same QN');
});

t.test('a slow store delays the 9014 (acknowledged means stored)', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const h = await hj212Hub('postgres');
  t.teardown(h.cleanup);
  const st = await Station.connect(h.port);
  t.teardown(() => st.close());
  // Another session holds a lock the hub's insert needs: a real slow store, no mock.
  const dbName = (await h.hub.db.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
  const locker = new pg.Client({ connectionString: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`) });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE observation IN EXCLUSIVE MODE');
  st.send(upload('20261125100000301', { e01201: 0.3 }));
  t.notOk(await st.next((f) => f.cn === '9014', 800), 'no 9014 while the commit cannot happen');
  await locker.query('COMMIT');
  await locker.end();
  t.ok(await st.next((f) => f.cn === '9014', 3000), '9014 once committed');
  t.equal((await stored(h)).length, 1);
});

t.test('unknown_mn: reject, and a 2005 upload without Flag answered the 2005 way', async (t) => {
  const h = await hj212Hub('pglite', { unknown_mn: 'reject' });
  t.teardown(h.cleanup);
  const old = await Station.connect(h.port);
  t.teardown(() => old.close());
  // HJ/T 212-2005: no Flag, answered with ST=91;CN=9014 and the QN inside CP (ack_without_flag, default on).
  old.send({ version: '2005', qn: '20261125100000401', st: '32', cn: '2011', pw: PW, mn: MN, omitFlag: true, cp: { records: [{ dataTime: '20261125100000', items: [{ code: 'e01201', fields: { Rtd: 0.3, Flag: 'N' } }] }] } } as BuildInput);
  const ack = await old.next((f) => f.cn === '9014');
  t.ok(ack, '2005 upload without Flag acknowledged');
  t.equal(ack!.cp.fields.QN, '20261125100000401', 'QN inside CP, as 2005 answers it');
  t.equal((await stored(h)).length, 1);

  const stranger = await Station.connect(h.port);
  t.teardown(() => stranger.close());
  stranger.send(upload('20261125100000402', { e01201: 0.3 }, { mn: '010000A8900016F000169DC9' }));
  const nak = await stranger.next((f) => f.cn === '9011');
  t.equal(nak?.cp.fields.QnRtn, '4', 'QnRtn 4: MN error');
  await stranger.next(() => false, 1000);
  t.ok(stranger.closed, 'then closed');
  t.equal((await h.hub.app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) })).json().data.length, 0, 'nothing kept from a rejected MN');
});

t.test('TLS', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tls = await import('node:tls');
  const dir = mkdtempSync(`${tmpdir()}/hj212-tls-`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const h = await hj212Hub('pglite', { tls: { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` } });
  t.teardown(h.cleanup);
  const socket = tls.connect({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false });
  await new Promise((r, j) => { socket.once('secureConnect', r); socket.once('error', j); });
  const st = new Station(socket);
  t.teardown(() => st.close());
  st.send(upload('20261125100000501', { e01201: 0.3 }));
  t.ok(await st.next((f) => f.cn === '9014'), '9014 over TLS');
  t.equal((await stored(h)).length, 1);
});
