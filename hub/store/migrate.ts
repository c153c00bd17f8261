import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlDriver } from './driver.ts';

const dir = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Apply pending migrations in name order, all in one transaction (all or nothing); safe with concurrent hubs (advisory lock).
 * `until` stops after the named migration: a store as an earlier release made it (upgrade tests, bench references).
 */
export async function migrate(db: SqlDriver, opts: { until?: string } = {}): Promise<string[]> {
  const applied: string[] = [];
  const all = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  if (opts.until !== undefined && !all.includes(opts.until)) throw new Error(`no migration named ${opts.until} (have ${all.join(', ')})`);
  const files = opts.until === undefined ? all : all.filter((f) => f <= opts.until!);
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7212001)');
    // Under the lock: two hubs starting together on a fresh database would otherwise both run this CREATE, and
    // CREATE TABLE IF NOT EXISTS is not safe concurrently (the loser fails on pg_type_typname_nsp_index).
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
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
