// Topic templates → subscription filters and variables; PUBACK ordering.
import t from 'tap';
import { compileTopic } from '../topic.ts';
import { AckQueue } from '../acks.ts';

t.test('templates', async (t) => {
  const a = compileTopic('sensors/{vendor}/{device}/up');
  t.equal(a.filter, 'sensors/+/+/up');
  t.same(a.vars, ['vendor', 'device']);
  t.same(a.match('sensors/acme/GD-001/up'), { vendor: 'acme', device: 'GD-001' });
  t.equal(a.match('sensors/acme/GD-001/down'), undefined, 'literal level differs');
  t.equal(a.match('sensors/acme/up'), undefined, 'too few levels');
  t.equal(a.match('sensors/acme/GD-001/up/x'), undefined, 'too many levels');
  t.same(compileTopic('sensors//{device}').match('sensors//d'), { device: 'd' }, 'empty levels are levels');

  const b = compileTopic('{tenant}/+/data/#');
  t.equal(b.filter, '+/+/data/#');
  t.same(b.match('t1/x/data'), { tenant: 't1' }, '# matches the parent level');
  t.same(b.match('t1/x/data/a/b'), { tenant: 't1' });
  t.equal(b.match('$SYS/x/data/a'), undefined, 'wildcards never match $ topics');

  const c = compileTopic('$share/hubs/vendor/{device}/up');
  t.equal(c.filter, '$share/hubs/vendor/+/up', 'shared subscription keeps its prefix in the filter');
  t.same(c.match('vendor/d1/up'), { device: 'd1' }, '…and matches the topic without it');

  t.same(compileTopic('a/b').match('a/b'), {}, 'no variables');
  t.equal(compileTopic('#').match('anything/at/all') !== undefined, true);

  for (const bad of ['a/{x}y/b', 'a/#/b', 'a/{x}/{x}', 'a/b+', '', '$share/', '$share//a']) {
    t.throws(() => compileTopic(bad), `rejects "${bad}"`);
  }
});

t.test('PUBACKs go out in arrival order, each after its commit', async (t) => {
  const sent: number[] = [];
  const q = new AckQueue((id) => sent.push(id));
  const done1 = q.add(1), done2 = q.add(2), done3 = q.add(3);
  done2();
  t.same(sent, [], 'message 2 committed first waits for message 1');
  t.equal(q.pending, 3);
  done1();
  t.same(sent, [1, 2]);
  done3();
  t.same(sent, [1, 2, 3]);
  t.equal(q.pending, 0);
  const done4 = q.add(4);
  q.close();
  done4();
  t.same(sent, [1, 2, 3], 'nothing sent once the connection is gone');
  const many = new AckQueue((id) => sent.push(id));
  const dones = Array.from({ length: 3000 }, (_, i) => many.add(i));
  for (const d of dones.reverse()) d();
  t.equal(many.pending, 0, 'a long run drains (and compacts)');
});

t.test('config errors name the offending key', async (t) => {
  const { default: jsonMqtt } = await import('../index.ts');
  const ctx = { name: 'json_mqtt', timezone: 'Asia/Shanghai', ingest: async () => { throw new Error('unused'); } } as never;
  const base = { url: 'mqtt://127.0.0.1:1', client_id: 'x', reject_unauthorized: true, protocol_version: 5, clean: false, session_expiry_s: 1, keepalive: 60, reconnect_period_ms: 1000, connect_timeout_ms: 1000 };
  const cfg = (over: object) => ({ broker: base, subscriptions: [{ topic: 'a/{device}', profile: 'flat-reading', qos: 1 }], max_payload_bytes: 1000, non_json: 'quarantine', max_in_flight: 10, batch_max_records: 10, batch_max_wait_ms: 1, ...over }) as never;
  await t.rejects(async () => jsonMqtt.create(cfg({ subscriptions: [{ topic: 'a/{device}x', profile: 'flat-reading', qos: 1 }] }), ctx), { code: 'CONFIG_INVALID', message: /\/adapters\/json_mqtt\/subscriptions\/0\/topic/ });
  await t.rejects(async () => jsonMqtt.create(cfg({ subscriptions: [{ topic: 'a/{device}', profile: 'no-such-profile', qos: 1 }] }), ctx), { code: 'CONFIG_INVALID', message: /subscriptions\/0\/profile: no shipped mapping profile "no-such-profile"/ });
  await t.rejects(async () => jsonMqtt.create(cfg({ subscriptions: [{ topic: 'a/{device}', profile: { values: [] }, qos: 1 }] }), ctx), { code: 'CONFIG_INVALID', message: /subscriptions\/0\/profile/ });
  await t.rejects(async () => jsonMqtt.create(cfg({ broker: { ...base, ca: '/nonexistent/ca.pem' } }), ctx), { code: 'CONFIG_INVALID', message: /\/adapters\/json_mqtt\/broker\/ca: cannot read/ });
  const ok = await jsonMqtt.create(cfg({}), ctx);
  await ok.stop();
  t.pass('a valid config creates without connecting; stop() before start() resolves');
});
