import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlDriver } from './driver.ts';

const dir = fileURLToPath(new URL('./migrations/', import.meta.url));

/** A short hash of every migration's name and text: a store template made with them is valid for exactly this set. */
export function migrationsFingerprint(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.sql')).sort()) h.update(f).update('\0').update(readFileSync(dir + f)).update('\0');
  return h.digest('hex').slice(0, 12);
}

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

/**
 * Statements end with `;` at a line's end. A dollar-quoted body (`$$ … $$`, plpgsql) is one piece whatever it holds;
 * our migrations have no other quoted semicolons at line ends.
 */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const line of sql.replace(/^--.*$/gm, '').split('\n')) {
    cur += line + '\n';
    quoted = (line.match(/\$\$/g)?.length ?? 0) % 2 === 1 ? !quoted : quoted;
    if (!quoted && /;\s*$/.test(line)) { out.push(cur.trim().replace(/;$/, '')); cur = ''; }
  }
  if (cur.trim()) out.push(cur.trim());
  return out.filter(Boolean);
}
