// Through a real hub: readings ingested → outbox → delivery engine → hj212_upstream → the platform stand-in;
// and a history request answered from the hub's store through the history reader the engine provides.
import t from 'tap';
import { startTestHub } from '../../../test/helpers/hub.ts';
import { Platform } from './platform.ts';

const MN = '88888880000001';

t.test('hub → hj212_upstream → platform, live and history', async (t) => {
  const platform = new Platform();
  const port = await platform.start();
  t.teardown(() => platform.stop());
  const { hub, cleanup } = await startTestHub('pglite', (c) => {
    (c as { publish?: unknown }).publish = {
      poll_ms: 50,
      targets: {
        province: {
          type: 'hj212_upstream',
          filter: { sites: ['WS-001'] },
          batch: { max_size: 100, max_wait_ms: 50 },
          retry: { initial_ms: 200, max_ms: 500 },
          config: {
            host: '127.0.0.1', port, timeout_s: 1, history: { frames_per_second: 50 },
            stations: [{ mn: MN, st: '32', site: 'WS-001', factors: { 'water.pipe_pressure': 'e01201' } }],
          },
        },
      },
    };
  });
  t.teardown(cleanup);

  const times = Array.from({ length: 5 }, (_, i) => `2026-11-25T10:0${i}:00+08:00`);
  const res = await hub.ingest('http', [
    ...times.map((time, i) => ({ point: 'WS-001-P1', time, value: 0.2 + i / 10 })),
    ...times.map((time) => ({ point: 'GS-001-C1', time, value: 1 })), // filtered out by the target
    ...times.map((time, i) => ({ point: 'WS-001-P1', kind: 'hour' as const, time: time.replace('T10:0', 'T0'), avg: 0.3, min: 0.1, max: 0.5 + i })),
  ], { trusted: true });
  t.equal(res.accepted, 15);
  hub.publish?.wake();
  await platform.waitFor((fs) => fs.filter((f) => f.cn === '2011').length === 5 && fs.filter((f) => f.cn === '2061').length === 5, 10_000);
  const rtd = platform.frames.filter((f) => f.cn === '2011');
  t.same(rtd.map((f) => f.cp.DataTime), times.map((_, i) => `2026112510${String(i).padStart(2, '0')}00`), 'one frame per DataTime, in order');
  t.same(rtd.map((f) => f.cp['e01201-Rtd']), ['0.2', '0.3', '0.4', '0.5', '0.6']);
  t.ok(platform.frames.every((f) => f.crcOk && f.mn === MN && (f.flag & 1) === 1));
  t.equal(platform.acks.length, platform.frames.length, 'every frame acknowledged 9014');

  const qn = '20261125150000001';
  platform.requestHistory({ qn, cn: '2061', mn: MN, begin: '20261125000000', end: '20261125030000' });
  await platform.waitFor((fs) => fs.some((f) => f.qn === qn && f.cn === '9012'), 10_000);
  const answer = platform.frames.filter((f) => f.qn === qn);
  t.same(answer.map((f) => f.cn), ['9011', '2061', '2061', '2061', '2061', '9012'], 'hours 00…03 (EndTime included)');
  t.same(answer.slice(1, -1).map((f) => f.cp['e01201-Max']), ['0.5', '1.5', '2.5', '3.5']);
});
