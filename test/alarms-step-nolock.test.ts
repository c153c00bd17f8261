// A step reading the alarms and rule states it works on takes no row lock (hub/alarms/batch.ts): on PostgreSQL its
// transaction gets no transaction id until it writes (the horizon for pruning dead row versions is not held back while
// the hub evaluates), and the handling loop is not held up by it.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';
import { Batch } from '../hub/alarms/batch.ts';
import { transition } from '../hub/alarms/handling.ts';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

t.test('a step reads its alarms and states without locking them', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const { hub, cleanup } = await startTestHub('postgres', (c) => {
    c.alarms.overrides = [{ point: 'WS-001-P1', rule: { id: 'high', kind: 'threshold', direction: 'upper', levels: [{ level: 2, raise: 1.0, clear: 0.8 }] } }];
  });
  t.teardown(cleanup);
  const r = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records: [{ point: 'WS-001-P1', time: iso(T0), value: 1.5 }] } });
  t.equal(r.json().accepted, 1);
  await hub.alarms!.catchUp();
  const [a] = (await hub.db.query<{ id: string; point_id: number }>(`SELECT id::text AS id, point_id FROM alarm WHERE rule = 'high' AND active`)).rows;
  t.ok(a, 'an active alarm to read');

  await hub.db.transaction(async (tx) => {
    const b = new Batch(tx);
    await b.preload([a!.id]);
    await b.loadStates([['high', a!.point_id]]);
    t.equal(b.alarms.get(a!.id)?.active, true, 'the alarm was read');
    t.ok(b.states.has(`high\u0000${a!.point_id}`), 'and its state');
    const { x } = (await tx.query<{ x: string | null }>('SELECT txid_current_if_assigned()::text AS x')).rows[0]!;
    t.equal(x, null, 'no transaction id after the reads');
    // The handling loop locks the alarm's row: with the step's reads holding it, this would wait for the step's end.
    const ack = transition(hub.db, a!.id, 'ack', { by: 'tester', nowMs: T0 + 1000 });
    const settled = await Promise.race([ack.then(() => 'done'), new Promise((res) => setTimeout(() => res('waiting'), 5000))]);
    t.equal(settled, 'done', 'an ack goes through while the step is open');
  });
  const { state } = (await hub.db.query<{ state: string }>('SELECT state FROM alarm WHERE id = $1::bigint', [a!.id])).rows[0]!;
  t.equal(state, 'acknowledged', 'and was committed');
});
