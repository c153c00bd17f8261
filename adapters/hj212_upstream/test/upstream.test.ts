// hj212_upstream against the platform stand-in over real sockets: frames, CRC, 9014, retransmission, retry.
import t from 'tap';
import publisher from '../index.ts';
import type { UpstreamConfig } from '../manifest.ts';
import { Platform } from './platform.ts';
import { testContext, obs } from './context.ts';

const STATIONS: UpstreamConfig['stations'] = [
  { mn: '88888880000001', pw: '123456', st: '32', site: 'WS-001', factors: { 'water.pipe_pressure': 'e01201', 'WS-001-V1': 'e01202' } },
  { mn: '88888880000002', pw: 'abc123', st: '22', devices: ['GS-001-GD'], factors: { 'gas.underground_space_concentration': 'g01001' } },
];

function config(port: number, extra: Partial<UpstreamConfig> = {}) {
  return { host: '127.0.0.1', port, stations: STATIONS, timeout_s: 0.3, recount: 2, reconnect_initial_s: 0.05, reconnect_max_s: 0.2, ...extra } as UpstreamConfig;
}

const P1 = { point: 'WS-001-P1', device: 'WS-001-PT', site: 'WS-001', indicator: 'water.pipe_pressure' };
const V1 = { point: 'WS-001-V1', device: 'WS-001-FM', site: 'WS-001', indicator: 'water.pipe_flow_velocity' };
const C1 = { point: 'GS-001-C1', device: 'GS-001-GD', site: 'GS-001', indicator: 'gas.underground_space_concentration' };
const OTHER = { point: 'DR-001-L1', device: 'DR-001-LV', site: 'DR-001', indicator: 'drainage.flood_level' };

t.test('every frame carries a valid CRC and the A flag, is answered 9014; one frame per station + DataTime', async (t) => {
  const platform = new Platform();
  const port = await platform.start();
  const ctx = testContext();
  const p = await publisher.create(config(port), ctx);
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  await p.start();

  const batch = [
    obs({ ...P1, time: '2026-11-25T02:00:00.000Z', value: 0.25 }),
    obs({ ...V1, time: '2026-11-25T02:00:00.000Z', value: 1.5, quality: { source_flag: 'D', flags: [] } }),
    obs({ ...C1, time: '2026-11-25T02:00:00.000Z', value: 3 }),
    obs({ ...P1, time: '2026-11-25T02:01:00.000Z', value: 0.26 }),
    obs({ ...P1, kind: 'hour', time: '2026-11-25T01:00:00.000Z', value: 0.2, avg: 0.2, min: 0.1, max: 0.3, cou: null }),
    obs({ ...OTHER, time: '2026-11-25T02:00:00.000Z', value: 9 }),
  ];
  const out = await p.send({ idempotencyKey: 'b1', attempt: 1, observations: batch });
  t.same(out, { status: 'ok' });
  t.equal(platform.frames.length, 4, 'hour frame + 3 rtd frames (P1+V1 share one)');
  for (const f of platform.frames) {
    t.ok(f.crcOk, `CRC of ${f.qn} verifies with the standard's algorithm`);
    t.equal(f.flag, 5, 'Flag = 2017 version bits (4) + A (1)');
  }
  t.same(platform.acks, platform.frames.map((f) => f.qn), 'each frame answered 9014');
  const [hour, rtd1, rtd2, rtd3] = platform.frames;
  t.match(hour, { cn: '2061', mn: '88888880000001', st: '32', pw: '123456', cp: { DataTime: '20261125090000', 'e01201-Min': '0.1', 'e01201-Avg': '0.2', 'e01201-Max': '0.3', 'e01201-Flag': 'N' } });
  t.notOk('e01201-Cou' in hour!.cp, 'a null Cou is left out');
  t.match(rtd1, { cn: '2011', mn: '88888880000001', cp: { DataTime: '20261125100000', 'e01201-Rtd': '0.25', 'e01201-Flag': 'N', 'e01202-Rtd': '1.5', 'e01202-Flag': 'D' } });
  t.match(rtd2, { cn: '2011', mn: '88888880000002', st: '22', pw: 'abc123', cp: { DataTime: '20261125100000', 'g01001-Rtd': '3' } });
  t.match(rtd3, { cn: '2011', mn: '88888880000001', cp: { DataTime: '20261125100100', 'e01201-Rtd': '0.26' } });
  t.equal(ctx.counts.sent, 5);
  t.equal(ctx.counts.dropped, 1, 'the observation no station maps is not sent');
  t.match(await p.health(), { status: 'ok', detail: { connected: true, frames_acked: 4 } });
});

t.test('a withheld 9014 makes the station resend the same frame (same QN) after timeout_s', async (t) => {
  const platform = new Platform({ withhold: (_f, n) => n === 1 });
  const port = await platform.start();
  const p = await publisher.create(config(port), testContext());
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  const started = Date.now();
  const out = await p.send({ idempotencyKey: 'b2', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T03:00:00.000Z' })] });
  t.same(out, { status: 'ok' });
  t.equal(platform.frames.length, 2);
  t.equal(platform.frames[0]!.raw, platform.frames[1]!.raw, 'the resend is byte-identical');
  t.ok(platform.frames[1]!.at - platform.frames[0]!.at >= 250, 'resent after the answer timeout');
  t.ok(Date.now() - started < 2000);
});

t.test('no 9014 within timeout × (recount + 1) → retry; a retried batch resends only the unacknowledged frames', async (t) => {
  let silent = true;
  const platform = new Platform({ withhold: (f) => silent && f.cp.DataTime === '20261125110100' });
  const port = await platform.start();
  const p = await publisher.create(config(port), testContext());
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  const batch = { idempotencyKey: 'b3', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T03:00:00.000Z' }), obs({ ...P1, time: '2026-11-25T03:01:00.000Z' })] };
  const first = await p.send(batch);
  t.equal(first.status, 'retry');
  t.match(first, { reason: /no 9014 for QN/ });
  t.equal(platform.frames.length, 4, 'frame 1 once, frame 2 sent 1 + 2 resends');
  silent = false;
  const second = await p.send({ ...batch, attempt: 2 });
  t.same(second, { status: 'ok' });
  t.equal(platform.frames.length, 5, 'only the unacknowledged frame went again');
  t.equal(platform.frames[4]!.cp.DataTime, '20261125110100');
});

t.test('a 9011 refusal (wrong PW) is not an acknowledgement: retry naming the QnRtn; 9013 does not count as 9014 either', async (t) => {
  let reply: ((f: { qn?: string }) => { cn: string; cp: string } | undefined) = () => ({ cn: '9011', cp: 'QnRtn=3' });
  const platform = new Platform({ answer: (f) => reply(f) });
  const port = await platform.start();
  const p = await publisher.create(config(port), testContext());
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  const batch = { idempotencyKey: 'b-refused', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T03:05:00.000Z' })] };
  const refused = await p.send(batch);
  t.equal(refused.status, 'retry', 'not ok: the platform stored nothing');
  t.match(refused, { reason: /refused QN \d+: 9011 QnRtn=3 \(PW error\)/ });
  t.equal(platform.frames.length, 1, 'a refusal is final for this attempt: no resend of the same QN');
  reply = () => ({ cn: '9013', cp: '' });
  const notice = await p.send({ ...batch, attempt: 2 });
  t.equal(notice.status, 'retry', 'a 9013 answer leaves the frame unacknowledged');
  t.match(notice, { reason: /no 9014 for QN/ });
  reply = () => undefined;
  t.same(await p.send({ ...batch, attempt: 3 }), { status: 'ok' }, 'the real 9014 completes it');
});

t.test('platform unreachable → retry at once with a backoff; it comes back → reconnect and ok', async (t) => {
  const platform = new Platform();
  const port = await platform.start();
  await platform.stop();
  const ctx = testContext();
  const p = await publisher.create(config(port), ctx);
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  await p.start();
  const started = Date.now();
  const out = await p.send({ idempotencyKey: 'b4', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T04:00:00.000Z' })] });
  t.equal(out.status, 'retry');
  t.match(out, { reason: /unreachable/ });
  t.ok(Date.now() - started < 500, 'no waiting for answer timeouts when nothing listens');
  t.ok(ctx.counts.errors.connect_failed! >= 1);
  t.match(await p.health(), { status: 'down', detail: { connected: false } });

  await platform.start(port);
  await platform.waitConnected(3000); // reconnected in the background (backoff ≤ 0.2 s)
  const again = await p.send({ idempotencyKey: 'b4', attempt: 2, observations: [obs({ ...P1, time: '2026-11-25T04:00:00.000Z' })] });
  t.same(again, { status: 'ok' });

  platform.dropConnections();
  await platform.waitConnected(3000);
  t.same(await p.send({ idempotencyKey: 'b5', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T04:01:00.000Z' })] }), { status: 'ok' }, 'reconnects after the platform dropped it');
});

t.test('a platform that accepts then closes every connection → retry', async (t) => {
  const platform = new Platform({ refuse: true });
  const port = await platform.start();
  const p = await publisher.create(config(port, { timeout_s: 0.2, recount: 1 }), testContext());
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  const out = await p.send({ idempotencyKey: 'b6', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T05:00:00.000Z' })] });
  t.equal(out.status, 'retry');
});

t.test('crc: modbus writes CRC-16/MODBUS and reads the platform\'s answers in it', async (t) => {
  const platform = new Platform({ crc: 'modbus' });
  const port = await platform.start();
  const p = await publisher.create(config(port, { crc: 'modbus' }), testContext());
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  t.same(await p.send({ idempotencyKey: 'b7', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T06:00:00.000Z' })] }), { status: 'ok' });
  t.ok(platform.frames[0]!.crcOk);
  t.equal(platform.frames.length, 1, 'answered the first time: the modbus 9014 was understood');
});

t.test('version 2005: Flag carries only A (1), answers are matched', async (t) => {
  const platform = new Platform();
  const port = await platform.start();
  const p = await publisher.create(config(port, { version: '2005' }), testContext());
  t.teardown(async () => { await p.stop(); await platform.stop(); });
  t.same(await p.send({ idempotencyKey: 'b8', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T06:00:00.000Z' })] }), { status: 'ok' });
  t.equal(platform.frames[0]!.flag, 1);
});

t.test('tls: frames over TLS verified against the platform CA', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'hj212-upstream-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  } catch {
    t.plan(0, 'openssl not available: skipped');
    return;
  }
  const platform = new Platform({ tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) } });
  const port = await platform.start();
  const p = await publisher.create(config(port, { tls: { ca: join(dir, 'cert.pem') } }), testContext());
  const untrusted = await publisher.create(config(port), testContext());
  t.teardown(async () => { await p.stop(); await untrusted.stop(); await platform.stop(); });
  t.same(await p.send({ idempotencyKey: 'b9', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T07:00:00.000Z' })] }), { status: 'ok' });
  t.ok(platform.frames[0]!.crcOk);
  const plain = await untrusted.send({ idempotencyKey: 'b10', attempt: 1, observations: [obs({ ...P1, time: '2026-11-25T07:00:00.000Z' })] });
  t.equal(plain.status, 'retry', 'plain TCP to a TLS platform gets no 9014 → retry');
});
