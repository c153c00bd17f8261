// `lifeline store status|retention|migrate`: the observation partitions of the store named by --config (or the
// sample config with DATABASE_URL / LIFELINE_DATA_DIR / --data-dir), on PostgreSQL or the embedded PGlite store.
import { parseArgs } from 'node:util';
import type { SqlDriver } from './driver.ts';
import { listPartitions, maintainPartitions, retentionPlan, applyRetention, type PartitionInfo, type Retention } from './partitions.ts';
import { retentionOf, type StoreUpkeepConfig } from './upgrade.ts';
import { legacyRowCount, moveLegacy } from './legacy.ts';

const USAGE = `usage: lifeline store status              [--config FILE | --data-dir DIR] [--json]
       lifeline store retention [--dry-run]  [--config FILE | --data-dir DIR] [--json]
       lifeline store migrate [--chunk N]    [--config FILE | --data-dir DIR]
PostgreSQL: DATABASE_URL (or store.url in the config). Embedded store: stop the hub first (it holds the data directory).`;

const kB = (n: number) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.round(n / 1024)} kB`);
const day = (ms?: number) => (ms === undefined ? '' : new Date(ms).toISOString().slice(0, 10));
const ts = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const describe = (r: Retention) => Object.entries(r).map(([k, v]) => `${k} ${typeof v === 'number' ? `${v} d` : 'kept'}`).join(', ');

export interface StatusReport {
  partitions: PartitionInfo[];
  total: { partitions: number; bytes: number; rows: number; packed_rows: number };
  legacy_rows: number | null;
  retention: Retention;
  next_retention_drops: string[];
}

/** Whether migration 008 (the partitioned, compact layout) has run: status reads only, it never migrates. */
async function partitioned(db: SqlDriver): Promise<boolean> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = 'observation_data'`)).rows[0]!.n > 0;
}

export async function storeStatus(db: SqlDriver, retention: Retention, nowMs: number): Promise<StatusReport> {
  const legacyRows = await legacyRowCount(db);
  if (!(await partitioned(db))) return { partitions: [], total: { partitions: 0, bytes: 0, rows: 0, packed_rows: 0 }, legacy_rows: legacyRows, retention, next_retention_drops: [] };
  const partitions = await listPartitions(db);
  return {
    partitions,
    total: { partitions: partitions.length, bytes: partitions.reduce((a, p) => a + p.bytes, 0), rows: partitions.reduce((a, p) => a + p.rows, 0), packed_rows: partitions.reduce((a, p) => a + p.packedRows, 0) },
    legacy_rows: legacyRows, retention, next_retention_drops: await retentionPlan(db, retention, nowMs),
  };
}

export function formatStatus(s: StatusReport): string {
  const head = ['partition', 'kind', 'range', 'size', 'rows (est.)', 'packed', 'oldest', 'newest'];
  const rows = s.partitions.map((p) => [
    p.name + (s.next_retention_drops.includes(p.name) ? ' *' : ''), p.kind ?? (p.name.endsWith('_default') ? 'default' : 'other'),
    p.fromMs === undefined ? '(outside the partitions)' : `${day(p.fromMs)} … ${day(p.toMs)}`, kB(p.bytes), p.rows.toLocaleString('en'),
    p.packedRows ? p.packedRows.toLocaleString('en') : '-', ts(p.oldestMs), ts(p.newestMs),
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((x, k) => (k < r.length - 1 ? x.padEnd(w[k]!) : x)).join('  ');
  const out = s.partitions.length ? [line(head), ...rows.map(line), ''] : ['observation is not in the partitioned layout yet (migrations 006–008 not applied): `lifeline store migrate` or start the hub'];
  out.push(`${s.total.partitions} partitions, ${kB(s.total.bytes)}, about ${s.total.rows.toLocaleString('en')} observations`
    + (s.total.packed_rows ? ` (${s.total.packed_rows.toLocaleString('en')} of them packed)` : ''));
  if (s.legacy_rows !== null) out.push(`${s.legacy_rows.toLocaleString('en')} observations from an earlier layout still to move (lifeline store migrate, or start the hub)`);
  out.push(`retention: ${describe(s.retention)}`);
  out.push(s.next_retention_drops.length
    ? `next retention run drops ${s.next_retention_drops.length} partition(s) (marked *): ${s.next_retention_drops.join(', ')}`
    : 'next retention run drops nothing');
  return out.join('\n');
}

export async function storeCommand(args: string[], log: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    config: { type: 'string', short: 'c' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, chunk: { type: 'string' },
  } });
  const cmd = positionals[0];
  if (cmd !== 'status' && cmd !== 'retention' && cmd !== 'migrate') { log(USAGE); return 2; }
  const { loadConfig, sampleConfigPath } = await import('../config/load.ts');
  const loaded = loadConfig(values.config ?? sampleConfigPath);
  if (!values.config) loaded.baseDir = process.cwd(); // as `lifeline start`: the sample's ./data is where you run it
  if (values['data-dir']) loaded.config.data_dir = values['data-dir'];
  const upkeep = loaded.config.store as StoreUpkeepConfig;
  const retention = retentionOf(upkeep);
  const { openStore } = await import('../hub.ts');
  const db = await openStore(loaded);
  try {
    const now = Date.now();
    if (cmd === 'status') {
      const s = await storeStatus(db, retention, now);
      log(values.json ? JSON.stringify(s, null, 2) : formatStatus(s));
      return 0;
    }
    const { migrate } = await import('./migrate.ts');
    await migrate(db);
    if (cmd === 'migrate') {
      const chunk = values.chunk ? Number(values.chunk) : undefined;
      const t0 = performance.now();
      const p = await moveLegacy(db, { chunk, onProgress: (x) => log(`moved ${x.moved.toLocaleString('en')}, ${x.remaining.toLocaleString('en')} to go (${Math.round(x.moved / ((performance.now() - t0) / 1000)).toLocaleString('en')}/s)`) });
      const m = await maintainPartitions(db, { nowMs: now, daysAhead: upkeep.partitions_ahead_days ?? 3 });
      log(`store layout up to date: ${p.moved.toLocaleString('en')} observations moved, ${m.created.length} partitions created, ${m.movedFromDefault} rows moved out of DEFAULT partitions`);
      return 0;
    }
    if ((await legacyRowCount(db)) !== null) { log('observations from an earlier layout are still to move: run `lifeline store migrate` first'); return 1; }
    if (values['dry-run']) {
      const plan = await retentionPlan(db, retention, now);
      if (values.json) log(JSON.stringify({ retention, would_drop: plan }, null, 2));
      else log(plan.length ? `would drop ${plan.length} partition(s): ${plan.join(', ')}` : 'would drop nothing');
      return 0;
    }
    // Rows of an expired range waiting in a DEFAULT partition get their partition first, and go with it.
    await maintainPartitions(db, { nowMs: now, daysAhead: upkeep.partitions_ahead_days ?? 3 });
    const dropped = await applyRetention(db, retention, now);
    if (values.json) log(JSON.stringify({ retention, dropped }, null, 2));
    else log(dropped.length ? `dropped ${dropped.length} partition(s): ${dropped.join(', ')}` : 'dropped nothing');
    return 0;
  } finally {
    await db.close();
  }
}
