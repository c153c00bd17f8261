// Alarm evaluator steps started together must evaluate each reading exactly once and raise one alarm per episode
// (hub/alarms/step.ts). On the embedded store a step reads and evaluates outside a transaction: oneAtATime keeps the
// steps of the process apart. On PostgreSQL each step is a transaction that first takes the step lock (an advisory
// lock); here each of the three steps has a context of its own, as three hub processes would.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';
import { alarmStep } from '../hub/alarms/step.ts';
import { OutboxHorizon } from '../hub/delivery/horizon.ts';

const T0 = Date.parse('2026-11-26T02:00:00Z');

const pg = await postgresUp();
for (const store of ['pglite', 'postgres'] as const) t.test(`${store}: steps started together: every reading evaluated once, one raise and one clear`, async (t) => {
  if (store === 'postgres' && !needService(t, 'PostgreSQL', pg)) return;
  const { hub, cleanup } = await startTestHub(store);
  t.teardown(cleanup);
  await hub.alarms!.stop(); // the steps below are the only ones
  // 12 batches of 10 readings of GS-001-C1 (methane, %LEL): high in batches 2-5, low around them.
  for (let b = 0; b < 12; b++) {
    const value = b >= 2 && b <= 5 ? 60 : 1;
    const records = Array.from({ length: 10 }, (_, k) => ({ point: 'GS-001-C1', time: new Date(T0 + (b * 10 + k) * 10_000).toISOString(), value }));
    const r = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
    t.equal(r.json().accepted, 10);
  }
  // Read back: each step takes what the last one left. PGlite: one process, one context; PostgreSQL: one per "process".
  const shared = { ...hub.alarms!.context(), recent: undefined };
  const ctxs = [0, 1, 2].map(() => (store === 'pglite' ? shared : { ...hub.alarms!.context(), recent: undefined, cache: undefined }));
  const safe = await new OutboxHorizon(hub.db).safeMax();
  let evaluated = 0;
  for (let round = 0; round < 10; round++) {
    // Three at once, each capped at 20 readings (two entries).
    const steps = await Promise.all(ctxs.map((ctx) => alarmStep(hub.db, safe, ctx, 20)));
    evaluated += steps.reduce((n, s) => n + s.observations, 0);
    if (steps.every((s) => s.caughtUp && !s.observations)) break;
  }
  for (let more = 0; more < 20; more++) { // PostgreSQL: a round's steps may all have found the lock taken
    const s = await alarmStep(hub.db, safe, ctxs[0]!, 20);
    evaluated += s.observations;
    if (s.caughtUp && !s.observations) break;
  }
  t.equal(evaluated, 120, 'each of the 120 readings evaluated once');
  const events = (await hub.db.query<{ type: string }>(`SELECT e.type FROM alarm_event e JOIN alarm a ON a.id = e.alarm_id
    JOIN point p ON p.id = a.point_id WHERE p.code = 'GS-001-C1' ORDER BY e.id`)).rows.map((r) => r.type);
  t.equal(events[0], 'raised', 'raised first');
  t.equal(events.filter((e) => e === 'raised').length, 1, 'one raise');
  t.equal(events.filter((e) => e === 'cleared').length, 1, 'one clear');
  const cursor = (await hub.db.query<{ seen: string }>(`SELECT seen::text AS seen FROM rollup_cursor WHERE name = 'alarms'`)).rows[0]!;
  t.equal(cursor.seen, '{}', 'the cursor past every entry');
});
