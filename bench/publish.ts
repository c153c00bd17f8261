// Upstream delivery: observations/s pushed to a local HTTP target (batches of 500) and time to drain a 1,000,000-observation backlog, per driver (targets ≥ 20,000 obs/s, < 120 s).
//
// PostgreSQL store (fresh database lifeline_bench_pub_<pid>, dropped at the end): 1 site, 10 devices, 1,000
// points; the backlog is pre-inserted straight into the store as observations plus their outbox rows (1,000
// observations per row, as 1,000-record ingest batches make). Then, per driver, a hub starts with one http_push
// target (batches of 500, JSON) pointing at a node:http server on loopback that counts X-Lifeline-Count and
// drains the body. Measured: the wall time until the target has every observation (drain) and the steady rate
// between 10% and 90% of the backlog. Between drivers the delivery state is reset, the backlog reused.
// bullmq: Redis from REDIS_URL (default redis://127.0.0.1:6379) under a unique key prefix, removed afterwards.
// --outage-s N runs the outage scenario instead (bench/lib/publish-outage.ts): target down N s under live ingest.
import { parseArgs } from 'node:util';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { Redis } from 'ioredis';
import { publishBenchConfig } from './lib/publish-hub.ts';
import { startHub } from '../hub/hub.ts';
import { BenchUsageError } from './lib/errors.ts';
import { cpuSnapshot, cpuSince, type CpuReport } from './lib/cpu.ts';
import { runOutage } from './lib/publish-outage.ts';

const TARGET_RATE = 20_000;
const TARGET_DRAIN_S = 120;
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const HELP = `usage: npm run bench -- publish [--driver embedded|bullmq|both] [--count N] [--batch N] [--outage-s N [--rate N]]

  --driver   drivers to measure (default both)
  --count    backlog size (default 1000000)
  --batch    observations per delivery batch (default 500)
  --outage-s instead of the backlog: the target down N s (refused 2/3, 503 1/3) under live ingest, then up;
             checks nothing lost, order kept (default 0 = backlog benchmark; default target settings)
  --rate     live ingest for --outage-s, obs/s (default 3000)

DATABASE_URL names a PostgreSQL server and a role that may CREATE DATABASE (default ${DEFAULT_PG_URL});
REDIS_URL the Redis for the bullmq driver (default redis://127.0.0.1:6379; a unique key prefix, cleaned up).`;

async function target() {
  let received = 0, requests = 0;
  const marks: Array<[number, number]> = [];
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      received += Number(req.headers['x-lifeline-count'] ?? 0);
      requests++;
      marks.push([performance.now(), received]);
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
    get received() { return received; }, get requests() { return requests; }, marks,
    reset() { received = 0; requests = 0; marks.length = 0; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export async function run(args: string[]): Promise<void> {
  let values;
  try {
    values = parseArgs({ args, options: { driver: { type: 'string', default: 'both' }, count: { type: 'string', default: '1000000' }, batch: { type: 'string', default: '500' }, 'outage-s': { type: 'string', default: '0' }, rate: { type: 'string', default: '3000' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const drivers = values.driver === 'both' ? ['embedded', 'bullmq'] as const : values.driver === 'embedded' || values.driver === 'bullmq' ? [values.driver] : [];
  if (!drivers.length) throw new BenchUsageError(`--driver must be embedded, bullmq or both\n\n${HELP}`);
  const count = Number(values.count.replace(/[_,]/g, ''));
  const batch = Number(values.batch);
  if (!Number.isInteger(count) || count < 1000) throw new BenchUsageError('--count: an integer ≥ 1000');
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) throw new BenchUsageError('--batch: 1–100000');
  const outageS = Number(values['outage-s']), rate = Number(values.rate);
  if (!Number.isFinite(outageS) || outageS < 0 || outageS > 3600) throw new BenchUsageError('--outage-s: 0–3600');
  if (!Number.isInteger(rate) || rate < 1 || rate > 100_000) throw new BenchUsageError('--rate: 1–100000');

  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_PG_URL;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (outageS > 0) {
    const probe = new pg.Client({ connectionString: adminUrl });
    try { await probe.connect(); } catch (e) { throw new BenchUsageError(`PostgreSQL at ${adminUrl} is not reachable: ${(e as Error).message}`); } finally { await probe.end().catch(() => undefined); }
    if (!(await runOutage({ outageS, rate, drivers: drivers as Array<'embedded' | 'bullmq'>, adminUrl, redisUrl }))) process.exitCode = 1;
    return;
  }
  const dbName = `lifeline_bench_pub_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try { await admin.connect(); } catch (e) { throw new BenchUsageError(`PostgreSQL at ${adminUrl} is not reachable: ${(e as Error).message}`); }
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-pub-'));
  const tgt = await target();
  const prefix = `lbench${process.pid}`;
  const results: Array<{ driver: string; drainS: number; rate: number; steady: number; cpu: CpuReport }> = [];
  try {
    const config = (publish: boolean, driver: string) => {
      const loaded = publishBenchConfig(dir, url);
      const c = loaded.config;
      if (publish) {
        c.publish = { driver: driver as 'embedded', redis_url: redisUrl, key_prefix: prefix, poll_ms: 100,
          targets: { bench: { type: 'http_push', batch: { max_size: batch, max_wait_ms: 200 }, retry: { initial_ms: 200, max_ms: 2000 }, config: { url: tgt.url } } } };
      }
      return loaded;
    };
    // The registry, then the backlog straight into the store.
    const setup = await startHub(config(false, 'embedded'), { listen: false, logger: pino({ level: 'silent' }), env: {} });
    await setup.stop();
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    let t0 = performance.now();
    process.stdout.write(`publish: inserting a backlog of ${count.toLocaleString('en')} observations … `);
    await db.query(`WITH pts AS (SELECT (row_number() OVER (ORDER BY p.id) - 1)::int AS k, p.id, p.device_id, d.site_id FROM point p JOIN device d ON d.id = p.device_id)
      INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, unit, adapter, received_at)
      SELECT pts.id, pts.device_id, pts.site_id, 'water.pipe_pressure', 'rtd', to_timestamp(1767225600 + g / 1000), (g % 1000) / 1000.0, 'MPa', 'bench', now()
      FROM generate_series(0, $1::int - 1) g JOIN pts ON pts.k = g % 1000`, [count]);
    await db.query(`INSERT INTO outbox (topic, ref_ids, count)
      SELECT 'observation', array_agg(id ORDER BY id), count(*) FROM observation GROUP BY (id - 1) / 1000 ORDER BY min(id)`);
    await db.query('ANALYZE');
    console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);

    for (const driver of drivers) {
      await db.query('DELETE FROM delivery_batch'); await db.query('DELETE FROM delivery_target');
      tgt.reset();
      const cpu0 = cpuSnapshot(true);
      t0 = performance.now();
      const hub = await startHub(config(true, driver), { listen: false, logger: pino({ level: 'silent' }), env: {} });
      let last = 0;
      const deadline = t0 + TARGET_DRAIN_S * 2 * 1000;
      while (tgt.received < count && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        if (performance.now() - last > 5000) { last = performance.now(); process.stdout.write(`  ${driver}: ${tgt.received.toLocaleString('en')} delivered after ${((last - t0) / 1000).toFixed(0)} s\n`); }
      }
      const drainS = (performance.now() - t0) / 1000;
      const cpu = cpuSince(cpu0, true);
      await hub.stop();
      if (driver === 'bullmq') {
        const r = new Redis(redisUrl);
        const keys = await r.keys(`${prefix}:*`);
        for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
        r.disconnect();
      }
      const lo = tgt.marks.find((m) => m[1] >= count * 0.1), hi = tgt.marks.find((m) => m[1] >= count * 0.9);
      const steady = lo && hi && hi[0] > lo[0] ? (hi[1] - lo[1]) / ((hi[0] - lo[0]) / 1000) : 0;
      results.push({ driver, drainS, rate: tgt.received / drainS, steady, cpu });
      console.log(`  ${driver}: ${tgt.received.toLocaleString('en')} of ${count.toLocaleString('en')} delivered in ${drainS.toFixed(1)} s (${tgt.requests} requests)`);
    }
    await db.end();
  } finally {
    await tgt.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\npublish: ${count.toLocaleString('en')}-observation backlog, batches of ${batch}, JSON over HTTP on loopback, PostgreSQL store`);
  console.log('driver     drain_s   overall_obs_s   steady_obs_s (10–90%)   result');
  let fail = false;
  for (const r of results) {
    const ok = r.steady >= TARGET_RATE && r.drainS < TARGET_DRAIN_S;
    fail ||= !ok;
    console.log(`${r.driver.padEnd(9)}  ${r.drainS.toFixed(1).padStart(7)}   ${Math.round(r.rate).toLocaleString('en').padStart(13)}   ${Math.round(r.steady).toLocaleString('en').padStart(21)}   ${ok ? 'PASS' : 'FAIL'}`);
    const c = r.cpu;
    console.log(`           cpu: hub process ${c.processCores.toFixed(2)} cores (event loop ${(c.mainElu * 100).toFixed(0)}% busy), postgres ${c.postgresCores?.toFixed(2) ?? '?'}, other processes ${c.otherCores?.toFixed(2) ?? '?'} of ${c.cores}`);
  }
  console.log(`target: steady ≥ ${TARGET_RATE.toLocaleString('en')} obs/s and the backlog drained in < ${TARGET_DRAIN_S} s, per driver → ${fail ? 'FAIL' : 'PASS'}`);
}
