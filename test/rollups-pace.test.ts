// The rollup roller's pace (hub/rollups/roller.ts): while it keeps up it steps at most every minStepMs, but sooner once
// this process holds a step's worth of committed readings, so it never holds more than a step takes.
import t from 'tap';
import pino from 'pino';
import { startTestHub } from './helpers/hub.ts';
import { createRoller } from '../hub/rollups/roller.ts';
import { commitBatch } from '../hub/store/observations.ts';
import { prepare } from '../hub/pipeline/prepare.ts';

const T0 = Date.parse('2026-11-26T02:00:00Z');

t.test('a step\'s worth held starts a step before minStepMs; less waits for it', async (t) => {
  const { hub, cleanup } = await startTestHub('pglite');
  t.teardown(cleanup);
  await hub.rollups.stop(); // the roller below is the only one
  const roller = createRoller(hub.db, { zone: 'Asia/Shanghai', minStepMs: 600_000, pollMs: 600_000, stepSize: 20 }, pino({ level: 'silent' }));
  t.teardown(() => roller.stop());
  await roller.start();
  const held = roller.committing();
  let n = 0;
  const commit = async (count: number) => {
    const records = Array.from({ length: count }, () => ({ point: 'GS-001-C1', time: new Date(T0 + n++ * 5_000).toISOString(), value: 1 }));
    const p = prepare(records, hub.registry.registry, { receivedAtMs: Date.now(), timezone: 'Asia/Shanghai', futureToleranceMs: 1e12, lateAfterMs: 0 });
    const c = await commitBatch(hub.db, { adapter: 'test', receivedAtMs: Date.now(), rows: p.rows, quarantine: [] });
    held({ entry: c.entry!, rows: c.rows, receivedAtMs: Date.now() });
  };
  const rolled = async () => Number((await hub.db.query<{ n: string }>(`SELECT coalesce(sum(count), 0)::text AS n FROM rollup WHERE interval = '1m'`)).rows[0]!.n);
  await new Promise((res) => setTimeout(res, 300)); // the first step (at start) has found nothing
  await commit(10);
  await new Promise((res) => setTimeout(res, 1500));
  t.equal(await rolled(), 0, '10 readings held (a step takes 20): no step before minStepMs');
  await commit(10);
  const until = Date.now() + 10_000;
  while ((await rolled()) < 20 && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
  t.equal(await rolled(), 20, '20 held: a step came at once and rolled them all');
});
