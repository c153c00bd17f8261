// History requests (补传) answered from a real hub store: createHistoryReader over PGlite/PostgreSQL, then the
// platform stand-in asks for a range and gets 9011, the data frames in time order (paced), 9012.
import t from 'tap';
import { startTestHub } from '../../../test/helpers/hub.ts';
import { postgresUp, needService } from '../../../test/helpers/services.ts';
import { createHistoryReader } from '../../../hub/delivery/history.ts';
import type { HistoryReader, Observation, SourceReading } from '../../../hub/sdk/index.ts';
import publisher from '../index.ts';
import type { UpstreamConfig } from '../manifest.ts';
import { Platform, type PlatformFrame } from './platform.ts';
import { testContext, obs } from './context.ts';

const MN = '88888880000001';
const minute = (i: number) => `2026-11-25T10:${String(i).padStart(2, '0')}:00+08:00`;

function readings(): SourceReading[] {
  const r: SourceReading[] = [];
  for (let i = 0; i < 30; i++) {
    r.push({ point: 'WS-001-P1', kind: 'min', time: minute(i), avg: Math.round(200 + i) / 1000, min: 0.1, max: 0.3, cou: 60 });
    r.push({ point: 'WS-001-V1', kind: 'min', time: minute(i), avg: Math.round(100 + i) / 100, min: 0.5, max: 2 });
    r.push({ point: 'GS-001-C1', kind: 'min', time: minute(i), avg: 2 });
    r.push({ point: 'WS-001-P1', kind: 'rtd', time: minute(i), value: 0.25 });
  }
  return r;
}

async function all(reader: HistoryReader, q: Parameters<HistoryReader['read']>[0]) {
  const pages: Observation[][] = [];
  for await (const p of reader.read(q)) pages.push(p);
  return pages;
}

for (const store of ['pglite', 'postgres'] as const) {
  t.test(`createHistoryReader (${store}): (time, id) order, keyset pages, filters, inclusive range`, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const { hub, cleanup } = await startTestHub(store);
    t.teardown(cleanup);
    const res = await hub.ingest('http', readings(), { trusted: true });
    t.equal(res.accepted, 120);
    const reader = createHistoryReader(hub.db);
    const from = new Date('2026-11-25T02:05:00Z');
    const to = new Date('2026-11-25T02:14:00Z');
    const pages = await all(reader, { kind: 'min', sites: ['WS-001'], from, to, pageSize: 7 });
    const rows = pages.flat();
    t.equal(rows.length, 20, '10 minutes (both ends included) × 2 points of WS-001');
    t.same(pages.map((p) => p.length), [7, 7, 6], 'keyset pages of pageSize');
    for (let i = 1; i < rows.length; i++) t.ok(rows[i - 1]!.time < rows[i]!.time || (rows[i - 1]!.time === rows[i]!.time && BigInt(rows[i - 1]!.id) < BigInt(rows[i]!.id)), 'ordered by (time, id)');
    t.match(rows[0], { site: 'WS-001', device: 'WS-001-PT', point: 'WS-001-P1', indicator: 'water.pipe_pressure', domain: 'water', kind: 'min', time: '2026-11-25T02:05:00.000Z', avg: 0.205, min: 0.1, max: 0.3, cou: 60, unit: 'MPa' });
    t.equal(rows[19]!.time, '2026-11-25T02:14:00.000Z');
    t.equal((await all(reader, { kind: 'min', devices: ['WS-001-FM'], from, to })).flat().length, 10);
    t.equal((await all(reader, { kind: 'min', points: ['GS-001-C1'], from, to })).flat().length, 10);
    t.equal((await all(reader, { kind: 'min', indicators: ['water.pipe_pressure', 'gas.underground_space_concentration'], from, to })).flat().length, 20);
    t.equal((await all(reader, { kind: 'rtd', sites: ['WS-001'], from, to })).flat().length, 10);
    t.equal((await all(reader, { kind: 'hour', from, to })).length, 0, 'no pages when nothing matches');
  });
}

const idx = (frames: PlatformFrame[], pred: (f: PlatformFrame) => boolean) => frames.findIndex(pred);

t.test('history requests answered from the store over the platform connection', async (t) => {
  const { hub, cleanup } = await startTestHub('pglite');
  t.teardown(cleanup);
  await hub.ingest('http', readings(), { trusted: true });
  const platform = new Platform();
  const port = await platform.start();
  t.teardown(() => platform.stop());
  const cfg = {
    host: '127.0.0.1', port, timeout_s: 1, recount: 1, history: { enabled: true, frames_per_second: 20, max_frames: 1000 },
    stations: [{ mn: MN, pw: '123456', st: '32', site: 'WS-001', factors: { 'water.pipe_pressure': 'e01201', 'WS-001-V1': 'e01202' } }],
  } as unknown as UpstreamConfig;
  const p = await publisher.create(cfg, testContext(createHistoryReader(hub.db)));
  t.teardown(() => p.stop());
  await p.start();
  await platform.waitConnected();

  await t.test('9011 QnRtn=1, one 2051 frame per minute in order with the request QN, paced, then 9012 ExeRtn=1', async (t) => {
    const qn = '20261125120000001';
    const asked = Date.now();
    platform.requestHistory({ qn, cn: '2051', mn: MN, begin: '20261125100500', end: '20261125101400' });
    await platform.waitFor((fs) => fs.some((f) => f.cn === '9012' && f.qn === qn));
    const answer = platform.frames.filter((f) => f.qn === qn);
    t.ok(answer.every((f) => f.crcOk), 'every frame has a valid CRC');
    t.match(answer[0], { cn: '9011', st: '91', mn: MN, flag: 4, cp: { QnRtn: '1' } });
    t.match(answer[answer.length - 1], { cn: '9012', cp: { ExeRtn: '1' } });
    const data = answer.slice(1, -1);
    t.equal(data.length, 10);
    t.same(data.map((f) => f.cp.DataTime), Array.from({ length: 10 }, (_, i) => `2026112510${String(i + 5).padStart(2, '0')}00`));
    t.ok(data.every((f) => f.cn === '2051' && f.flag === 4 && f.mn === MN), 'CN 2051, no A flag');
    t.match(data[0]!.cp, { 'e01201-Cou': '60', 'e01201-Min': '0.1', 'e01201-Avg': '0.205', 'e01201-Max': '0.3', 'e01201-Flag': 'N', 'e01202-Avg': '1.05' });
    // Paced at 20 frames/s, the tenth leaves at least 9 × 50 ms after the request came in, so it cannot arrive
    // sooner after the request was sent. (Gaps between arrivals would not do: on a loaded machine a late first
    // frame makes the rest bunch up.)
    const span = data[9]!.at - asked;
    t.ok(span >= 9 * 50 - 2, `paced at 20 frames/s: the tenth frame ${span} ms after the request`);
  });

  await t.test('live uploads keep flowing while a long history answer is paced out', async (t) => {
    platform.frames.length = 0;
    const qn = '20261125120000002';
    platform.requestHistory({ qn, cn: '2051', mn: MN, begin: '20261125100000', end: '20261125102900' });
    await platform.waitFor((fs) => fs.filter((f) => f.qn === qn && f.cn === '2051').length >= 3);
    const started = Date.now();
    const out = await p.send({ idempotencyKey: 'live-1', attempt: 1, observations: [obs({ point: 'WS-001-P1', device: 'WS-001-PT', site: 'WS-001', indicator: 'water.pipe_pressure', time: '2026-11-25T04:00:00.000Z', value: 0.3 })] });
    t.same(out, { status: 'ok' });
    t.ok(Date.now() - started < 500, 'the live frame was acknowledged without waiting for the history');
    await platform.waitFor((fs) => fs.some((f) => f.cn === '9012' && f.qn === qn), 5000);
    const live = idx(platform.frames, (f) => f.cn === '2011');
    const end = idx(platform.frames, (f) => f.cn === '9012');
    t.ok(live > 0 && live < end, `live frame (#${live}) went out before the history ended (#${end})`);
    t.equal(platform.frames.filter((f) => f.qn === qn && f.cn === '2051').length, 30);
  });

  await t.test('no data in range → 9012 ExeRtn=100; unknown MN → 9011 QnRtn=4; bad PW → QnRtn=3; bad range → ExeRtn=3', async (t) => {
    platform.requestHistory({ qn: '20261125120000003', cn: '2061', mn: MN, begin: '20261125000000', end: '20261125235959' });
    platform.requestHistory({ qn: '20261125120000004', cn: '2051', mn: '99999999999999', begin: '20261125100000', end: '20261125102900' });
    platform.requestHistory({ qn: '20261125120000005', cn: '2051', mn: MN, pw: 'wrong', begin: '20261125100000', end: '20261125102900' });
    platform.requestHistory({ qn: '20261125120000006', cn: '2051', mn: MN, begin: '20261125109900', end: '20261125102900' });
    await platform.waitFor((fs) => ['3', '6'].every((n) => fs.some((f) => f.qn === `2026112512000000${n}` && f.cn === '9012')) && ['4', '5'].every((n) => fs.some((f) => f.qn === `2026112512000000${n}`)));
    const of = (n: string) => platform.frames.filter((f) => f.qn === `2026112512000000${n}`).map((f) => `${f.cn}:${f.cp.QnRtn ?? f.cp.ExeRtn}`);
    t.same(of('3'), ['9011:1', '9012:100']);
    t.same(of('4'), ['9011:4']);
    t.same(of('5'), ['9011:3']);
    t.same(of('6'), ['9011:1', '9012:3']);
  });
});

t.test('history answering disabled or unavailable → 9011 QnRtn=2', async (t) => {
  const platform = new Platform();
  const port = await platform.start();
  const p = await publisher.create({ host: '127.0.0.1', port, stations: [{ mn: MN, pw: '123456', st: '32', site: 'WS-001', factors: { 'water.pipe_pressure': 'e01201' } }] } as unknown as UpstreamConfig, testContext());
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  await p.start();
  await platform.waitConnected();
  platform.requestHistory({ qn: '20261125130000001', cn: '2051', mn: MN, begin: '20261125100000', end: '20261125102900' });
  await platform.waitFor((fs) => fs.some((f) => f.cn === '9011'));
  t.match(platform.frames.find((f) => f.cn === '9011'), { qn: '20261125130000001', cp: { QnRtn: '2' } });
});
