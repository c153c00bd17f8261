// Upgrading a store made before migration 006: its rows wait in observation_legacy and are moved into the
// partitioned table in chunks, each chunk one transaction (DELETE … RETURNING → INSERT), so a kill loses nothing
// and the next run resumes where it stopped. Ids move with the rows: outbox ref_ids and delivery batches still
// name them. The hub runs this before it serves (reads and dedup then see one table); `lifeline store migrate`
// runs it without starting the hub.
import type { SqlDriver } from './driver.ts';
import { ensurePartition, KIND_GRANULARITY, underLock } from './partitions.ts';

const COLS = `id, point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit, source_flag, flags,
  warnings, adapter, message_id, received_at, raw_value, raw_unit`;

export interface MoveProgress { moved: number; remaining: number; chunks: number; done: boolean }

async function legacyExists(db: SqlDriver): Promise<boolean> {
  return (await db.query<{ r: string | null }>(`SELECT to_regclass('observation_legacy')::text AS r`)).rows[0]!.r !== null;
}

/**
 * Move observation_legacy into observation, `chunk` rows at a time in id order; drop it once empty.
 * `maxChunks` stops early (tests simulate a kill with it). Safe with two processes: each chunk holds the
 * partition lock, and rows are deleted as they move.
 */
export async function moveLegacy(db: SqlDriver, opts: { chunk?: number; maxChunks?: number; onProgress?: (p: MoveProgress) => void } = {}): Promise<MoveProgress> {
  const chunk = opts.chunk ?? 20_000;
  const p: MoveProgress = { moved: 0, remaining: 0, chunks: 0, done: false };
  if (!(await legacyExists(db))) { p.done = true; return p; }
  p.remaining = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation_legacy')).rows[0]!.n);
  const empty = p.remaining === 0; // a fresh store: skip straight to dropping the empty table
  while (!empty && (opts.maxChunks === undefined || p.chunks < opts.maxChunks)) {
    const n = await underLock(db, async (tx) => {
      if ((await tx.query<{ r: string | null }>(`SELECT to_regclass('observation_legacy')::text AS r`)).rows[0]!.r === null) return 0;
      const lastId = (await tx.query<{ id: string | null }>(
        `SELECT max(id)::text AS id FROM (SELECT id FROM observation_legacy ORDER BY id LIMIT $1) s`, [chunk])).rows[0]!.id;
      if (lastId === null) return 0;
      // The chunk's partitions first, so its rows land in them and not in a DEFAULT partition.
      for (const [kind, g] of Object.entries(KIND_GRANULARITY)) {
        const periods = await tx.query<{ p: Date }>(
          `SELECT DISTINCT date_trunc('${g}', time, 'UTC') AS p FROM observation_legacy WHERE id <= $1::bigint AND kind = $2`, [lastId, kind]);
        for (const r of periods.rows) await ensurePartition(tx, kind, r.p.getTime());
      }
      const r = await tx.query<{ n: string }>(
        `WITH m AS (DELETE FROM observation_legacy WHERE id <= $1::bigint RETURNING *),
              i AS (INSERT INTO observation (${COLS}) SELECT ${COLS} FROM m RETURNING 1)
         SELECT count(*)::text AS n FROM i`, [lastId]);
      return Number(r.rows[0]!.n);
    });
    if (n === 0) break;
    p.moved += n; p.remaining = Math.max(0, p.remaining - n); p.chunks++;
    opts.onProgress?.({ ...p });
  }
  // Dropped only when empty, checked under the lock: another process may still be moving, or we stopped early.
  const left = await underLock(db, async (tx) => {
    if ((await tx.query<{ r: string | null }>(`SELECT to_regclass('observation_legacy')::text AS r`)).rows[0]!.r === null) return 0;
    const n = Number((await tx.query<{ n: string }>('SELECT count(*)::text AS n FROM observation_legacy')).rows[0]!.n);
    if (n === 0) await tx.query('DROP TABLE observation_legacy');
    return n;
  });
  p.remaining = left; p.done = left === 0;
  return p;
}
