import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { SqlDriver, Queryable } from './driver.ts';

/** Embedded PostgreSQL (WASM). `dir` undefined → in memory (tests). */
export async function openPglite(dir?: string): Promise<SqlDriver> {
  if (dir) mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir ? { dataDir: dir } : {});
  const q: Queryable['query'] = async (sql, params) => db.query(sql, params) as never;
  return {
    kind: 'pglite',
    query: q,
    async exec(sql) { await db.exec(sql); },
    transaction: (fn) => db.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) as never })),
    async close() { if (!db.closed) await db.close(); },
  };
}
