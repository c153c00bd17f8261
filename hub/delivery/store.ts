// The delivery state in the store (migration 002): per target a cursor into the outbox, and its batches.
// Both drivers use these functions, so the store stays the one source of truth for what was delivered.
import type { Queryable, SqlDriver } from '../store/driver.ts';
import type { Registry } from '../registry/registry.ts';
import { STREAM_TOPIC, type TargetFilter, type TargetSpec } from './targets.ts';
import { alarmFilterSql } from '../alarms/notify.ts';
import { cleanText, sanitiseJson, truncateText } from '../sdk/text.ts';
import { byIdsWhere, spanOf, SPAN_COLS, type SpanRow } from '../store/time-span.ts';

export interface BatchRow {
  id: string; target: string; state: 'pending' | 'done' | 'dead'; ids: string[]; count: number; idempotency_key: string;
  attempt: number; next_at_ms: number; /** until next_at, by the store's clock */ wait_ms: number; last_error: string | null;
  /** The time span of its observations (bounds the read to their partitions); null for batches built before 007. */
  lo: string | null; hi: string | null;
}

/** Parse a PostgreSQL array literal of integers ("{1,2,3}"), the same on pg and PGlite. */
export const parseIds = (text: string): string[] => (text.length > 2 ? text.slice(1, -1).split(',') : []);

/** Rows for targets seen for the first time: at the outbox's start, or (start: latest) at its current end. */
export async function ensureTargets(db: Queryable, targets: Array<{ name: string; start: 'earliest' | 'latest' }>): Promise<void> {
  if (!targets.length) return;
  await db.query(`INSERT INTO delivery_target (target, outbox_id)
    SELECT u.name, CASE WHEN u.start = 'latest' THEN (SELECT COALESCE(max(id), 0) FROM outbox) ELSE 0 END
    FROM unnest($1::text[], $2::text[]) AS u(name, start) ON CONFLICT (target) DO NOTHING`, [targets.map((t) => t.name), targets.map((t) => t.start)]);
}

/** SQL conditions for a target's filter, with site codes and domains resolved through today's registry. */
export function filterSql(f: TargetFilter, reg: Registry, params: unknown[]): string[] {
  const w: string[] = [];
  const add = (sql: (n: string) => string, v: unknown) => { params.push(v); w.push(sql(`$${params.length}`)); };
  if (f.sites) add((n) => `site_id = ANY(${n}::int[])`, f.sites.map((c) => reg.sites.get(c)?.id).filter((x) => x !== undefined));
  if (f.domains) {
    const ds = new Set(f.domains);
    add((n) => `(split_part(indicator, '.', 1) = ANY(${n}::text[]) OR indicator = ANY($${params.length + 1}::text[]))`, f.domains);
    params.push([...reg.catalogue.values()].filter((i) => ds.has(i.domain)).map((i) => i.code));
  }
  if (f.indicators) add((n) => `indicator = ANY(${n}::text[])`, f.indicators);
  if (f.kinds) add((n) => `kind = ANY(${n}::text[])`, f.kinds);
  return w;
}

export interface BuildResult { batches: number; observations: number; /** when > 0: a partial batch waits this long for more */ waitMs: number; /** the cursor reached safeMax */ caughtUp?: boolean }

/**
 * Move outbox entries (id ≤ safeMax) past the target's cursor into batches, in one transaction: the batches and the
 * advanced cursor commit together, so a crash can neither lose nor duplicate a batch. Whole outbox entries are
 * consumed; a smaller-than-max_size remainder is held back until its oldest entry has waited max_wait_ms.
 */
export async function buildBatches(db: SqlDriver, t: TargetSpec, reg: Registry, safeMax: string): Promise<BuildResult> {
  return db.transaction(async (tx) => {
    const cur = (await tx.query<{ c: string }>('SELECT outbox_id::text AS c FROM delivery_target WHERE target = $1 FOR UPDATE', [t.name])).rows[0];
    if (!cur || BigInt(cur.c) >= BigInt(safeMax)) return { batches: 0, observations: 0, waitMs: 0, caughtUp: true };
    const cap = Math.max(t.batch.maxSize * 20, 5000);
    const rows = (await tx.query<{ id: string; ids: string; n: number; age: number; at: number } & SpanRow>(
      `SELECT id::text AS id, ref_ids::text AS ids, count AS n, ${SPAN_COLS}, (extract(epoch FROM now() - created_at) * 1000)::float8 AS age,
              (extract(epoch FROM created_at) * 1000)::float8 AS at
       FROM outbox WHERE id > $1::bigint AND id <= $2::bigint AND topic = $3 ORDER BY outbox.id LIMIT 1000`, [cur.c, safeMax, STREAM_TOPIC[t.stream]])).rows;
    if (!rows.length) {
      await tx.query('UPDATE delivery_target SET outbox_id = $2::bigint, updated_at = now() WHERE target = $1', [t.name, safeMax]);
      return { batches: 0, observations: 0, waitMs: 0, caughtUp: true };
    }
    let ids: string[] = [];
    let taken = 0, sum = 0;
    for (const r of rows) {
      if (taken && sum + r.n > cap) break;
      for (const id of parseIds(r.ids)) ids.push(id);
      sum += r.n;
      taken++;
    }
    const used = rows.slice(0, taken);
    // Every entry of this target's topic up to safeMax taken: the cursor goes to safeMax (past the other topic's entries too).
    const lastEntry = used[used.length - 1]!.id;
    const last = taken === rows.length && rows.length < 1000 ? safeMax : lastEntry;
    const span = spanOf(used);
    const params: unknown[] = [ids];
    if (t.stream === 'alarms') {
      const w = alarmFilterSql(t.filter, t.alarms, reg, params);
      if (w.length) ids = (await tx.query<{ id: string }>(`SELECT e.id::text AS id FROM alarm_event e JOIN alarm a ON a.id = e.alarm_id WHERE e.id = ANY($1::bigint[]) AND ${w.join(' AND ')} ORDER BY e.id`, params)).rows.map((r) => r.id);
    } else {
      const w = filterSql(t.filter, reg, params);
      if (w.length) ids = (await tx.query<{ id: string }>(`SELECT id::text AS id FROM observation WHERE ${byIdsWhere('$1', span, params)} AND ${w.join(' AND ')} ORDER BY observation.id`, params)).rows.map((r) => r.id);
    }
    const oldest = used[0]!;
    const moreAvailable = taken < rows.length || rows.length === 1000;
    if (ids.length && ids.length < t.batch.maxSize && !moreAvailable && oldest.age < t.batch.maxWaitMs) {
      return { batches: 0, observations: 0, waitMs: Math.max(1, Math.ceil(t.batch.maxWaitMs - oldest.age)) };
    }
    const chunks: string[] = [], counts: number[] = [], keys: string[] = [];
    for (let i = 0, k = 0; i < ids.length; i += t.batch.maxSize, k++) {
      const part = ids.slice(i, i + t.batch.maxSize);
      chunks.push(part.join(','));
      counts.push(part.length);
      // Stable: the same outbox range always gives the same key, even if the target's batches were rebuilt.
      keys.push(`${t.name}.${oldest.id}-${lastEntry}.${k}`);
    }
    if (chunks.length) {
      // Each chunk carries the span of the whole build: wider than its own, never narrower.
      await tx.query(`INSERT INTO delivery_batch (target, observation_ids, count, idempotency_key, first_outbox_at, min_time, max_time)
        SELECT $1, string_to_array(u.ids, ',')::bigint[], u.n, u.k, to_timestamp($5 / 1000.0), $6::timestamptz, $7::timestamptz
        FROM unnest($2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS u(ids, n, k, o) ORDER BY u.o
        ON CONFLICT (idempotency_key) DO NOTHING`, [t.name, chunks, counts, keys, oldest.at, span?.lo ?? null, span?.hi ?? null]);
    }
    await tx.query('UPDATE delivery_target SET outbox_id = $2::bigint, updated_at = now() WHERE target = $1', [t.name, last]);
    return { batches: chunks.length, observations: ids.length, waitMs: 0, caughtUp: last === safeMax };
  });
}

const BATCH_COLS = `id::text AS id, target, state, observation_ids::text AS ids, count, idempotency_key, attempt, min_time::text AS lo, max_time::text AS hi,
  (extract(epoch FROM next_at) * 1000)::float8 AS next_at_ms, GREATEST(0, extract(epoch FROM next_at - now()) * 1000)::float8 AS wait_ms, last_error`;
const toBatch = (r: BatchRow & { ids: string | string[] }): BatchRow => ({ ...r, ids: typeof r.ids === 'string' ? parseIds(r.ids) : r.ids });

/** The head batch and the target's paused flag in one round trip (the send loops ask this once per batch). */
export async function headOrPaused(db: Queryable, target: string): Promise<{ paused: boolean; head?: BatchRow }> {
  const r = (await db.query<BatchRow & { paused: boolean; id: string | null }>(`SELECT t.paused, b.* FROM delivery_target t
    LEFT JOIN LATERAL (SELECT ${BATCH_COLS} FROM delivery_batch WHERE target = t.target AND state = 'pending' ORDER BY delivery_batch.id LIMIT 1) b ON true
    WHERE t.target = $1`, [target])).rows[0];
  if (!r) return { paused: false };
  const { paused, ...b } = r;
  return { paused, head: b.id === null ? undefined : toBatch(b as BatchRow) };
}

/** The pending batch after `afterId` (prefetch). */
export async function nextBatch(db: Queryable, target: string, afterId: string): Promise<BatchRow | undefined> {
  const r = (await db.query<BatchRow>(`SELECT ${BATCH_COLS} FROM delivery_batch WHERE target = $1 AND state = 'pending' AND id > $2::bigint ORDER BY delivery_batch.id LIMIT 1`, [target, afterId])).rows[0];
  return r && toBatch(r);
}

/**
 * Mark a batch done and, in the same round trip, read what comes next for its target (the paused flag and the new
 * head: the UPDATE is not visible to the same statement's snapshot, hence `id <> $1`).
 */
export async function markDone(db: Queryable, b: BatchRow): Promise<{ updated: boolean; next: { paused: boolean; head?: BatchRow } }> {
  const r = (await db.query<BatchRow & { updated: number; paused: boolean; id: string | null }>(`
    WITH d AS (UPDATE delivery_batch SET state = 'done', attempt = attempt + 1, done_at = now(), last_error = NULL
               WHERE id = $1::bigint AND state = 'pending' AND attempt = $2 RETURNING id)
    SELECT (SELECT count(*) FROM d)::int AS updated, t.paused, nb.* FROM delivery_target t
    LEFT JOIN LATERAL (SELECT ${BATCH_COLS} FROM delivery_batch WHERE target = t.target AND state = 'pending' AND id <> $1::bigint
                       ORDER BY delivery_batch.id LIMIT 1) nb ON true
    WHERE t.target = $3`, [b.id, b.attempt, b.target])).rows[0];
  if (!r) return { updated: false, next: { paused: false } };
  const { updated, paused, ...nb } = r;
  return { updated: updated > 0, next: { paused, head: nb.id === null ? undefined : toBatch(nb as BatchRow) } };
}

// An upstream's answer is text from outside: NUL or a lone surrogate in it (or one left by cutting a pair at 2000) would
// fail this UPDATE and leave the head batch stuck; it is kept as U+FFFD instead (hub/sdk/text.ts).
const errorText = (reason: string) => cleanText(truncateText(reason, 2000));

export async function markRetry(db: Queryable, b: BatchRow, reason: string, delayMs: number): Promise<boolean> {
  const r = await db.query(`UPDATE delivery_batch SET attempt = attempt + 1, last_error = $3, next_at = now() + $4 * interval '1 millisecond'
    WHERE id = $1::bigint AND state = 'pending' AND attempt = $2 RETURNING id`, [b.id, b.attempt, errorText(reason), delayMs]);
  return r.rows.length > 0;
}

export async function markDead(db: Queryable, b: BatchRow, reason: string, response: unknown): Promise<boolean> {
  const r = await db.query(`UPDATE delivery_batch SET state = 'dead', attempt = attempt + 1, last_error = $3, response = $4::jsonb, done_at = now()
    WHERE id = $1::bigint AND state = 'pending' AND attempt = $2 RETURNING id`, [b.id, b.attempt, errorText(reason), response === undefined ? null : JSON.stringify(sanitiseJson(response).value)]);
  return r.rows.length > 0;
}

/**
 * Delete outbox entries older than keepS that every one of `targets` has consumed (with no targets: every entry older
 * than keepS), a bounded chunk at a time so a large backlog never holds a long lock. Returns how many went.
 * The rollup roller is a reader too: nothing above the lowest rollup_cursor goes.
 */
export async function pruneOutbox(db: Queryable, targets: string[], keepS: number, chunk = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await db.query<{ n: string }>(`WITH gone AS (
        DELETE FROM outbox WHERE id IN (
          SELECT id FROM outbox
          WHERE created_at < now() - $2 * interval '1 second'
            AND ($3::int = 0 OR id <= (SELECT COALESCE(min(outbox_id), 0) FROM delivery_target WHERE target = ANY($1::text[])))
            AND id <= (SELECT COALESCE(min(outbox_id), 9223372036854775807) FROM rollup_cursor)
          ORDER BY id LIMIT $4)
        RETURNING 1)
      SELECT count(*)::text AS n FROM gone`, [targets, keepS, targets.length, chunk]);
    const n = Number(r.rows[0]!.n);
    total += n;
    if (n < chunk) return total;
  }
}

/** Done batches are kept an hour (for status and duplicate checks), then forgotten. */
export async function pruneDone(db: Queryable, keepS = 3600): Promise<void> {
  await db.query(`DELETE FROM delivery_batch WHERE state = 'done' AND done_at < now() - $1 * interval '1 second'`, [keepS]);
}

export interface TargetStatusRow {
  target: string; outbox_id: string; paused: boolean; pending_batches: number; pending_observations: number;
  unbatched_observations: number; dead_letters: number; oldest_ms: number | null; head_attempt: number | null;
  head_error: string | null; head_next_at_ms: number | null; now_ms: number;
}

/** `topics[i]`: the outbox topic target `names[i]` reads (default observation). */
export async function targetStatus(db: Queryable, names: string[], topics: string[] = names.map(() => 'observation')): Promise<TargetStatusRow[]> {
  return (await db.query<TargetStatusRow>(`
    SELECT t.target, t.outbox_id::text AS outbox_id, t.paused,
      (SELECT count(*) FROM delivery_batch b WHERE b.target = t.target AND b.state = 'pending')::int AS pending_batches,
      (SELECT COALESCE(sum(count), 0) FROM delivery_batch b WHERE b.target = t.target AND b.state = 'pending')::int AS pending_observations,
      (SELECT COALESCE(sum(count), 0) FROM outbox o WHERE o.id > t.outbox_id AND o.topic = u.topic)::int AS unbatched_observations,
      (SELECT count(*) FROM delivery_batch b WHERE b.target = t.target AND b.state = 'dead')::int AS dead_letters,
      (extract(epoch FROM LEAST(
        (SELECT min(first_outbox_at) FROM delivery_batch b WHERE b.target = t.target AND b.state = 'pending'),
        (SELECT min(created_at) FROM outbox o WHERE o.id > t.outbox_id AND o.topic = u.topic))) * 1000)::float8 AS oldest_ms,
      h.attempt AS head_attempt, h.last_error AS head_error, (extract(epoch FROM h.next_at) * 1000)::float8 AS head_next_at_ms,
      (extract(epoch FROM now()) * 1000)::float8 AS now_ms
    FROM delivery_target t JOIN unnest($1::text[], $2::text[]) AS u(name, topic) ON u.name = t.target
    LEFT JOIN LATERAL (SELECT attempt, last_error, next_at FROM delivery_batch b WHERE b.target = t.target AND b.state = 'pending' ORDER BY b.id LIMIT 1) h ON true
    ORDER BY t.target`, [names, topics])).rows;
}

export async function setPaused(db: Queryable, target: string, paused: boolean): Promise<void> {
  await db.query('UPDATE delivery_target SET paused = $2, updated_at = now() WHERE target = $1', [target, paused]);
}

export interface DeadLetterRow {
  id: string; count: number; idempotency_key: string; attempt: number; last_error: string | null; response: unknown;
  created_at: Date; done_at: Date | null; first_observation_id: string | null; last_observation_id: string | null;
}

export async function deadLetters(db: Queryable, target: string, afterId: string | undefined, limit: number): Promise<DeadLetterRow[]> {
  return (await db.query<DeadLetterRow>(`SELECT id::text AS id, count, idempotency_key, attempt, last_error, response, created_at, done_at,
      observation_ids[1]::text AS first_observation_id, observation_ids[array_length(observation_ids, 1)]::text AS last_observation_id
    FROM delivery_batch WHERE target = $1 AND state = 'dead' AND id > $2::bigint ORDER BY delivery_batch.id LIMIT $3`, [target, afterId ?? '0', limit])).rows;
}

/** Dead batches back to pending (same observations, same idempotency key, attempts from 0): they go first in line. */
export async function replayDead(db: Queryable, target: string, ids: string[] | 'all'): Promise<string[]> {
  const r = await db.query<{ id: string }>(`UPDATE delivery_batch SET state = 'pending', attempt = 0, next_at = now(), response = NULL, done_at = NULL
    WHERE target = $1 AND state = 'dead' ${ids === 'all' ? '' : 'AND id = ANY($2::bigint[])'} RETURNING id::text AS id`, ids === 'all' ? [target] : [target, ids]);
  return r.rows.map((x) => x.id).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

/** Lease (embedded driver on a shared PostgreSQL): one hub process sends for a target at a time. */
export async function takeLease(db: Queryable, target: string, owner: string, ttlMs: number): Promise<boolean> {
  const r = await db.query(`UPDATE delivery_target SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond'
    WHERE target = $1 AND (lease_owner = $2 OR lease_owner IS NULL OR lease_until < now()) RETURNING target`, [target, owner, ttlMs]);
  return r.rows.length > 0;
}

export async function dropLease(db: Queryable, target: string, owner: string): Promise<void> {
  await db.query('UPDATE delivery_target SET lease_owner = NULL, lease_until = NULL WHERE target = $1 AND lease_owner = $2', [target, owner]);
}

/** The highest pending batch id per target (the BullMQ reconciler makes sure a job covers it). */
export async function lastPending(db: Queryable, targets: string[]): Promise<Map<string, BatchRow>> {
  const rows = (await db.query<BatchRow>(`SELECT DISTINCT ON (target) ${BATCH_COLS} FROM delivery_batch
    WHERE target = ANY($1::text[]) AND state = 'pending' ORDER BY target, delivery_batch.id DESC`, [targets])).rows;
  return new Map(rows.map((r) => [r.target, toBatch(r)]));
}

export async function batchesAfter(db: Queryable, target: string, afterId: string): Promise<Array<{ id: string; idempotency_key: string }>> {
  return (await db.query<{ id: string; idempotency_key: string }>(`SELECT id::text AS id, idempotency_key FROM delivery_batch
    WHERE target = $1 AND state = 'pending' AND id > $2::bigint ORDER BY delivery_batch.id`, [target, afterId])).rows;
}
