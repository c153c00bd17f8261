// An evaluator far behind, with nothing in memory (another process committed the batches, or they were dropped): each
// step reads back the ids of the entries up to its cap only (hub/alarms/step.ts). Every reading is still evaluated
// exactly once, step after step: an entry taken without its ids would be skipped for ever.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { alarmStep } from '../hub/alarms/step.ts';
import { OutboxHorizon } from '../hub/delivery/horizon.ts';

const T0 = Date.parse('2026-11-26T02:00:00Z');

t.test('capped steps over entries not held: every reading evaluated once, the alarm raised once', async (t) => {
  const { hub, cleanup } = await startTestHub('pglite');
  t.teardown(cleanup);
  await hub.alarms!.stop(); // the steps below are the only ones
  // 10 batches of 10 readings of GS-001-C1 (methane, %LEL), all high: one alarm, raised once.
  for (let b = 0; b < 10; b++) {
    const records = Array.from({ length: 10 }, (_, k) => ({ point: 'GS-001-C1', time: new Date(T0 + (b * 10 + k) * 10_000).toISOString(), value: 60 }));
    const r = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
    t.equal(r.json().accepted, 10);
  }
  const ctx = { ...hub.alarms!.context(), recent: undefined }; // nothing held: every entry's ids come from the store
  const safe = await new OutboxHorizon(hub.db).safeMax();
  const steps: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = await alarmStep(hub.db, safe, ctx, 25);
    if (s.observations) steps.push(s.observations);
    if (s.caughtUp && !s.observations) break;
  }
  t.same(steps, [20, 20, 20, 20, 20], 'two entries (20 readings) a step under a cap of 25, five steps');
  const events = (await hub.db.query<{ type: string }>(`SELECT e.type FROM alarm_event e JOIN alarm a ON a.id = e.alarm_id
    JOIN point p ON p.id = a.point_id WHERE p.code = 'GS-001-C1' ORDER BY e.id`)).rows.map((r) => r.type);
  t.same(events, ['raised'], 'one alarm, raised once');
});
