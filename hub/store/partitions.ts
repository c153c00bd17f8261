// Time partitions of `observation_data` (migrations 006, 008): LIST by kind, then RANGE by time, one granularity per kind.
// Creating partitions ahead, moving rows out of a kind's DEFAULT partition, and dropping expired ones all run here,
// each step in its own short transaction under one advisory lock, so two hub processes on one PostgreSQL take
// turns instead of racing on the same DDL.
import type { Queryable, SqlDriver } from './driver.ts';

export const PARTITION_LOCK = 7212006;

export type Granularity = 'day' | 'month' | 'year';
/** rtd and min arrive every few seconds or minutes: a day each. hour and day are rare: coarser ranges keep the count low. */
export const KIND_GRANULARITY: Record<string, Granularity> = { rtd: 'day', min: 'day', hour: 'month', day: 'year' };
export const KINDS = Object.keys(KIND_GRANULARITY);

const DAY_MS = 86_400_000;

/** The start of the period holding `ms` (UTC). */
export function periodStart(g: Granularity, ms: number): number {
  const d = new Date(ms);
  if (g === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (g === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return Date.UTC(d.getUTCFullYear(), 0, 1);
}

export function periodEnd(g: Granularity, startMs: number): number {
  const d = new Date(startMs);
  if (g === 'day') return startMs + DAY_MS;
  if (g === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** observation_rtd_p20261125, observation_hour_p202611, observation_day_p2026. */
export function partitionName(kind: string, startMs: number): string {
  const g = KIND_GRANULARITY[kind]!;
  const d = new Date(startMs);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const suffix = g === 'day' ? `${y}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` : g === 'month' ? `${y}${pad(d.getUTCMonth() + 1)}` : y;
  return `observation_${kind}_p${suffix}`;
}

const NAME = /^observation_(rtd|min|hour|day)_p(\d{4})(\d{2})?(\d{2})?$/;

/** The kind and range a partition name stands for (undefined: a DEFAULT or foreign table). */
export function parsePartitionName(name: string): { kind: string; fromMs: number; toMs: number } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const kind = m[1]!;
  const g = KIND_GRANULARITY[kind]!;
  const expect = g === 'day' ? 3 : g === 'month' ? 2 : 1;
  if ([m[2], m[3], m[4]].filter(Boolean).length !== expect) return undefined;
  const fromMs = Date.UTC(Number(m[2]), m[3] ? Number(m[3]) - 1 : 0, m[4] ? Number(m[4]) : 1);
  return { kind, fromMs, toMs: periodEnd(g, fromMs) };
}

const iso = (ms: number) => new Date(ms).toISOString();

// pg_class read through the statement's snapshot, not to_regclass: after waiting for PARTITION_LOCK, a backend's
// catalog cache can still miss a table another hub created meanwhile, or name one it dropped (invalidations are
// taken on relation locks, not advisory ones); the DDL that follows would then fail.
export async function tableExists(tx: Queryable, name: string): Promise<boolean> {
  return (await tx.query<{ e: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = $1 AND n.nspname = ANY (current_schemas(false))) AS e`, [name])).rows[0]!.e;
}

/**
 * Make the partition of `kind` holding `ms`, if missing. Rows already in the kind's DEFAULT partition for that
 * range are moved into it first: attaching a range the DEFAULT holds rows for would fail. Returns the rows moved,
 * or -1 when the partition already existed.
 */
export async function ensurePartition(tx: Queryable, kind: string, ms: number): Promise<number> {
  const g = KIND_GRANULARITY[kind];
  if (!g) return -1;
  const from = periodStart(g, ms), to = periodEnd(g, from);
  const name = partitionName(kind, from);
  if (await tableExists(tx, name)) return -1;
  const parent = `observation_${kind}`, def = `observation_${kind}_default`;
  const bounds = `FOR VALUES FROM ('${iso(from)}') TO ('${iso(to)}')`;
  const range = [iso(from), iso(to)];
  const waiting = (await tx.query(`SELECT 1 FROM ${def} WHERE time >= $1::timestamptz AND time < $2::timestamptz LIMIT 1`, range)).rows.length > 0;
  if (!waiting) {
    await tx.query(`CREATE TABLE ${name} PARTITION OF ${parent} ${bounds}`);
    return 0;
  }
  // Built beside the parent, filled from the DEFAULT, then attached (its indexes are created to match on attach).
  await tx.query(`CREATE TABLE ${name} (LIKE ${def} INCLUDING DEFAULTS)`);
  const moved = await tx.query<{ n: string }>(
    `WITH m AS (DELETE FROM ${def} WHERE time >= $1::timestamptz AND time < $2::timestamptz RETURNING *),
          i AS (INSERT INTO ${name} SELECT * FROM m RETURNING 1)
     SELECT count(*)::text AS n FROM i`, range);
  await tx.query(`ALTER TABLE ${parent} ATTACH PARTITION ${name} ${bounds}`);
  return Number(moved.rows[0]!.n);
}

/** One short transaction holding the partition lock (PGlite has advisory locks too; there it costs nothing). */
export async function underLock<T>(db: SqlDriver, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
    return fn(tx);
  });
}

export interface MaintainResult { created: string[]; movedFromDefault: number }

/**
 * Create each kind's partitions from today to `daysAhead` days ahead, and a partition for every period that has
 * rows waiting in a DEFAULT partition (readings older or further ahead than the window), moving those rows in.
 */
export async function maintainPartitions(db: SqlDriver, opts: { nowMs: number; daysAhead: number }): Promise<MaintainResult> {
  // One transaction for the whole run: a commit per partition costs most on PGlite (each one syncs its files),
  // and at start the hub waits for this.
  return underLock(db, async (tx) => {
    const out: MaintainResult = { created: [], movedFromDefault: 0 };
    for (const kind of KINDS) {
      const g = KIND_GRANULARITY[kind]!;
      const want = new Set<number>();
      // Ahead only for rtd and for kinds written lately: every partition costs each query that cannot prune by time
      // (by-id reads plan one index probe per partition), and an unused kind would otherwise add one a day. A kind's
      // first rows wait in its DEFAULT partition until the next run (hourly) gives them a partition.
      const recent = periodStart(g, opts.nowMs - 2 * (periodEnd(g, periodStart(g, opts.nowMs)) - periodStart(g, opts.nowMs)));
      const active = kind === 'rtd' || (await tx.query(`SELECT 1 FROM observation_${kind} WHERE time >= $1::timestamptz LIMIT 1`, [iso(recent)])).rows.length > 0;
      if (active) for (let d = 0; d <= opts.daysAhead; d++) want.add(periodStart(g, opts.nowMs + d * DAY_MS));
      const waiting = await tx.query<{ p: Date }>(`SELECT DISTINCT date_trunc('${g}', time, 'UTC') AS p FROM observation_${kind}_default`);
      for (const r of waiting.rows) want.add(r.p.getTime());
      for (const start of [...want].sort((a, b) => a - b)) {
        const moved = await ensurePartition(tx, kind, start);
        if (moved >= 0) { out.created.push(partitionName(kind, start)); out.movedFromDefault += moved; }
      }
    }
    return out;
  });
}

export interface PartitionInfo {
  name: string;
  /** undefined for the DEFAULT partitions and observation_other */
  kind?: string;
  fromMs?: number;
  toMs?: number;
  bytes: number;
  /** readings: the planner's estimate of its plain rows (exact count where the table was never analysed), plus the
   * readings packed from it (exact, migration 013) */
  rows: number;
  /** of `rows`, how many are packed (observation_pack); `bytes` counts their packs too */
  packedRows: number;
  oldestMs: number | null;
  newestMs: number | null;
}

/** Every leaf partition of observation, oldest range first per kind. */
export async function listPartitions(db: Queryable): Promise<PartitionInfo[]> {
  const leaves = await db.query<{ name: string; bytes: string; est: number }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS bytes, c.reltuples::float8 AS est
     FROM pg_partition_tree('observation_data') t JOIN pg_class c ON c.oid = t.relid
     WHERE t.isleaf ORDER BY c.relname`);
  const out: PartitionInfo[] = [];
  const packs = (await db.query<{ e: boolean }>(`SELECT to_regclass('observation_pack') IS NOT NULL AS e`)).rows[0]!.e;
  for (const l of leaves.rows) {
    const p = parsePartitionName(l.name);
    const mm = await db.query<{ lo: Date | null; hi: Date | null; n: string | null }>(
      `SELECT min(time) AS lo, max(time) AS hi, ${l.est < 0 ? 'count(*)::text' : 'NULL::text'} AS n FROM ${l.name}`);
    const r = mm.rows[0]!;
    const pk = p && packs ? await packsOf(db, p) : { n: 0, bytes: 0, lo: null, hi: null };
    const plain = r.n !== null ? Number(r.n) : Math.round(l.est);
    const lo = [r.lo?.getTime(), pk.lo?.getTime()].filter((x): x is number => x !== undefined);
    const hi = [r.hi?.getTime(), pk.hi?.getTime()].filter((x): x is number => x !== undefined);
    out.push({
      name: l.name, kind: p?.kind, fromMs: p?.fromMs, toMs: p?.toMs, bytes: Number(l.bytes) + pk.bytes,
      // A packed partition is empty and never analysed since (reltuples -1, or 0 when it was): its rows are the late ones.
      rows: plain + pk.n, packedRows: pk.n, oldestMs: lo.length ? Math.min(...lo) : null, newestMs: hi.length ? Math.max(...hi) : null,
    });
  }
  // Per kind, oldest range first; the DEFAULT partitions and observation_other last.
  const key = (p: PartitionInfo) => (p.kind ? `0${KINDS.indexOf(p.kind)}` : `1${p.name}`);
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : (a.fromMs ?? 0) - (b.fromMs ?? 0)));
}

/**
 * The packs made from one partition (migration 013: those of its kind lying within its range, as retention drops
 * them): their readings, bytes as stored (each array column's size on disk, compressed or out of line, plus the fixed
 * columns and tuple header, about 72 bytes a pack; their share of the pack indexes is not counted), and time span. No pack is unpacked to say it.
 */
async function packsOf(db: Queryable, p: { kind: string; fromMs: number; toMs: number }) {
  const cols = ['ids', 'times', 'received', 'vals', 'tags', 'avgs', 'mins', 'maxs', 'cous', 'raws', 'msgs', 'warns'];
  const r = await db.query<{ n: string; bytes: string; lo: Date | null; hi: Date | null }>(
    `SELECT coalesce(sum(n), 0)::text AS n, coalesce(sum(72 + ${cols.map((c) => `coalesce(pg_column_size(${c}), 0)`).join(' + ')}), 0)::text AS bytes,
            min(lo) AS lo, max(hi) AS hi
     FROM observation_pack WHERE kind = $1 AND lo >= to_timestamp($2 / 1000.0) AND hi >= to_timestamp($2 / 1000.0) AND hi < to_timestamp($3 / 1000.0)`,
    [p.kind, p.fromMs, p.toMs]);
  const x = r.rows[0]!;
  return { n: Number(x.n), bytes: Number(x.bytes), lo: x.lo, hi: x.hi };
}

/** Days to keep per kind; null or absent: kept for ever. */
export type Retention = Partial<Record<string, number | null>>;
export const DEFAULT_RETENTION: Retention = { rtd: 180, min: 730, hour: null, day: null };

/** A partition expires when its whole range is older than now minus the kind's retention. */
export function expired(p: { kind?: string; toMs?: number }, retention: Retention, nowMs: number): boolean {
  if (!p.kind || p.toMs === undefined) return false;
  const days = retention[p.kind];
  return typeof days === 'number' && days > 0 && p.toMs <= nowMs - days * DAY_MS;
}

/** Every leaf partition's name. */
export async function listPartitionNames(db: Queryable): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_partition_tree('observation_data') t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf ORDER BY 1`);
  return r.rows.map((x) => x.name);
}

/** The partitions the next retention run drops (names only: cheap, no per-partition scan). */
export async function retentionPlan(db: Queryable, retention: Retention, nowMs: number): Promise<string[]> {
  return (await listPartitionNames(db)).filter((n) => { const p = parsePartitionName(n); return p !== undefined && expired(p, retention, nowMs); });
}

/**
 * Drop every expired partition: whole tables, never a row-by-row DELETE. Rows of an expired range still in a
 * DEFAULT partition are moved into their partition first by maintainPartitions (run it before this).
 */
export async function applyRetention(db: SqlDriver, retention: Retention, nowMs: number): Promise<string[]> {
  const dropped: string[] = [];
  for (const name of await retentionPlan(db, retention, nowMs)) {
    await underLock(db, async (tx) => {
      if (await tableExists(tx, name)) {
        await tx.query(`DROP TABLE ${name}`);
        // Its packed readings (migration 013) go with it: one pack per point and kind, not a DELETE per reading.
        const p = parsePartitionName(name)!;
        await tx.query(`DELETE FROM observation_pack WHERE kind = $1 AND lo >= to_timestamp($2 / 1000.0) AND hi < to_timestamp($3 / 1000.0)`, [p.kind, p.fromMs, p.toMs]);
        dropped.push(name);
      }
    });
  }
  return dropped;
}
