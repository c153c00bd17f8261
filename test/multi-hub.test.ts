// Two hub processes on one PostgreSQL and one Redis (BullMQ delivery), started together: HJ 212 stations split
// between them over real TCP, some stations also re-sending every frame to the other process (a collector that
// fails over). Every observation is stored once, rolled up once, and delivered exactly once to the one target.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresUp, redisUp, needService, freshDatabase, dropRedisPrefix, REDIS_TEST_URL } from './helpers/services.ts';
import { startFleet, type Fleet } from './helpers/hub-fleet.ts';
import { startTarget, judge, until } from '../hub/delivery/test/fixtures/target.ts';
import { Hj212Client } from '../adapters/hj212/transport/client.ts';
import { QnSource, wallTime14 } from '../adapters/hj212/transport/qn.ts';
import { simStations, simRegistry, realtimeUpload, simFactors } from '../adapters/hj212/sim/stations.ts';

const STATIONS = 8, FRAMES = 10, KEY = 'multi-hub-test';

t.test('two hub processes, one PostgreSQL + Redis: stored once, delivered exactly once', { timeout: 90_000 }, async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  if (!needService(t, 'Redis', await redisUp())) return;
  const db = await freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-multihub-'));
  const target = await startTarget();
  const prefix = `lmh-t-${randomBytes(4).toString('hex')}`;
  const stations = simStations(STATIONS, 'MH');
  let fleet: Fleet | undefined;
  const sql = new pg.Client({ connectionString: db.url });
  t.teardown(async () => {
    await fleet?.stop();
    await sql.end().catch(() => undefined);
    await target.close();
    await dropRedisPrefix(prefix);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  fleet = await startFleet({ n: 2, dir, databaseUrl: db.url, redisUrl: REDIS_TEST_URL, keyPrefix: prefix, targetUrl: target.url, registry: simRegistry(stations), apiKey: KEY, batchSize: 100 });
  const f = fleet;
  t.equal(f.hubs.length, 2, 'both hubs started together on a fresh database');
  await sql.connect();

  // Station s goes to hub s % 2; stations 0 and 1 also send every frame to the other hub, concurrently.
  const zone = 'Asia/Shanghai';
  const qns = new QnSource({ now: Date.now }, zone);
  const base = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const clients: Hj212Client[] = [];
  const client = (hub: number) => {
    const c = new Hj212Client({ host: '127.0.0.1', port: f.hubs[hub]!.hj212Port, nextQn: () => qns.next(), timeoutMs: 10_000, retries: 3 });
    clients.push(c);
    return c;
  };
  const runs = stations.flatMap((s, i) => {
    const routes = i < 2 ? [0, 1] : [i % 2];
    return routes.map(async (hub) => {
      const c = client(hub);
      for (let k = 0; k < FRAMES; k++) await c.send(realtimeUpload(s, base + k * 1000, qns.next(), { zone14: (ms) => wallTime14(ms, zone) }));
    });
  });
  await Promise.all(runs);
  for (const c of clients) c.close();
  const expected = STATIONS * FRAMES * simFactors.length;

  const stored = await sql.query<{ id: string }>('SELECT id::text AS id FROM observation');
  t.equal(stored.rowCount, expected, `${expected} observations stored, each once (re-sent frames are duplicates)`);
  const quarantined = await sql.query<{ n: string }>('SELECT count(*)::text AS n FROM quarantine');
  t.equal(quarantined.rows[0]!.n, '0', 'nothing quarantined');

  await until('every stored observation delivered', () => judge(target.accepted).ids.size >= expected, 45_000);
  await until('backlog 0', async () => (await f.get<{ data: Array<{ backlog: number; pending_batches: number }> }>(0, '/v1/publish/targets')).data.every((s) => s.backlog === 0 && s.pending_batches === 0), 20_000);
  await new Promise((r) => setTimeout(r, 500)); // a late duplicate would arrive now
  const j = judge(target.accepted);
  const ids = new Set(stored.rows.map((r) => r.id));
  t.equal([...ids].filter((id) => !j.ids.has(id)).length, 0, 'no stored observation missing at the target');
  t.equal([...j.ids].filter((id) => !ids.has(id)).length, 0, 'nothing delivered that is not stored');
  t.equal(j.crossKeyDuplicates, 0, 'no observation in two different batches');
  t.equal(j.orderViolations, 0, 'per point, delivered in time order');
  t.equal(target.maxInFlight, 1, 'one batch in flight for the target across both hubs');

  // Rollups: the two rollers share one cursor; each reading is counted once.
  await until('rollups caught up', async () => {
    let n = 0, cursor: string | null = null;
    do {
      const page: { data: Array<{ count: number }>; next_cursor: string | null } = await f.get(0, `/v1/observations/aggregate?interval=1d&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const a of page.data) n += a.count;
      cursor = page.next_cursor;
    } while (cursor);
    return n === expected;
  }, 30_000, 250);
  t.pass('day rollups count every reading once');

  for (const h of f.hubs) {
    t.equal(h.proc.exitCode, null, `hub ${h.index} still running`);
    t.same(h.errors, [], `hub ${h.index} logged no error`);
  }
});
