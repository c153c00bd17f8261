// The SSE stream of alarm events (GET /v1/alarms/stream) reads by id, so it must see ids committed in id order: an
// evaluator step that took an event id and commits after a handling step that took a later one would make the stream
// skip its event (docs/alarms.md, the stream). PostgreSQL, a real hub: (1) the race forced: the evaluator's transaction
// held open after it wrote its event while a handling step runs; (2) evaluator raises and API steps at the same time.
// Either way the stream delivers every event exactly once, in id order.
import t, { type Test } from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';
import type { Queryable } from '../hub/store/driver.ts';

const T0 = Date.parse('2026-11-28T02:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const POINTS = ['GS-001-C1', 'GS-001-C2', 'GS-001-C3', 'GS-001-C4'];

t.test('the SSE stream delivers every alarm event once, in id order, with concurrent writers', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const { hub, cleanup } = await startTestHub('postgres', (c) => {
    for (const [i, code] of POINTS.slice(1).entries()) {
      c.registry.points.push({ code, device: 'GS-001-GD', indicator: 'gas.underground_space_concentration', field: `ch4_${i}`, source_unit: '%{LEL}' });
    }
  });
  t.teardown(cleanup);
  const base = await hub.app.listen({ port: 0, host: '127.0.0.1' });
  let at = T0;
  const post = async (records: Array<{ point: string; value: number }>) => {
    const r = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records: records.map((x) => ({ ...x, time: iso((at += 1000)) })) } });
    t.equal(r.json().accepted, records.length, 'ingested');
  };
  const step = (id: string, action: string, body: object = {}) => hub.app.inject({ method: 'POST', url: `/v1/alarms/${id}/${action}`, headers: auth(KEYS.admin), payload: body });

  // The evaluator's transactions pass through here: `gate` holds the next one that wrote events open before its commit.
  let gate: { reached: () => void; release: Promise<void> } | undefined;
  const db = hub.db;
  const transaction = db.transaction.bind(db);
  db.transaction = (fn) => transaction(async (tx) => {
    let wrote = false;
    const out = await fn({ query: (sql, params) => { if (sql.includes('INSERT INTO alarm_event')) wrote = true; return tx.query(sql, params); } } as Queryable);
    const g = gate;
    if (wrote && g) { gate = undefined; g.reached(); await g.release; }
    return out;
  });

  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const res = await fetch(`${base}/v1/alarms/stream`, { headers: auth(KEYS.read), signal: ac.signal });
  const reader = res.body!.getReader();
  const received: Array<{ id: string; type: string; alarm: string }> = [];
  let buf = '';
  const reading = (async () => {
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        buf += new TextDecoder().decode(r.value);
        let m: RegExpExecArray | null;
        while ((m = /(?:^|\n)id: (\d+)\nevent: alarm\ndata: (.*)\n\n/.exec(buf))) {
          buf = buf.slice(m.index + m[0].length);
          const d = JSON.parse(m[2]!) as { type: string; alarm: { id: string } };
          received.push({ id: m[1]!, type: d.type, alarm: d.alarm.id });
        }
      }
    } catch { /* aborted */ }
  })();
  const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const committed = async () => (await db.query<{ id: string }>('SELECT id::text AS id FROM alarm_event ORDER BY alarm_event.id')).rows.map((r) => r.id);
  // Every committed event, once and in order: the stream's list ends with the last one committed.
  const sameAsStore = async (t: Test, what: string) => {
    const ids = await committed();
    await until(`the stream to deliver event ${ids.at(-1)}`, () => received.some((e) => e.id === ids.at(-1)), 5000).catch(() => undefined);
    t.same(received.map((e) => e.id), ids, what);
  };
  const active = async (q = '') => Object.fromEntries(((await hub.app.inject({ url: `/v1/alarms?active=true${q}`, headers: auth(KEYS.read) })).json().data as Array<{ id: string; point: string }>).map((a) => [a.point, a.id]));

  await t.test('an evaluator step that took its event id first and commits last is not skipped', async (t) => {
    // Two alarms: A (the evaluator will de-escalate it) and B (acknowledged through the API meanwhile).
    for (let i = 0; i < 2; i++) await post([{ point: POINTS[0]!, value: 60 }, { point: POINTS[1]!, value: 60 }]); // (2 readings raise)
    await hub.alarms!.catchUp();
    const { [POINTS[0]!]: a, [POINTS[1]!]: b } = await active();
    t.ok(a && b, 'two alarms raised');
    await until('the raises on the stream', () => received.length === 2);

    let reached!: () => void, release!: () => void;
    const held = new Promise<void>((r) => { reached = r; });
    gate = { reached: () => reached(), release: new Promise<void>((r) => { release = r; }) };
    // A falls to 30 %LEL twice: the evaluator writes A's de_escalated event (its id taken), then waits at the gate.
    await post([{ point: POINTS[0]!, value: 30 }]);
    await post([{ point: POINTS[0]!, value: 30 }]);
    await held;
    // B's acknowledgement takes a later id. It must not become visible before A's event.
    let acked = false;
    const ack = step(b!, 'ack', { note: 'race' }).then((r) => { acked = true; return r; });
    const waitingForOrder = async () => Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0]!.n) > 0;
    await until('the acknowledgement to commit or to wait for the event order', async () => acked || (await waitingForOrder()));
    // Had it committed first, the stream would have sent it (and moved past A's event's id) before A's event commits.
    if (acked) await until('the acknowledgement on the stream', () => received.some((e) => e.type === 'acknowledged'), 5000).catch(() => undefined);
    release();
    t.equal((await ack).statusCode, 200, 'acknowledged');
    await hub.alarms!.catchUp();
    await sameAsStore(t, 'every event once, in id order: the de-escalation is not skipped');
    t.same(received.slice(-2).map((e) => [e.type, e.alarm]), [['de_escalated', a], ['acknowledged', b]], 'the de-escalation, then the acknowledgement');
  });

  await t.test('evaluator raises and clears at the same time as API steps', async (t) => {
    const handled = new Set<string>();
    for (let round = 0; round < 6; round++) {
      // Every point goes over the limit (raise) or back (clear), while the open alarms are acknowledged.
      const ingest = (async () => {
        for (const p of POINTS) await post([{ point: p, value: round % 2 === 0 ? 20 : 60 }, { point: p, value: round % 2 === 0 ? 10 : 60 }]);
      })();
      const ids = Object.values(await active('&state=open')).filter((id) => !handled.has(id));
      const steps = ids.map(async (id) => { handled.add(id); const r = await step(id, 'ack'); t.equal(r.statusCode, 200, `alarm ${id} acknowledged`); });
      await Promise.all([ingest, ...steps]);
      await hub.alarms!.catchUp();
    }
    await sameAsStore(t, 'every event once, in id order');
    t.ok(received.filter((e) => e.type === 'acknowledged').length >= 4 && received.filter((e) => e.type === 'raised').length >= 8, 'both kinds of writer wrote events');
  });
  ac.abort();
  await reading;
});
