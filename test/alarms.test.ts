// Alarms on real ingest (POST /v1/observations through a hub), on PGlite and PostgreSQL: the methane ramp with noise
// around every threshold gives one alarm that escalates, de-escalates and clears once; maintenance readings do not
// raise; a silent point raises no_data on the test clock and clears when data returns; the handling loop's valid
// transitions work and the invalid ones are refused. docs/alarms.md.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';

const T0 = Date.parse('2026-11-26T02:00:00Z');
const STEP = 10_000;
// %LEL, one reading every 10 s. Level 2 raises at 25 (clears at 20), level 1 at 50 (back to 2 at 45); 2 readings each.
const UP = [0, 5, 10, 15, 20, 24, 26, 24, 26, 24, 28, 30, 35, 40, 45, 49, 51, 49, 51, 49, 53, 55, 60, 60];
const DOWN = [55, 50, 47, 46, 44, 46, 44, 46, 40, 38, 30, 25, 22, 21, 19, 21, 19, 21, 15, 10, 5, 0];
const RAMP = [...UP, ...DOWN];
const at = (i: number) => new Date(T0 + i * STEP).toISOString();

for (const store of ['pglite', 'postgres'] as const) {
  t.test(store, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    let now = T0 + RAMP.length * STEP + 60_000;
    const clock = { now: () => now };
    const { hub, cleanup } = await startTestHub(store, (c) => {
      c.registry.points.push({ code: 'GS-001-C3', device: 'GS-001-GD', indicator: 'gas.underground_space_concentration', field: 'ch4c', source_unit: '%{LEL}' });
      c.registry.points.push({ code: 'GS-001-C2', device: 'GS-001-GD', indicator: 'gas.underground_space_concentration', field: 'ch4b', source_unit: '%{LEL}' });
      c.alarms.levels = c.alarms.levels.map((l) => (l.level === 3 ? { ...l, ack_within_s: 60, resolve_within_s: 600 } : l));
      c.alarms.overrides = [{ point: 'WS-001-V1', rule: { id: 'silent', kind: 'no_data', expected_interval_s: 60, intervals: 3, level: 3 } }];
    }, clock);
    t.teardown(cleanup);
    const post = async (records: unknown[]) => {
      const r = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
      t.equal(r.json().accepted, records.length, 'ingested');
    };
    const get = async (url: string, key: string = KEYS.read) => hub.app.inject({ url, headers: auth(key) });
    const act = async (id: string, action: string, body?: object, key: string = KEYS.admin) =>
      hub.app.inject({ method: 'POST', url: `/v1/alarms/${id}/${action}`, headers: auth(key), payload: body ?? {} });

    // Several batches, as a gateway would send them; the evaluator follows the outbox after each commit.
    for (let i = 0; i < RAMP.length; i += 7) {
      await post(RAMP.slice(i, i + 7).map((v, k) => ({ point: 'GS-001-C1', time: at(i + k), value: v })));
    }
    // A maintenance (M) and a calibration (C) run far above every level on the other detector.
    await post([0, 1, 2, 3].map((k) => ({ point: 'GS-001-C2', time: at(k), value: 80, flag: k < 2 ? 'M' : 'C' })));
    await hub.alarms!.catchUp();

    let methaneId = '';
    await t.test('methane ramp: one alarm, raised → escalated → de_escalated → cleared, no flapping', async (t) => {
      const list = (await get('/v1/alarms?point=GS-001-C1')).json().data;
      t.equal(list.length, 1, 'exactly one alarm');
      const a = list[0];
      methaneId = a.id;
      const raiseAt = RAMP.indexOf(30), clearAt = UP.length + DOWN.indexOf(10);
      t.match(a, {
        rule: 'high', site: 'GS-001', device: 'GS-001-GD', point: 'GS-001-C1', indicator: 'gas.underground_space_concentration', domain: 'gas',
        type: 'over_upper_limit', level: 2, level_name: '二级', level_colour: 'orange', peak_level: 1, peak_value: 3, active: false, overdue: false, ack_due: null,
        state: 'open', first_time: at(raiseAt), cleared_time: at(clearAt),
      });
      // 报警次数: the readings from the raise on that still indicated a level (above 20 %LEL).
      t.equal(a.count, RAMP.slice(raiseAt, clearAt).filter((v) => v > 20).length, 'count');
      t.equal(a.latest_time, at(clearAt - 2), 'latest_time: the last reading above the clear value (21 %LEL)');
      const full = (await get(`/v1/alarms/${a.id}`)).json();
      t.same(full.events.map((e: { type: string; level: number | null; at: string }) => [e.type, e.level, e.at]), [
        ['raised', 2, at(raiseAt)],
        ['escalated', 1, at(RAMP.indexOf(55))],
        ['de_escalated', 2, at(UP.length + DOWN.indexOf(38))],
        ['cleared', null, at(clearAt)],
      ], 'four events, each once, at the readings that made them');
      t.ok(Math.abs(full.events[0].value - 1.5) < 1e-9, 'event values are in the indicator unit (30 %LEL = 1.5 %VOL)');
      // The readings that raised it: the run of 2 (one before the raise) through the clear, in time order.
      t.same(full.observations.map((o: { time: string }) => o.time), RAMP.slice(raiseAt - 1, clearAt + 1).map((_, k) => at(raiseAt - 1 + k)), 'observations: the run before the raise to the clear');
      t.equal(full.observations_truncated, false);
      const few = (await get(`/v1/alarms/${a.id}?readings=3`)).json();
      t.same([few.observations.length, few.observations_truncated], [3, true], '?readings bounds them');
      // enterprise: the site's 所属企业.
      t.equal((await get(`/v1/alarms?enterprise=${encodeURIComponent('示范市燃气有限公司')}&point=GS-001-C1`)).json().data.length, 1, 'enterprise filter');
      t.same((await get(`/v1/alarms?enterprise=${encodeURIComponent('示范市自来水有限公司')}&point=GS-001-C1`)).json().data, [], 'another enterprise: none');
    });

    await t.test('two episodes in one batch: the first clears before the second raises', async (t) => {
      await post([...RAMP, ...RAMP].map((v, i) => ({ point: 'GS-001-C3', time: at(i), value: v })));
      await hub.alarms!.catchUp();
      const list = (await get('/v1/alarms?point=GS-001-C3')).json().data;
      t.equal(list.length, 2, 'two alarms');
      for (const a of list) {
        t.same((await get(`/v1/alarms/${a.id}`)).json().events.map((e: { type: string }) => e.type), ['raised', 'escalated', 'de_escalated', 'cleared']);
      }
    });

    await t.test('maintenance and calibration readings do not raise', async (t) => {
      t.same((await get('/v1/alarms?point=GS-001-C2')).json().data, []);
    });

    await t.test('a replayed evaluation changes nothing', async (t) => {
      await hub.alarms!.catchUp();
      t.equal((await get('/v1/alarms?point=GS-001-C1')).json().data.length, 1);
      t.equal((await get(`/v1/alarms/${methaneId}`)).json().events.length, 4);
    });

    let silentId = '';
    await t.test('silent point: no_data after 3 × 60 s, cleared when data returns', async (t) => {
      t.same((await get('/v1/alarms?point=WS-001-V1')).json().data, [], 'nothing yet (silence counted from the first check)');
      now += 170_000;
      await hub.alarms!.catchUp();
      t.same((await get('/v1/alarms?point=WS-001-V1')).json().data, [], 'not before 180 s');
      now += 20_000;
      await hub.alarms!.catchUp();
      await hub.alarms!.catchUp();
      const list = (await get('/v1/alarms?point=WS-001-V1')).json().data;
      t.equal(list.length, 1, 'one no_data alarm');
      t.match(list[0], { rule: 'silent', type: 'no_data', level: 3, level_name: '三级', active: true, peak_value: null, first_time: new Date(now).toISOString() });
      silentId = list[0].id;
      t.match(list[0], { overdue: false, ack_due: new Date(now + 60_000).toISOString(), resolve_due: new Date(now + 600_000).toISOString() }, 'level 3 deadlines');
      now += 300_000;
      await hub.alarms!.catchUp();
      t.equal((await get('/v1/alarms?point=WS-001-V1')).json().data.length, 1, 'still one while silent');
      t.equal((await get(`/v1/alarms/${silentId}`)).json().overdue, true, 'not acknowledged within 60 s: overdue (test clock)');
      await post([{ point: 'WS-001-V1', time: new Date(now - 1000).toISOString(), value: 1.2 }]);
      await hub.alarms!.catchUp();
      const a = (await get(`/v1/alarms/${silentId}`)).json();
      t.match(a, { active: false, cleared_time: new Date(now - 1000).toISOString() });
      t.same(a.events.map((e: { type: string }) => e.type), ['raised', 'cleared']);
    });

    await t.test('the handling loop: each valid step records who, when and a note; invalid ones are refused', async (t) => {
      const refused = async (id: string, action: string, body?: object) => {
        const r = await act(id, action, body);
        t.equal(r.statusCode, 409, `${action} refused`);
        t.equal(r.json().code, 'ALARM_TRANSITION_INVALID');
      };
      await refused(methaneId, 'assess');
      await refused(methaneId, 'dispatch', { assignee: 'team a' });
      await refused(methaneId, 'resolve', { note: 'x' });
      await refused(methaneId, 'archive');
      t.equal((await act(methaneId, 'ack', {}, KEYS.read)).statusCode, 403, 'read key may not handle');
      t.equal((await act('999999', 'ack')).json().code, 'ALARM_NOT_FOUND');
      now += 1000;
      t.match((await act(methaneId, 'ack', { note: '接警' })).json(), { state: 'acknowledged' });
      await refused(methaneId, 'ack');
      await refused(methaneId, 'dispatch', { assignee: 'team a' });
      t.match((await act(methaneId, 'assess', { note: '研判: 管道泄漏' })).json(), { state: 'assessed' });
      t.equal((await act(methaneId, 'dispatch', {})).json().code, 'BODY_INVALID', 'dispatch needs an assignee');
      t.match((await act(methaneId, 'dispatch', { assignee: '抢修一队' })).json(), { state: 'dispatched', assignee: '抢修一队' });
      t.equal((await act(methaneId, 'resolve', {})).json().code, 'BODY_INVALID', 'resolve needs a note');
      t.match((await act(methaneId, 'resolve', { note: '已关阀修复' })).json(), { state: 'resolved' });
      t.match((await act(methaneId, 'archive')).json(), { state: 'archived' });
      await refused(methaneId, 'ack');
      const events = (await get(`/v1/alarms/${methaneId}`)).json().events.slice(4);
      t.same(events.map((e: { type: string; by: string; note: string | null; assignee: string | null; at: string }) => [e.type, e.by, e.note, e.assignee, e.at]), [
        ['acknowledged', 'admin', '接警', null, new Date(now).toISOString()],
        ['assessed', 'admin', '研判: 管道泄漏', null, new Date(now).toISOString()],
        ['dispatched', 'admin', null, '抢修一队', new Date(now).toISOString()],
        ['resolved', 'admin', '已关阀修复', null, new Date(now).toISOString()],
        ['archived', 'admin', null, null, new Date(now).toISOString()],
      ], 'one event per step, none for the refused ones');
    });

    await t.test('an active alarm cannot be archived', async (t) => {
      now += 1000;
      // a new silent episode on WS-001-V1
      now += 400_000;
      await hub.alarms!.catchUp();
      const open = (await get('/v1/alarms?point=WS-001-V1&active=true')).json().data;
      t.equal(open.length, 1, 'a second no_data episode is a new alarm');
      t.not(open[0].id, silentId);
      for (const [action, body] of [['ack', {}], ['assess', {}], ['dispatch', { assignee: 'a' }], ['resolve', { note: 'n' }]] as const) {
        t.equal((await act(open[0].id, action, body)).statusCode, 200, action);
      }
      t.equal((await get(`/v1/alarms/${open[0].id}`)).json().overdue, false, 'acknowledged and resolved in time');
      const r = await act(open[0].id, 'archive');
      t.equal(r.statusCode, 409);
      t.match(r.json(), { code: 'ALARM_TRANSITION_INVALID', details: { active: true } });
    });

    await t.test('list filters and cursor paging', async (t) => {
      const ids = (q: string) => get(`/v1/alarms?${q}`).then((r) => r.json().data.map((a: { id: string }) => a.id));
      t.same(await ids('state=archived'), [methaneId]);
      t.same(await ids('domain=gas&point=GS-001-C1,GS-001-C2'), [methaneId]);
      t.same(await ids('site=GS-001&level=2&state=archived'), [methaneId]);
      t.same(await ids('level=1'), []);
      t.same(await ids(`from=${at(0)}&to=${at(RAMP.length)}&point=GS-001-C1`), [methaneId], 'from/to select the raise time');
      t.equal((await ids(`from=${at(RAMP.length)}`)).length, 3, 'the second GS-001-C3 episode and both no_data ones raised later');
      t.equal((await ids('active=false')).length, 4);
      const all = await ids('');
      t.equal(all.length, 5);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const r: { data: Array<{ id: string }>; next_cursor: string | null } = (await get(`/v1/alarms?limit=1${cursor ? `&cursor=${cursor}` : ''}`)).json();
        paged.push(...r.data.map((a) => a.id));
        cursor = r.next_cursor;
      } while (cursor);
      t.same(paged, all, 'every alarm once, newest first');
      for (const q of ['state=closed', 'level=7', 'site=NOPE', 'cursor=x']) t.equal((await get(`/v1/alarms?${q}`)).statusCode, 400, q);
    });
  });
}

t.test('a rule that does not fit its points stops the hub at start', async (t) => {
  const start = startTestHub('pglite', (c) => {
    c.alarms.overrides = [{ site: 'WS-001', rule: { id: 'high', kind: 'threshold', direction: 'upper', unit: 'Cel', levels: [{ level: 1, raise: 1, clear: 0 }] } }];
  });
  await t.rejects(start, { code: 'CONFIG_INVALID', message: /\/alarms\/overrides\/0.*different quantities/ });
});
