// Alarms on real ingest, one hub on PostgreSQL with a test clock: a device whose points all fall silent raises one
// device_offline alarm and no point alarms, which clears when data returns; stuck, quality and rate_of_change rules
// added through /v1/alarm-rules (CRUD and its refusals); the board (one row per site × device × type); the SSE
// stream (commit → event, resumable with Last-Event-ID); a backtest that writes nothing. docs/alarms.md.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';
import { alarmsCommand, rulesCommand } from '../hub/alarms/cli.ts';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

t.test('alarms on PostgreSQL', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  let now = T0;
  const { hub, cleanup } = await startTestHub('postgres', (c) => {
    c.registry.points.push({ code: 'WS-001-P2', device: 'WS-001-PT', indicator: 'water.pipe_pressure', field: 'p2', source_unit: 'MPa' });
    c.alarms.overrides = [{ device: 'WS-001-PT', rule: { id: 'silent', kind: 'no_data', expected_interval_s: 60, intervals: 3, level: 2 } }];
  }, { now: () => now });
  t.teardown(cleanup);
  const post = async (records: unknown[]) => {
    const r = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
    t.equal(r.json().accepted, records.length, 'ingested');
  };
  const get = (url: string, key: string = KEYS.read) => hub.app.inject({ url, headers: auth(key) });
  const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, key: string = KEYS.admin) => hub.app.inject({ method, url, headers: auth(key), payload });
  const alarms = async (q: string) => (await get(`/v1/alarms?${q}`)).json().data as Array<Record<string, unknown>>;

  await t.test('offline device: one device alarm, no point alarms; it clears when data returns', async (t) => {
    await post([{ point: 'WS-001-P1', time: iso(now - 1000), value: 0.3 }, { point: 'WS-001-P2', time: iso(now - 1000), value: 0.3 }]);
    await hub.alarms!.catchUp();
    now += 175_000;
    await hub.alarms!.catchUp();
    t.same(await alarms('device=WS-001-PT'), [], 'not before 3 × 60 s');
    now += 10_000;
    await hub.alarms!.catchUp();
    await hub.alarms!.catchUp();
    const list = await alarms('device=WS-001-PT');
    t.equal(list.length, 1, 'exactly one alarm');
    t.match(list[0], { rule: 'device_offline', type: 'device_offline', device: 'WS-001-PT', point: null, site: 'WS-001', level: 2, active: true, first_time: iso(now) });
    const offlineId = list[0]!.id as string;
    t.same((await alarms('domain=water&device=WS-001-PT')).map((a) => a.id), [offlineId], 'domain: a device alarm by its site\'s domain');
    t.same(await alarms('domain=gas&device=WS-001-PT'), [], 'another domain: not it');
    now += 600_000;
    await hub.alarms!.catchUp();
    t.equal((await alarms('device=WS-001-PT')).length, 1, 'still one while silent');
    await post([{ point: 'WS-001-P2', time: iso(now - 500), value: 0.31 }]);
    await hub.alarms!.catchUp();
    const a = (await get(`/v1/alarms/${offlineId}`)).json();
    t.match(a, { active: false, cleared_time: iso(now - 500) }, 'cleared by the first reading back');
    t.same(a.events.map((e: { type: string }) => e.type), ['raised', 'cleared'], 'one raise, one clear');
    // P2 keeps reporting, P1 stays silent: now it is a point alarm (the device is not offline).
    now += 120_000;
    await post([{ point: 'WS-001-P2', time: iso(now - 500), value: 0.31 }]);
    await hub.alarms!.catchUp();
    const p1 = await alarms('point=WS-001-P1&active=true');
    t.match(p1, [{ rule: 'silent', type: 'no_data', point: 'WS-001-P1' }], 'a silent point of a device still reporting: its own no_data alarm');
    t.same(await alarms('point=WS-001-P2&active=true'), [], 'none for the point that reports');
    await post([{ point: 'WS-001-P1', time: iso(now), value: 0.3 }]);
    await hub.alarms!.catchUp();
    t.same(await alarms('device=WS-001-PT&active=true'), [], 'data back: nothing active');
  });

  let ruleId = '';
  let base = '';
  await t.test('/v1/alarm-rules: add, read, replace, delete; refusals', async (t) => {
    const body = { point: 'WS-001-V1', rule: { id: 'frozen', kind: 'stuck', readings: 3, level: 4, source: 'hub default' } };
    t.equal((await send('POST', '/v1/alarm-rules', body, KEYS.read)).statusCode, 403, 'admin only');
    const r = await send('POST', '/v1/alarm-rules', body);
    t.equal(r.statusCode, 201);
    t.match(r.json(), { id: /^\d+$/, point: 'WS-001-V1', rule: { id: 'frozen' }, updated_by: 'admin' });
    ruleId = r.json().id;
    t.match((await get(`/v1/alarm-rules/${ruleId}`, KEYS.admin)).json(), { id: ruleId, rule: { kind: 'stuck' } });
    t.match((await get('/v1/alarm-rules', KEYS.admin)).json().data, [{ id: ruleId }]);
    const inForce = (await get('/v1/alarm-rules?point=WS-001-V1', KEYS.admin)).json().data;
    t.ok(inForce.some((x: { from: string; rule: { id: string } }) => x.rule.id === 'frozen' && x.from === `alarm-rules/${ruleId}`), 'in force for the point, saying where from');
    const refused = async (b: object, re: RegExp) => {
      const x = await send('POST', '/v1/alarm-rules', b);
      t.equal(x.statusCode, 400, JSON.stringify(b));
      t.match(x.json().message, re);
    };
    await refused({ site: 'WS-001', point: 'WS-001-V1', rule: body.rule }, /exactly one of site, device, point/);
    await refused({ point: 'NOPE', rule: body.rule }, /no point "NOPE"/);
    await refused({ point: 'WS-001-V1', rule: { id: 'x', kind: 'threshold', direction: 'upper', unit: '%{LEL}', levels: [{ level: 1, raise: 1, clear: 0 }] } }, /does not fit point WS-001-V1/);
    await refused({ point: 'WS-001-V1', rule: { id: 'x', kind: 'bogus' } }, /kind/);
    t.equal((await send('PUT', '/v1/alarm-rules/99999', body)).json().code, 'ALARM_RULE_NOT_FOUND');
    t.equal((await send('DELETE', '/v1/alarm-rules/99999')).statusCode, 404);
    const tmp = (await send('POST', '/v1/alarm-rules', { device: 'WS-001-FM', rule: { id: 'q', kind: 'quality', readings: 2 } })).json().id;
    t.equal((await send('DELETE', `/v1/alarm-rules/${tmp}`)).statusCode, 204);
    t.equal((await get(`/v1/alarm-rules/${tmp}`, KEYS.admin)).statusCode, 404, 'deleted');
  });

  await t.test('stuck, quality and rate_of_change on real ingest', async (t) => {
    t.equal((await send('PUT', `/v1/alarm-rules/${ruleId}`, { point: 'WS-001-V1', rule: { id: 'frozen', kind: 'stuck', readings: 4, level: 4 } })).statusCode, 200, 'replaced: 4 readings');
    t.equal((await send('POST', '/v1/alarm-rules', { point: 'WS-001-V1', rule: { id: 'faulty', kind: 'quality', readings: 2, level: 3 } })).statusCode, 201);
    t.equal((await send('POST', '/v1/alarm-rules', { point: 'WS-001-V1', rule: { id: 'surge', kind: 'rate_of_change', direction: 'upper', window_s: 60, levels: [{ level: 2, raise: 0.5, clear: 0.2 }] } })).statusCode, 201);
    const base = now;
    const at = (i: number) => iso(base + i * 10_000);
    await post([
      ...[1.2, 1.2, 1.2, 1.2, 1.2].map((v, i) => ({ point: 'WS-001-V1', time: at(i), value: v })), // stuck from the 4th
      { point: 'WS-001-V1', time: at(5), value: 1.3 }, // stuck clears
      { point: 'WS-001-V1', time: at(6), value: 1.3, flag: 'D' }, { point: 'WS-001-V1', time: at(7), value: null, quality: 'bad' }, // quality raises
      { point: 'WS-001-V1', time: at(8), value: 1.4 }, // quality clears
      { point: 'WS-001-V1', time: at(9), value: 2.0 }, { point: 'WS-001-V1', time: at(10), value: 2.1 }, // +0.7 in 20 s: surge
      { point: 'WS-001-V1', time: at(11), value: 9.9, flag: 'M' }, // maintenance: ignored by every rule
      ...[2.1, 2.1, 2.1, 2.1, 2.1, 2.1].map((v, i) => ({ point: 'WS-001-V1', time: at(12 + i), value: v })),
    ]);
    await hub.alarms!.catchUp();
    const list = await alarms('point=WS-001-V1');
    const by = (rule: string) => list.filter((a) => a.rule === rule);
    t.match(by('frozen'), [{ type: 'stuck_value', level: 4, active: true }, { type: 'stuck_value', level: 4, active: false, first_time: at(3), cleared_time: at(5) }], 'stuck: raised at the 4th equal value, cleared by another; and again at the end');
    t.match(by('faulty'), [{ type: 'bad_quality', level: 3, active: false, first_time: at(7), cleared_time: at(8) }], 'quality: D then bad raise, a good reading clears');
    t.match(by('surge'), [{ type: 'rising_fast', level: 2, active: false, first_time: at(9), cleared_time: at(15) }], 'rate: +0.7 in a minute raises; cleared once the change over the last minute is 0.2 or less');
    t.equal(list.filter((a) => a.rule === 'surge' || a.rule === 'faulty').length, 2, 'the maintenance reading raised nothing');
  });

  await t.test('the board: one row per site × device × type with the seed\'s columns', async (t) => {
    const rows = (await get('/v1/alarms/board?site=WS-001')).json().data as Array<Record<string, unknown>>;
    const fm = rows.filter((r) => r.device === 'WS-001-FM');
    t.same(fm.map((r) => r.type).sort(), ['bad_quality', 'rising_fast', 'stuck_value']);
    t.match(fm.find((r) => r.type === 'stuck_value'), {
      site: 'WS-001', site_name: '湖滨路供水主干管', enterprise: '示范市自来水有限公司', address: '示范市湖滨路 1 号',
      device: 'WS-001-FM', device_name: '电磁流量计', type_name: '数据不变', alarms: 2, active: true, level: 4, level_name: '四级',
    });
    const offline = rows.find((r) => r.type === 'device_offline');
    t.match(offline, { device: 'WS-001-PT', type_name: '设备离线', alarms: 1, active: false });
    t.equal(rows.length, new Set(rows.map((r) => `${r.site}|${r.device}|${r.type}`)).size, 'one row per site × device × type');
    t.same((await get('/v1/alarms/board?active=true&device=WS-001-FM')).json().data.map((r: { type: string }) => r.type), ['stuck_value'], 'active only');
    t.same((await get('/v1/alarms/board?enterprise=nobody')).json().data, []);
  });

  await t.test('the SSE stream: commit → event, resumable with Last-Event-ID', async (t) => {
    base = await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const ac = new AbortController();
    t.teardown(() => ac.abort());
    const open = async (headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}/v1/alarms/stream`, { headers: { ...auth(KEYS.read), ...headers }, signal: ac.signal });
      t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const reader = res.body!.getReader();
      let buf = '';
      const next = async (): Promise<{ id: string; data: { type: string; alarm: { rule: string } } }> => {
        for (;;) {
          const m = /(?:^|\n)id: (\d+)\nevent: alarm\ndata: (.*)\n\n/.exec(buf);
          if (m) { buf = buf.slice(m.index + m[0].length); return { id: m[1]!, data: JSON.parse(m[2]!) }; }
          const r = await reader.read();
          if (r.done) throw new Error('stream ended');
          buf += new TextDecoder().decode(r.value);
        }
      };
      return { next, close: () => reader.cancel() };
    };
    const s = await open();
    const t0 = performance.now();
    await post([{ point: 'GS-001-C1', time: iso(now), value: 60 }, { point: 'GS-001-C1', time: iso(now + 1000), value: 60 }]);
    const e = await s.next();
    const ms = performance.now() - t0;
    t.match(e.data, { type: 'raised', alarm: { rule: 'high', level: 1 } }, 'the raise, as the evaluator committed it');
    t.ok(ms < 2000, `commit → event in ${ms.toFixed(0)} ms (woken by the commit, not a poll)`);
    const ack = await send('POST', `/v1/alarms/${(e.data.alarm as unknown as { id: string }).id}/ack`, { note: 'seen' });
    t.equal(ack.statusCode, 200);
    const e2 = await s.next();
    t.match(e2.data, { type: 'acknowledged', note: 'seen' }, 'handling steps are events too');
    await s.close();
    // Reconnect from the first event: the second comes again, and nothing before it.
    const r = await open({ 'last-event-id': e.id });
    t.same((await r.next()).id, e2.id, 'resumed after Last-Event-ID');
    await r.close();
    t.equal((await get('/v1/alarms/stream?after=x')).statusCode, 400);
    const poll = (await get(`/v1/alarms/stream?catch_up=true&after=${e.id}`)).body;
    t.same([...poll.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]), [e2.id], 'catch_up: what there is after the id, then the response ends');
  });

  await t.test('the CLI: lifeline alarms list|show|ack and rules backtest through the API', async (t) => {
    const run = async (f: typeof alarmsCommand, args: string[], key: string = KEYS.admin) => {
      const out: string[] = [];
      const code = await f([...args, '--url', base, '--key', key], (s) => out.push(s));
      return { code, text: out.join('\n') };
    };
    const listed = await run(alarmsCommand, ['list', '--point', 'WS-001-V1', '--json'], KEYS.read);
    t.equal(listed.code, 0);
    const ids = JSON.parse(listed.text).data.map((a: { id: string }) => a.id);
    t.same(ids, (await alarms('point=WS-001-V1')).map((a) => a.id), 'list: the API\'s page');
    const one = ids[ids.length - 1];
    t.match((await run(alarmsCommand, ['show', one])).text, /raised/, 'show: the alarm and its events');
    t.match((await run(alarmsCommand, ['ack', one, '--note', 'via cli'])).text, new RegExp(`alarm ${one}: acknowledged`));
    t.match((await get(`/v1/alarms/${one}`)).json().events.at(-1), { type: 'acknowledged', note: 'via cli', by: 'admin' });
    await t.rejects(run(alarmsCommand, ['ack', one]), { code: 'ALARM_TRANSITION_INVALID' }, 'a refused step is the API\'s error');
    await t.rejects(run(alarmsCommand, ['ack', one], KEYS.read), { code: 'AUTH_FORBIDDEN' });
    const bt = await run(rulesCommand, ['backtest', '--point', 'WS-001-V1', '--from', iso(T0 - 3_600_000), '--to', iso(now + 3_600_000), '--rule', '{"id":"bt","kind":"stuck","readings":4}']);
    t.equal(bt.code, 0);
    t.match(bt.text, /readings: 2 alarm\(s\)/, 'backtest: the two stuck runs');
    t.equal((await run(alarmsCommand, ['bogus'])).code, 2, 'usage');
  });

  await t.test('backtest: the alarms a rule would have raised, nothing written', async (t) => {
    const before = (await alarms('limit=10000')).length;
    const from = iso(T0 - 3_600_000), to = iso(now + 3_600_000);
    const r = await send('POST', '/v1/alarm-rules/backtest', { point: 'WS-001-V1', from, to, rule: { id: 'bt', kind: 'threshold', direction: 'upper', levels: [{ level: 1, raise: 1.95, clear: 1.5 }] } });
    t.equal(r.statusCode, 200);
    t.match(r.json(), { truncated: false, alarms: [{ point: 'WS-001-V1', type: 'over_upper_limit', level: 1, cleared_time: null, events: [{ type: 'raised', value: 2 }] }] });
    t.equal(r.json().alarms.length, 1, 'the maintenance reading (9.9) raises nothing in a backtest either');
    t.ok(r.json().readings >= 18);
    t.equal((await alarms('limit=10000')).length, before, 'nothing written');
    t.equal((await send('POST', '/v1/alarm-rules/backtest', { point: 'WS-001-V1', from, to, rule: { id: 'n', kind: 'no_data', expected_interval_s: 1 } })).statusCode, 400);
    t.equal((await send('POST', '/v1/alarm-rules/backtest', { from, to, rule: { id: 'bt', kind: 'stuck', readings: 2 } })).statusCode, 400, 'names its points');
    t.equal((await send('POST', '/v1/alarm-rules/backtest', { point: 'WS-001-V1', from: to, to: from, rule: { id: 'bt', kind: 'stuck', readings: 2 } })).statusCode, 400, 'to after from');
  });
});
