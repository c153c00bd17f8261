import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlDriver } from './driver.ts';

const dir = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Apply pending migrations in name order, all in one transaction (all or nothing); safe with concurrent hubs (advisory lock).
 * `upTo` (tests: a store as an older release made it) stops after that file.
 */
export async function migrate(db: SqlDriver, opts: { upTo?: string } = {}): Promise<string[]> {
  const applied: string[] = [];
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql') && (!opts.upTo || f <= opts.upTo)).sort();
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7212001)');
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM schema_migration')).rows.map((r) => r.name));
    for (const f of files) {
      if (done.has(f)) continue;
      for (const stmt of splitSql(readFileSync(dir + f, 'utf8'))) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migration (name) VALUES ($1)', [f]);
      applied.push(f);
    }
  });
  return applied;
}

/** Our migrations hold no functions or quoted semicolons, so splitting on ; at line ends is exact. */
function splitSql(sql: string): string[] {
  return sql.replace(/^--.*$/gm, '').split(/;\s*$/m).map((s) => s.trim()).filter(Boolean);
}
