import pg from 'pg';
import type { SqlDriver } from './driver.ts';
import { hubTypes } from './pg-parsers.ts';

// bigint ids come back as strings (exact); timestamptz as Date and text[] as arrays, by pg-parsers.ts (pg's own values,
// faster); other arrays parsed by pg.
// JIT off for the hub's sessions: its reads are short index probes, but over a month of daily partitions the
// planner's cost estimates pass jit_above_cost, and compiling took 600 ms of a 17 ms query (latest values of one
// indicator over 34 partitions, bench store-scale). An `options` parameter in the URL replaces this one.
const SESSION_OPTIONS = '-c jit=off';

export async function openPostgres(url: string, poolSize = 8): Promise<SqlDriver> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: SESSION_OPTIONS, types: hubTypes });
  pool.on('error', () => { /* a broken idle client is dropped by the pool; queries report their own errors */ });
  const c = await pool.connect(); // fail fast when the server is unreachable
  c.release();
  let listener: pg.Client | undefined;
  let closed = false;
  return {
    kind: 'postgres',
    query: (sql, params) => pool.query(sql, params as unknown[]) as never,
    async exec(sql) { await pool.query(sql); },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn({ query: (sql, params) => client.query(sql, params as unknown[]) as never });
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      // A dedicated connection: pooled clients cannot hold a LISTEN. Reconnects after a server restart.
      const connect = async (): Promise<void> => {
        const client = new pg.Client({ connectionString: url, options: SESSION_OPTIONS });
        listener = client;
        client.on('notification', (m) => { if (m.channel === channel && !closed) onNotify(); });
        client.on('error', () => { if (!closed) setTimeout(() => void connect().catch(() => undefined), 1000); });
        await client.connect();
        await client.query(`LISTEN ${channel}`);
        onNotify(); // changes made while we were not listening
      };
      await connect();
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
