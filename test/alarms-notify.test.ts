// Alarm notifications through the delivery engine (docs/alarms.md#notifications): the body template's rendering and
// its refusals; then, through a real hub on PostgreSQL per driver (embedded: the store's outbox in process; BullMQ on the local Redis),
// a methane episode and its acknowledgement delivered to a local HTTP server (a WeCom-style robot that refuses the
// first message: retried; a batched upstream; a target that is down: retried, then dead-lettered) and to Mosquitto — every event
// exactly once per target, one `cleared`, and observation targets untouched by alarm entries.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { needService, postgresUp, redisUp, dropRedisPrefix, REDIS_TEST_URL } from './helpers/services.ts';
import { compileTemplate } from '../hub/alarms/notify.ts';
import { resolvePublish } from '../hub/delivery/targets.ts';
import type { AlarmNotification } from '../hub/sdk/index.ts';

const T0 = Date.parse('2026-11-28T02:00:00Z');
const at = (i: number) => new Date(T0 + i * 10_000).toISOString();
// %LEL: level 2 raises at 25, level 1 at 50 (2 readings each); down again and cleared below 20.
const RAMP = [0, 10, 26, 28, 30, 52, 55, 60, 44, 40, 30, 15, 10, 5];
const TYPES = ['raised', 'escalated', 'de_escalated', 'cleared', 'acknowledged'];

t.test('body template', async (t) => {
  const tpl = compileTemplate({ msgtype: 'text', text: { content: '{{alarm.level_name}} {{alarm.site_name}}: {{event.value}}{{alarm.unit}} {{event.note}}' }, value: '{{event.value}}', list: ['{{event.type}}', 3, null, true] }, '/t');
  const out = tpl({ 'alarm.level_name': '二级', 'alarm.site_name': '燃气站', 'event.value': 1.5, 'alarm.unit': '%', 'event.note': null, 'event.type': 'raised' });
  t.same(out, { msgtype: 'text', text: { content: '二级 燃气站: 1.5% ' }, value: 1.5, list: ['raised', 3, null, true] }, 'text, a placeholder alone keeps its type, other values as written');
  t.same(compileTemplate('{{ event.level }}', '/t')({ 'event.level': null }), null, 'absent alone: null');
  t.throws(() => compileTemplate({ a: { b: ['x {{alarm.nope}}'] } }, '/publish/targets/r/alarms/template'), { code: 'CONFIG_INVALID', details: { path: '/publish/targets/r/alarms/template/a/b/0' } }, 'unknown placeholder: CONFIG_INVALID with its path');

  const refused = async (targets: Record<string, unknown>, path: string) => {
    const e = await resolvePublish({ targets } as never, '.', {}).then(() => undefined, (x: unknown) => x as { code: string; details: { errors: Array<{ path: string }> } });
    t.equal(e?.code, 'CONFIG_INVALID', path);
    t.ok(e?.details.errors.some((x) => x.path === path), `names ${path}`);
  };
  await refused({ r: { type: 'http_push', stream: 'alarms', alarms: { template: { text: '{{alarm.sitename}}' } }, config: { url: 'http://127.0.0.1:1/' } } }, '/publish/targets/r/alarms/template/text');
  await refused({ r: { type: 'hj212_upstream', stream: 'alarms', config: { host: '127.0.0.1', port: 1, mn: '1', st: '32', pw: '123456' } } }, '/publish/targets/r/stream');
  await refused({ r: { type: 'http_push', stream: 'alarms', filter: { kinds: ['rtd'] }, config: { url: 'http://127.0.0.1:1/' } } }, '/publish/targets/r/filter/kinds');
  const ok = await resolvePublish({ targets: { r: { type: 'http_push', stream: 'alarms', alarms: { template: { a: '{{event.id}}' } }, batch: { max_size: 50 }, config: { url: 'http://127.0.0.1:1/' } } } } as never, '.', {});
  t.equal(ok.targets[0]!.batch.maxSize, 1, 'a templated target sends one event at a time');
});

const brokerUp = () => new Promise<boolean>((resolve) => {
  const s = net.connect(1883, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

interface Req { path: string; key: string; body: Record<string, unknown> }

for (const driver of ['embedded', 'bullmq'] as const) {
  t.test(`notifications, ${driver} driver`, async (t) => {
    if (!needService(t, 'Mosquitto', await brokerUp())) return;
    if (!needService(t, 'PostgreSQL', await postgresUp()) || (driver === 'bullmq' && !needService(t, 'Redis', await redisUp()))) return;
    const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const keyPrefix = `lifeline-alarms-notify-${tag}`;
    if (driver === 'bullmq') t.teardown(() => dropRedisPrefix(keyPrefix));

    // The receivers: /robot refuses its first message (200 with errcode, as WeCom does), /gone is down (503).
    const reqs: Req[] = [];
    let robotCalls = 0;
    const server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => { raw += c; });
      req.on('end', () => {
        const r: Req = { path: req.url!, key: String(req.headers['idempotency-key']), body: JSON.parse(raw) };
        reqs.push(r);
        if (r.path === '/gone') { res.writeHead(503).end('{"error":"down"}'); return; }
        const refuse = r.path === '/robot' && robotCalls++ === 0;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(refuse ? { errcode: 45009, errmsg: 'api freq out of limit' } : { errcode: 0, errmsg: 'ok' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

    const topic = `lifeline-alarms-notify/${tag}`;
    const sub = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
    const msgs: Array<{ topic: string; n: AlarmNotification }> = [];
    sub.on('message', (tp, payload) => msgs.push({ topic: tp, n: JSON.parse(payload.toString()) }));
    await sub.subscribeAsync(`${topic}/#`, { qos: 1 });
    t.teardown(() => sub.endAsync());

    const retry = { initial_ms: 20, max_ms: 50, multiplier: 1.5, max_attempts: 5, jitter: 0 };
    const { hub, cleanup } = await startTestHub('postgres', (c) => {
      (c as { publish?: unknown }).publish = {
        driver, poll_ms: 20, ...(driver === 'bullmq' ? { redis_url: REDIS_TEST_URL, key_prefix: keyPrefix } : {}),
        targets: {
          robot: {
            type: 'http_push', stream: 'alarms', retry, batch: { max_wait_ms: 0 },
            alarms: { events: TYPES, template: { msgtype: 'markdown', markdown: { content: '**{{event.level_name}}{{event.type_name}}** {{alarm.site_name}}（{{alarm.enterprise}}）{{alarm.device_name}} {{alarm.type_name}} {{event.value}} {{alarm.unit}} {{event.at_local}}' }, value: '{{event.value}}', level: '{{event.level}}' } },
            config: { url: `${base}/robot`, success_field: 'errcode' },
          },
          upstream: { type: 'http_push', stream: 'alarms', filter: { domains: ['gas'] }, retry, batch: { max_size: 100, max_wait_ms: 0 }, config: { url: `${base}/upstream` } },
          water_only: { type: 'http_push', stream: 'alarms', filter: { domains: ['water'] }, retry, batch: { max_wait_ms: 0 }, config: { url: `${base}/water` } },
          gone: { type: 'http_push', stream: 'alarms', retry: { ...retry, max_attempts: 2 }, batch: { max_size: 100, max_wait_ms: 0 }, config: { url: `${base}/gone` } },
          bus: { type: 'mqtt_publish', stream: 'alarms', retry, batch: { max_wait_ms: 0 }, config: { url: 'mqtt://127.0.0.1:1883', topic: `${topic}/{site}/{device}/{point}` } },
          obs: { type: 'http_push', retry, batch: { max_size: 1000, max_wait_ms: 0 }, config: { url: `${base}/obs` } },
        },
      };
    });
    t.teardown(cleanup);

    for (let i = 0; i < RAMP.length; i += 5) {
      const r = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records: RAMP.slice(i, i + 5).map((v, k) => ({ point: 'GS-001-C1', time: at(i + k), value: v })) } });
      t.equal(r.json().accepted, Math.min(5, RAMP.length - i));
      await hub.alarms!.catchUp();
    }
    const id = (await hub.app.inject({ url: '/v1/alarms?point=GS-001-C1', headers: auth(KEYS.read) })).json().data[0].id as string;
    t.equal((await hub.app.inject({ method: 'POST', url: `/v1/alarms/${id}/ack`, headers: auth(KEYS.admin), payload: { note: '已接警' } })).statusCode, 200);
    const events = (await hub.app.inject({ url: `/v1/alarms/${id}`, headers: auth(KEYS.read) })).json().events as Array<{ id: string; type: string }>;
    t.same(events.map((e) => e.type), TYPES, 'the episode: raised, escalated, de_escalated, cleared, then acknowledged');

    const count = (path: string, field: string) => reqs.filter((r) => r.path === path).flatMap((r) => r.body[field] as unknown[]).length;
    const delivered = async () => reqs.filter((r) => r.path === '/robot').length >= 6 && msgs.length >= 5 && count('/obs', 'observations') >= RAMP.length
      && count('/upstream', 'alarms') >= 5 && (await hub.publish!.deadLetters('gone')).reduce((s, d) => s + d.count, 0) >= 5;
    const until = Date.now() + 10_000;
    while (!(await delivered()) && Date.now() < until) { hub.publish?.wake(); await new Promise((r) => setTimeout(r, 25)); }
    await new Promise((r) => setTimeout(r, 300)); // nothing more should come

    // The robot: the refused first message again (same key), then one message per event, rendered.
    const robot = reqs.filter((r) => r.path === '/robot');
    t.equal(robot.length, 6, 'five events and one retry');
    t.equal(robot[0]!.key, robot[1]!.key, 'the retry carries the same idempotency key');
    const sent = robot.slice(1);
    t.equal(new Set(sent.map((r) => r.key)).size, 5, 'one request per event');
    t.match(sent[0]!.body, { msgtype: 'markdown', markdown: { content: /^\*\*二级报警\*\* 中山路燃气中压管网（示范市燃气有限公司）地下空间可燃气体探测器 超上限 1\.[34]\d* %\{vol\} 2026-11-28 10:00:30$/ }, level: 2 });
    t.equal(typeof sent[0]!.body.value, 'number', 'a placeholder alone keeps the number');
    t.same(sent.map((r) => (r.body.markdown as { content: string }).content.match(/^\*\*[^*]*?(报警|升级|降级|解除|接警)\*\*/)?.[1]), ['报警', '升级', '降级', '解除', '接警'], 'in order, named');

    // The batched upstream: every event exactly once, each with its alarm; the water-only target got none.
    const up = reqs.filter((r) => r.path === '/upstream').flatMap((r) => r.body.alarms as AlarmNotification[]);
    t.same(up.map((n) => n.event.id), events.map((e) => e.id), 'upstream: each event once, in order');
    t.match(up[3], { event: { type: 'cleared', level: null }, alarm: { id, point: 'GS-001-C1', site: 'GS-001', type: 'over_upper_limit', active: false } });
    t.equal(up.filter((n) => n.event.type === 'cleared').length, 1, 'exactly one cleared');
    t.same(reqs.filter((r) => r.path === '/water'), [], 'filter: no gas alarm to the water target');

    // MQTT: one message per event on the alarm's topic.
    t.same(msgs.map((m) => m.n.event.type), TYPES, 'broker: each event once, in order');
    t.ok(msgs.every((m) => m.topic === `${topic}/GS-001/GS-001-GD/GS-001-C1`), 'topic from the alarm');

    // A target that stays down: each batch retried, then dead-lettered after max_attempts (2).
    const dead = await hub.publish!.deadLetters('gone');
    t.ok(dead.length >= 1, 'dead letter');
    t.equal(dead.reduce((s, d) => s + d.count, 0), 5, 'holding the five events');
    t.equal(reqs.filter((r) => r.path === '/gone').length, 2 * dead.length, 'after max_attempts each');

    // Observation targets skip the alarm entries of the outbox.
    const obs = reqs.filter((r) => r.path === '/obs').flatMap((r) => r.body.observations as unknown[]);
    t.equal(obs.length, RAMP.length, 'the observation target got the readings only');
    const st = (await hub.publish!.status()).find((s) => s.name === 'upstream')!;
    t.match(st, { backlog: 0 }, 'status: nothing left');
  });
}
