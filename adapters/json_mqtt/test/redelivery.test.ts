// At least once, end to end: a message whose commit failed, or whose hub died before the commit, is
// delivered again by the broker (persistent session, no PUBACK) and stored exactly once.
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { stringify } from 'yaml';
import { needService, postgresUp, freshDatabase } from '../../../test/helpers/services.ts';
import { startTestHub } from '../../../test/helpers/hub.ts';
import { hashKey } from '../../../hub/api/auth.ts';
import { validateAdapterConfigs } from '../../../hub/adapters/loader.ts';
import { LifelineError, type AdapterContext, type AdapterDefinition } from '../../../hub/sdk/index.ts';
import jsonMqtt from '../index.ts';
import { mosquittoUp, connect, until, SYSTEM_BROKER } from './fixtures/broker.ts';
import { addRegistry, observations, topicProfile, uniquePrefix } from './fixtures/setup.ts';
import { launchHub } from '../../../test/helpers/child-hub.ts';

const up = await mosquittoUp();
const pgUp = await postgresUp();
const msg = (i: number) => JSON.stringify({ ts: Date.UTC(2026, 0, 1) + i * 60_000, data: [{ code: 'level', value: i }, { code: 'p', value: 100 + i }] });

async function dropSession(clientId: string) {
  const c = await connect(SYSTEM_BROKER, { protocolVersion: 5, clientId, clean: true, properties: { sessionExpiryInterval: 0 } });
  await c.endAsync();
}

t.test('store down: nothing acknowledged, the broker redelivers after reconnecting, stored once', async (t) => {
  if (!needService(t, 'Mosquitto', up)) return;
  const h = await startTestHub(pgUp ? 'postgres' : 'pglite', (c) => addRegistry(c as never));
  const prefix = uniquePrefix('down');
  const clientId = `lt-${prefix.split('/')[1]}`;
  t.teardown(async () => { await h.cleanup(); await dropSession(clientId); });
  let failing = true;
  let attempts = 0;
  const ac = new AbortController();
  const ctx: AdapterContext = {
    name: 'json_mqtt',
    ingest: async (batch, o) => {
      attempts++;
      if (failing) throw new LifelineError('STORE_COMMIT_FAILED', 'injected: the store is down');
      return h.hub.ingest('json_mqtt', batch, o);
    },
    checkpoint: async () => undefined,
    registry: { devicesFor: () => [], findDevice: () => undefined },
    logger: pino({ level: 'silent' }),
    metrics: { received() {}, sent() {}, error() {}, dropped() {} },
    signal: ac.signal, clock: { now: () => Date.now() }, timezone: 'Asia/Shanghai', dataDir: tmpdir(), configDir: tmpdir(),
    http: { route() {} },
  };
  const config = { broker: { url: SYSTEM_BROKER, client_id: clientId }, subscriptions: [{ topic: `${prefix}/{device}`, profile: topicProfile }] };
  t.same(validateAdapterConfigs(new Map([['json_mqtt', jsonMqtt as unknown as AdapterDefinition]]), { json_mqtt: config }), [], 'config valid');
  const a = await jsonMqtt.create(config as never, ctx);
  t.teardown(() => a.stop());
  await a.start();

  const pub = await connect(SYSTEM_BROKER, { protocolVersion: 5 });
  for (let i = 0; i < 5; i++) await pub.publishAsync(`${prefix}/dev-1`, msg(i), { qos: 1 });
  await pub.endAsync();
  const down = await until(async () => { const x = await a.health(); return x.detail?.state === 'suspended' ? x : undefined; }, 5000, 'suspended');
  t.equal(down.status, 'degraded', 'degraded while the store fails');
  t.match(down.detail!.last_error, /injected: the store is down/, 'last error says why');
  t.equal(down.detail!.readings, 0, 'nothing stored');

  failing = false; // the store is back
  const ok = await until(async () => { const x = await a.health(); return x.detail?.state === 'connected' && (await observations(h)).length >= 10 ? x : undefined; }, 15_000, 'redelivered and stored');
  t.ok(attempts >= 2, `${attempts} ingest attempts`);
  t.ok((ok.detail!.connects as number) >= 2, 'reconnected to get the redelivery');
  await until(async () => (await a.health()).detail?.unacknowledged === 0 && (await a.health()).detail?.in_flight === 0, 5000, 'acknowledged');
  const obs = await observations(h);
  t.equal(obs.length, 10, '5 messages × 2 readings stored exactly once');
  t.same(obs.filter((o) => o.point === 'MQ-dev-1-L').map((o) => o.value).sort(), [0, 0.01, 0.02, 0.03, 0.04], 'values');
  await a.stop();

  const probe = await connect(SYSTEM_BROKER, { protocolVersion: 5, clientId, clean: false });
  const again: string[] = [];
  probe.on('message', (topic) => again.push(topic));
  await new Promise((r) => setTimeout(r, 500));
  await probe.endAsync();
  t.same(again, [], 'all acknowledged once stored');
});

// ---- A hub process SIGKILLed while its commits hang: the messages it had received come again.
const KEY = 'json-mqtt-key';
const launch = (cfg: string, env: NodeJS.ProcessEnv) => launchHub(cfg, env);

t.test('hub SIGKILLed before its commit: the broker redelivers, every reading stored exactly once', async (t) => {
  if (!needService(t, 'Mosquitto', up)) return;
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-mqtt-kill-'));
  const db = await freshDatabase();
  const prefix = uniquePrefix('kill');
  const clientId = `lt-${prefix.split('/')[1]}`;
  let proc: ChildProcess | undefined;
  t.teardown(async () => { proc?.kill('SIGKILL'); await dropSession(clientId); await db.drop(); rmSync(dir, { recursive: true, force: true }); });
  const registry = { sites: [{ code: 'DR-001', name: 'd', domain: 'drainage' }], devices: [] as unknown[], points: [] as unknown[] };
  addRegistry({ registry });
  const cfg = join(dir, 'hub.yaml');
  writeFileSync(cfg, stringify({
    data_dir: './data', server: { host: '127.0.0.1', port: 0 },
    api: { keys: [{ name: 'test', hash: hashKey(KEY), scopes: ['read'] }] },
    adapters: { json_mqtt: { broker: { url: SYSTEM_BROKER, client_id: clientId }, subscriptions: [{ topic: `${prefix}/{device}`, profile: topicProfile }] } },
    registry,
  }));
  const env = { DATABASE_URL: db.url };
  const get = async (url: string, path: string) => (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const mqttHealth = async (url: string) => (await get(url, '/v1/adapters')).data.find((a: { name: string }) => a.name === 'json_mqtt').health.detail;
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  t.teardown(() => sql.end());
  const stored = async () => Number((await sql.query('SELECT count(*) AS n FROM observation')).rows[0].n);

  let hub = await launch(cfg, env);
  proc = hub.proc;
  const pub = await connect(SYSTEM_BROKER, { protocolVersion: 5 });
  t.teardown(() => pub.endAsync());
  const N = 40;
  for (let i = 0; i < N; i++) await pub.publishAsync(`${prefix}/dev-${1 + (i % 2)}`, msg(i), { qos: 1 });
  await until(async () => (await stored()) === 2 * N, 20_000, 'first batch stored');

  // Commits now hang (the table is locked), so the next messages are received but never committed.
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE observation IN ACCESS EXCLUSIVE MODE');
  for (let i = N; i < 2 * N; i++) await pub.publishAsync(`${prefix}/dev-${1 + (i % 2)}`, msg(i), { qos: 1 });
  const seen = await until(async () => { const d = await mqttHealth(hub.url); return d.messages >= 2 * N ? d : undefined; }, 20_000, 'second batch received');
  t.equal(seen.readings, 2 * N, 'second batch received but not committed');
  t.ok(seen.unacknowledged >= 1, `${seen.unacknowledged} messages held unacknowledged`);
  hub.proc.kill('SIGKILL');
  await hub.exited;
  await locker.query('ROLLBACK');
  await locker.end();
  // A batch of observations alone is one autocommitted statement: the backend of the killed hub may still finish it
  // once the lock is gone (PostgreSQL does not notice the dead client while it waits). Either way nothing was
  // acknowledged, so the broker redelivers all of it and dedup stores each reading once (asserted below).
  const afterKill = await stored();
  t.ok(afterKill >= 2 * N && afterKill <= 4 * N, `the second batch was not acknowledged (${afterKill - 2 * N} of its readings committed by the dead hub's backend)`);

  // While the hub is down the broker keeps queueing for its session.
  for (let i = 2 * N; i < 3 * N; i++) await pub.publishAsync(`${prefix}/dev-${1 + (i % 2)}`, msg(i), { qos: 1 });

  hub = await launch(cfg, env);
  proc = hub.proc;
  await until(async () => (await stored()) >= 6 * N, 30_000, 'everything stored after the restart');
  const d = await until(async () => { const x = await mqttHealth(hub.url); return x.in_flight === 0 && x.unacknowledged === 0 ? x : undefined; }, 10_000, 'idle');
  t.ok(d.messages >= 2 * N, `restarted hub received ${d.messages} messages (the ${N} never committed and the ${N} queued)`);
  const { rows } = await sql.query('SELECT count(*) AS n, count(DISTINCT (point_id, kind, time)) AS d FROM observation');
  t.equal(Number(rows[0].n), 6 * N, `${6 * N} readings stored`);
  t.equal(Number(rows[0].d), 6 * N, 'each exactly once');
  hub.proc.kill('SIGTERM');
  await hub.exited;
  proc = undefined;
});
