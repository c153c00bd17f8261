// A failing delivery target shows where an operator looks: with an http_push target refusing connections
// (ECONNREFUSED), GET /health says degraded, GET /v1/status names the target, the failures are logged as warnings, and once the
// target is back health says ok again. Embedded driver on PGlite; BullMQ on PostgreSQL + the local Redis.
import t from 'tap';
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startHub } from '../../hub.ts';
import { testConfig, auth, KEYS } from '../../../test/helpers/hub.ts';
import { postgresUp, needService, freshDatabase } from '../../../test/helpers/services.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishConfig, feed, type DriverUnderTest } from './fixtures/suite.ts';
import { startTarget, until } from './fixtures/target.ts';
import { targetHealth, noteOutcome } from '../health.ts';

interface LogLine { level: number; msg: string; target?: string; reason?: string }

async function scenario(t: Test, d: DriverUnderTest) {
  const target = await startTarget();
  await target.down(); // the port is closed now: every attempt gets ECONNREFUSED
  t.teardown(() => target.close().catch(() => undefined));
  const lines: LogLine[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); done(); } });
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-health-'));
  const db = d.store === 'postgres' ? await freshDatabase() : undefined;
  const loaded = testConfig(dir, (c) => { if (db) c.store.url = db.url; publishConfig(c, d, target.url, `lh-${randomBytes(4).toString('hex')}`); });
  const hub = await startHub(loaded, { listen: false, logger: pino({ level: 'info' }, sink), env: {} });
  t.teardown(async () => { await hub.stop(); await db?.drop(); rmSync(dir, { recursive: true, force: true }); });
  const health = async () => (await hub.app.inject({ url: '/health' })).json() as { status: string; degraded?: string[] };

  t.same(await health(), { status: 'ok' }, 'ok before anything failed');
  await feed({ hub, cleanup: async () => undefined }, 0, 20);
  await until('health degraded', async () => (await health()).status === 'degraded', 20_000);
  const res = await hub.app.inject({ url: '/health' });
  t.equal(res.statusCode, 200, 'still 200: a liveness probe must not restart the hub over an upstream outage');
  t.same(res.json(), { status: 'degraded' }, 'public: the verdict and nothing more');
  const status = await hub.app.inject({ url: '/v1/status', headers: auth(KEYS.read) });
  t.match(status.json(), { status: 'ready', publish: { up: { status: 'degraded', reason: 'retrying', last_error: /ECONNREFUSED/ } } }, 'GET /v1/status (read key) names the target, why and since when; still ready');

  const h = hub.publish.health()[0]!;
  t.match(h, { name: 'up', status: 'degraded', reason: 'retrying', last_error: /ECONNREFUSED/ }, 'the reason and the last error');
  t.ok(h.since && Date.parse(h.since) <= Date.now(), `failing since ${h.since}`);
  // Health turns degraded as the attempt fails; its warning is written once the retry is recorded, a moment later.
  await until('a failed attempt logged', async () => lines.some((l) => l.msg === 'delivery failed; will retry'), 10_000);
  const failures = lines.filter((l) => l.msg === 'delivery failed; will retry');
  t.ok(failures.length >= 1, `${failures.length} failed attempts logged`);
  t.ok(failures.every((l) => l.level === 40 && l.target === 'up' && /ECONNREFUSED/.test(l.reason ?? '')), 'each at warn level, with the target and the reason');
  t.ok(lines.some((l) => l.level === 40 && /health is degraded/.test(l.msg)), 'the first failure says health is degraded');

  await target.up();
  await until('health ok again', async () => (await health()).status === 'ok', 20_000);
  t.same(hub.publish.health(), [{ name: 'up', status: 'ok' }], 'ok once a batch got through');
  t.ok(lines.some((l) => l.level === 30 && l.msg === 'delivery recovered' && l.target === 'up'), 'the recovery is logged');
}

t.test('embedded/pglite: a target refusing connections makes /health degraded and /v1/status name it', (t) => scenario(t, { store: 'pglite', driver: 'embedded' }));

const pg = await postgresUp();
if (needService(t, 'PostgreSQL', pg)) {
  t.test('bullmq/postgres: the same with BullMQ on the local Redis', (t) => scenario(t, { store: 'postgres', driver: 'bullmq', redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }));
}

t.test('health rules: ok; retrying (store view only: since unknown); dead-lettered then recovered', async (t) => {
  const log = pino({ level: 'silent' });
  t.same(targetHealth('a', undefined, { name: 'a', state: 'running', last_error: null }), { name: 'a', status: 'ok' });
  t.same(targetHealth('a', undefined, { name: 'a', state: 'paused', last_error: null }), { name: 'a', status: 'ok' }, 'paused is an operator decision, not a failure');
  t.match(targetHealth('a', undefined, { name: 'a', state: 'retrying', last_error: 'HTTP 503' }), { status: 'degraded', reason: 'retrying', last_error: 'HTTP 503', since: null }, 'another hub is failing to send: the store says so');
  let s = noteOutcome(undefined, { ok: false, dead: true, error: 'HTTP 400' }, 1000, log, 'a');
  t.match(targetHealth('a', s, { name: 'a', state: 'running', last_error: null }), { status: 'degraded', reason: 'dead_lettered', last_error: 'HTTP 400', since: new Date(1000).toISOString(), attempts: 1 }, 'a refused batch leaves no pending head, but the target is not delivering');
  s = noteOutcome(s, { ok: false, dead: false, error: 'ECONNREFUSED' }, 2000, log, 'a');
  t.match(s, { since: 1000, attempts: 2, deadLettered: 1, lastError: 'ECONNREFUSED', lastDead: false }, 'the streak keeps its start');
  t.match(targetHealth('a', s, undefined), { reason: 'retrying', last_error: 'ECONNREFUSED' }, 'the latest failure says why');
  t.equal(noteOutcome(s, { ok: true }, 3000, log, 'a'), undefined, 'one delivery that gets through ends it');
});
