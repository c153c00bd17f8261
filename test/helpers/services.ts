// Real local services for tests. With CI=true a missing service fails the test; locally it skips.
import pg from 'pg';
import { randomBytes } from 'node:crypto';

// A service that is down refuses at once; one that is up but slow (both cores busy, a server forking a backend) can
// take seconds to answer. The probe waits long enough that a busy machine is not mistaken for a missing service.
export const PROBE_MS = 15_000;

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: PROBE_MS });
  try { await c.connect(); await c.query('SELECT 1'); return true; } catch { return false; } finally { await c.end().catch(() => undefined); }
}

export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether the shared Redis answers PING (share it only under a key prefix of your own; never FLUSHALL). */
export async function redisUp(url = REDIS_TEST_URL): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try { await r.connect(); return (await r.ping()) === 'PONG'; } catch { return false; } finally { r.disconnect(); }
}

/** Delete every key under `prefix:` (SCAN, not KEYS: the shared Redis has other people's keys too). */
export async function dropRedisPrefix(prefix: string, url = REDIS_TEST_URL): Promise<number> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  let n = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await r.del(...keys);
    } while (cursor !== '0');
  } finally { r.disconnect(); }
  return n;
}

/** Skip (locally) or fail (CI) when a service is missing. Returns true when the test may proceed. */
export function needService(t: Tap.Test, name: string, up: boolean): boolean {
  if (up) return true;
  if (process.env.CI === 'true') { t.fail(`${name} is required in CI but not reachable`); return false; }
  t.plan(0, `${name} not reachable: skipped`);
  return false;
}

/** A fresh PostgreSQL database; drop() removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `lifeline_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Tap { type Test = import('tap').Test }
}
