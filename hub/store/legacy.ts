// Upgrading a store made in an earlier layout: its rows wait in observation_legacy (0.1's single table, set aside by
// migration 006) or observation_v6 (006's partitioned table of wide rows, set aside by 008), and are moved into
// observation_data in chunks, each chunk one transaction (DELETE … RETURNING → INSERT), so a kill loses nothing
// and the next run resumes where it stopped. Both hold the same columns. Ids move with the rows: outbox ref_ids and
// delivery batches still name them. The hub runs this before it serves (reads and dedup then see one table);
// `lifeline store migrate` runs it without starting the hub.
import type { Queryable, SqlDriver } from './driver.ts';
import { ensurePartition, KIND_GRANULARITY, tableExists, underLock } from './partitions.ts';

/** Oldest first: a 0.1 store upgraded in one go has rows only in observation_legacy (008 dropped the empty v6). */
const SOURCES = ['observation_legacy', 'observation_v6'] as const;

const TAG_COLS = 'device_id, site_id, indicator, unit, source_flag, flags, adapter, raw_unit';

export interface MoveProgress { moved: number; remaining: number; chunks: number; done: boolean }

const exists = tableExists;

async function count(db: Queryable, table: string): Promise<number> {
  return Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
}

/**
 * Rows in `table`, or null when there is no such table. Outside the partition lock another hub may drop it (empty)
 * between any check and the count: "gone" then means moved, not an error (two hubs starting on one database).
 */
async function countIfAny(db: Queryable, table: string): Promise<number | null> {
  try {
    return (await exists(db, table)) ? await count(db, table) : null;
  } catch (e) {
    if ((e as { code?: string }).code === '42P01') return null; // undefined_table: dropped meanwhile
    throw e;
  }
}

/** Rows still waiting in an earlier layout; null when there is no earlier layout left. */
export async function legacyRowCount(db: Queryable): Promise<number | null> {
  let n: number | null = null;
  for (const s of SOURCES) {
    const c = await countIfAny(db, s);
    if (c !== null) n = (n ?? 0) + c;
  }
  return n;
}

// One chunk: its tags first (visible to the move below, in the same transaction), then the rows. The join to
// observation_tag is on the tag's whole key, so every moved row finds its tag; the counts are compared anyway,
// because a row deleted from the source and not inserted would be lost.
async function moveChunk(tx: Queryable, source: string, lastId: string): Promise<number> {
  await tx.query(`INSERT INTO observation_tag (${TAG_COLS}) SELECT DISTINCT ${TAG_COLS} FROM ${source} WHERE id <= $1::bigint
    ON CONFLICT ON CONSTRAINT observation_tag_key DO NOTHING`, [lastId]);
  const r = await tx.query<{ deleted: string; inserted: string }>(
    `WITH m AS (DELETE FROM ${source} WHERE id <= $1::bigint RETURNING *),
          i AS (INSERT INTO observation_data (id, time, received_at, value, point_id, tag, kind, avg, min, max, cou, raw_value, message_id, warnings)
                SELECT m.id, m.time, m.received_at, m.value, m.point_id, t.id, m.kind, m.avg, m.min, m.max, m.cou, m.raw_value, m.message_id,
                       nullif(m.warnings, '{}')
                FROM m JOIN observation_tag t ON t.device_id = m.device_id AND t.site_id = m.site_id AND t.indicator = m.indicator
                  AND t.unit = m.unit AND t.source_flag = m.source_flag AND t.flags = m.flags AND t.adapter = m.adapter
                  AND t.raw_unit IS NOT DISTINCT FROM m.raw_unit
                RETURNING 1)
     SELECT (SELECT count(*) FROM m)::text AS deleted, (SELECT count(*) FROM i)::text AS inserted`, [lastId]);
  const { deleted, inserted } = r.rows[0]!;
  if (deleted !== inserted) throw new Error(`moving ${source} up to id ${lastId}: ${deleted} rows taken, ${inserted} stored; rolled back`);
  return Number(inserted);
}

/**
 * Move the earlier layouts into observation_data, `chunk` rows at a time in id order; drop each once empty.
 * `maxChunks` stops early (tests simulate a kill with it). Safe with two processes: each chunk holds the
 * partition lock, and rows are deleted as they move.
 */
export async function moveLegacy(db: SqlDriver, opts: { chunk?: number; maxChunks?: number; onProgress?: (p: MoveProgress) => void } = {}): Promise<MoveProgress> {
  const chunk = opts.chunk ?? 20_000;
  const p: MoveProgress = { moved: 0, remaining: (await legacyRowCount(db)) ?? 0, chunks: 0, done: false };
  for (const source of SOURCES) {
    const rows = await countIfAny(db, source);
    if (rows === null) continue;
    const empty = rows === 0; // nothing to move: skip straight to dropping the empty table
    while (!empty && (opts.maxChunks === undefined || p.chunks < opts.maxChunks)) {
      const n = await underLock(db, async (tx) => {
        if (!(await exists(tx, source))) return 0;
        const lastId = (await tx.query<{ id: string | null }>(
          `SELECT max(id)::text AS id FROM (SELECT id FROM ${source} ORDER BY id LIMIT $1) s`, [chunk])).rows[0]!.id;
        if (lastId === null) return 0;
        // The chunk's partitions first, so its rows land in them and not in a DEFAULT partition.
        for (const [kind, g] of Object.entries(KIND_GRANULARITY)) {
          const periods = await tx.query<{ p: Date }>(
            `SELECT DISTINCT date_trunc('${g}', time, 'UTC') AS p FROM ${source} WHERE id <= $1::bigint AND kind = $2`, [lastId, kind]);
          for (const r of periods.rows) await ensurePartition(tx, kind, r.p.getTime());
        }
        return moveChunk(tx, source, lastId);
      });
      if (n === 0) break;
      p.moved += n; p.remaining = Math.max(0, p.remaining - n); p.chunks++;
      opts.onProgress?.({ ...p });
    }
  }
  // Dropped only when empty, checked under the lock: another process may still be moving, or we stopped early.
  let left = 0;
  for (const source of SOURCES) {
    left += await underLock(db, async (tx) => {
      if (!(await exists(tx, source))) return 0;
      const n = await count(tx, source);
      if (n === 0) await tx.query(`DROP TABLE ${source}`);
      return n;
    });
  }
  p.remaining = left; p.done = left === 0;
  return p;
}
