import pg from 'pg';
import type { SqlDriver } from './driver.ts';

// bigint ids come back as strings (exact); timestamptz as Date; arrays parsed by pg.
export async function openPostgres(url: string, poolSize = 8): Promise<SqlDriver> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => { /* a broken idle client is dropped by the pool; queries report their own errors */ });
  const c = await pool.connect(); // fail fast when the server is unreachable
  c.release();
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
    async close() { await pool.end(); },
  };
}
