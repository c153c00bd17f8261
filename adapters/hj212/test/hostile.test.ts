// Issue 10, critical: one HJ 212 frame with a space, tab or NUL in MN, PW or QN used to make the hub process
// exit (the answer echoed the field and the builder threw, uncaught). Each input from the issue, against a
// hub in its own process over real TCP: the answer is the standard's 9011 with the field's QnRtn and without
// the field it cannot echo, another collector keeps being acknowledged meanwhile, /health answers, and the
// process is still running at the end.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashKey } from '../../../hub/api/auth.ts';
import { launchHub } from '../../../test/helpers/child-hub.ts';
import { postgresUp, freshDatabase } from '../../../test/helpers/services.ts';
import { crc16Hj212, crcHex, encodeFrame } from '../codec/index.ts';
import { Peer } from './fixtures/peer.ts';

const KEY = 'hostile-read';
const MN = '88888880000001';

const frameOf = (data: string, badCrc = false): Buffer => {
  const d = Buffer.from(data, 'utf8');
  const crc = badCrc ? '0000' : crcHex(crc16Hj212(d, 0, d.length));
  return Buffer.concat([Buffer.from(`##${String(d.length).padStart(4, '0')}`), d, Buffer.from(`${crc}\r\n`)]);
};
const upload2011 = (h: { mn?: string; pw?: string }) =>
  `QN=20261125100000001;ST=32;CN=2011;PW=${h.pw ?? '123456'};MN=${h.mn ?? MN};Flag=5;CP=&&DataTime=20261125100000;e01201-Rtd=0.3,e01201-Flag=N&&`;


t.test('hostile MN / PW / QN values: typed 9011 answers, the hub keeps serving', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-hostile-'));
  const db = (await postgresUp()) ? await freshDatabase() : undefined; // either store: the defect was in the adapter
  t.teardown(async () => { await db?.drop(); rmSync(dir, { recursive: true, force: true }); });
  const cfg = join(dir, 'hub.yaml');
  writeFileSync(cfg, stringify({
    data_dir: './data',
    server: { host: '127.0.0.1', port: 0 },
    api: { keys: [{ name: 'reader', hash: hashKey(KEY), scopes: ['read'] }] },
    adapters: { hj212: { host: '127.0.0.1', port: 0 } },
    registry: {
      sites: [{ code: 'S', name: 's', domain: 'water' }],
      devices: [{ code: 'D', site: 'S', identities: [{ protocol: 'hj212', key: MN, pw: '123456' }] }],
      points: [{ code: 'P', device: 'D', indicator: 'water.pipe_pressure', field: 'e01201' }],
    },
  }));
  const { proc, url, exited } = await launchHub(cfg, db ? { DATABASE_URL: db.url } : {}, 120_000);
  let exitCode: unknown;
  void exited.then((c) => { exitCode = c ?? 'signal'; });
  t.teardown(async () => { proc.kill('SIGTERM'); await exited; });
  const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
  const adapters = await (await get('/v1/adapters')).json() as { data: Array<{ name: string; health: { detail: { port: number } } }> };
  const port = adapters.data.find((a) => a.name === 'hj212')!.health.detail.port;

  // Another collector, connected throughout: each of its uploads must be acknowledged while hostile frames arrive.
  const good = await Peer.connect(port);
  t.teardown(() => good.socket.destroy());
  let seq = 0;
  const goodUpload = async (label: string) => {
    const qn = `2026112511000${String(++seq).padStart(4, '0')}`;
    good.socket.write(encodeFrame({ version: '2017', qn, st: '32', cn: '2011', pw: '123456', mn: MN, ackRequested: true, cp: { records: [{ dataTime: `202611251${String(seq).padStart(5, '0')}`, items: [{ code: 'e01201', fields: { Rtd: seq / 10, Flag: 'N' } }] }] } }));
    t.ok(await good.next((f) => f.cn === '9014' && f.qn === qn), `${label}: the other collector's upload is acknowledged`);
  };
  await goodUpload('before');

  const cases: Array<{ name: string; bytes: Buffer; qnRtn: number; omitted: 'mn' | 'pw' | 'qn'; closes: boolean }> = [
    { name: 'unregistered MN "AB CD" in a valid 2011 upload', bytes: frameOf(upload2011({ mn: 'AB CD' })), qnRtn: 4, omitted: 'mn', closes: false },
    { name: 'the same MN with a bad CRC', bytes: frameOf(upload2011({ mn: 'AB CD' }), true), qnRtn: 9, omitted: 'mn', closes: false },
    { name: 'PW "12 34" on a registered MN', bytes: frameOf(upload2011({ pw: '12 34' })), qnRtn: 3, omitted: 'pw', closes: true },
    { name: 'a tab in the QN of a heartbeat', bytes: frameOf(`QN=2026112510\t0000001;ST=32;CN=9015;PW=123456;MN=${MN};Flag=9;CP=&&&&`), qnRtn: 7, omitted: 'qn', closes: false },
    { name: 'a NUL in the MN', bytes: frameOf(upload2011({ mn: 'AB\0CD' })), qnRtn: 4, omitted: 'mn', closes: false },
  ];
  for (const c of cases) {
    const bad = await Peer.connect(port);
    bad.socket.write(c.bytes);
    const [answer] = await Promise.all([bad.next((f) => f.cn === '9011'), goodUpload(c.name)]);
    t.ok(answer, `${c.name}: answered 9011`);
    t.equal(answer?.cp.fields.QnRtn, String(c.qnRtn), `${c.name}: QnRtn=${c.qnRtn}`);
    t.equal(answer?.[c.omitted], undefined, `${c.name}: the answer leaves out ${c.omitted.toUpperCase()} rather than echo it`);
    if (c.closes) t.ok(await bad.closedWithin(3000), `${c.name}: refused, the connection is closed`);
    else t.notOk(bad.closed, `${c.name}: the connection stays open`);
    t.equal((await fetch(`${url}/health`)).status, 200, `${c.name}: /health answers`);
    bad.socket.destroy();
  }
  await goodUpload('after');
  t.equal(exitCode, undefined, 'the hub process is still running');

  const q = await (await get('/v1/quarantine?reason=HJ212_BAD_FIELD')).json() as { data: Array<{ field: string; record: { frame: string; cn: string } }> };
  t.equal(q.data.length, 2, 'the two uploads refused for their MN (space, NUL) are kept in the quarantine as evidence');
  t.ok(q.data.every((r) => r.field === 'MN' && r.record.cn === '2011' && r.record.frame.includes('e01201-Rtd=0.3')), 'with the frame');
  const obs = await (await get('/v1/observations?point=P')).json() as { data: unknown[] };
  t.equal(obs.data.length, seq, 'only the good collector\'s uploads were stored');
});
