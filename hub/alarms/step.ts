// One evaluator step on the outbox. alarmStep follows the outbox (cursor row 'alarms' in rollup_cursor, behind the
// OutboxHorizon like the rollup roller's, plus the entries already evaluated above it in `seen`) and commits rule
// state, alarms, events with their notifications' outbox entry, and the cursor in ONE transaction, so a crash loses
// or doubles nothing (docs/alarms.md, durability).
import type { Queryable, SqlDriver } from '../store/driver.ts';
import { byIdsWhere, spanOf, SPAN_COLS, type SpanRow } from '../store/time-span.ts';
import { Batch, StateBook } from './batch.ts';
import { evaluate, OBS_COLS, type AlarmContext, type Obs } from './evaluate.ts';

export const CURSOR = 'alarms';

/**
 * The key of the transaction-level advisory lock every evaluator step and no_data check takes first on PostgreSQL (one
 * writer of the rule states and the cursor at a time, across hub processes; the others skip or wait). A lock on the
 * cursor row did that until 2026-12: locking a row gives the transaction an id at once, and an open transaction id
 * holds back the horizon below which PostgreSQL may prune dead row versions, for the whole step, most of it this
 * thread evaluating. Every ingest batch updates the latest-value row of each point it carries; while a step was open
 * none of the versions it replaced could be pruned, and the upsert slowed (docs/alarms.md). An advisory lock gives no
 * transaction id: the step gets one only when it writes, at its end.
 */
export const STEP_LOCK = 0x6c6c_6173; // 'llas'

/**
 * Takes the step lock in `tx` (a transaction on PostgreSQL): false when `wait` is off and another process holds it.
 * Then the next statement's snapshot sees that process's last commit: it released the lock only after its commit.
 */
export async function lockSteps(tx: Queryable, wait: boolean): Promise<boolean> {
  const r = await tx.query<{ ok: boolean }>(wait ? 'SELECT true AS ok FROM pg_advisory_xact_lock($1::bigint)' : 'SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [STEP_LOCK]);
  return r.rows[0]!.ok;
}

/** The cursor row (at the outbox's start when new). */
export async function ensureAlarmCursor(db: Queryable): Promise<void> {
  await db.query('INSERT INTO rollup_cursor (name, outbox_id) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING', [CURSOR]);
}

export interface AlarmStep { observations: number; caughtUp: boolean; /** another process holds the cursor */ busy?: boolean; events: number }

const parseIdArray = (text: string): string[] => (text.length > 2 ? text.slice(1, -1).split(',') : []);

/**
 * The observation entries of the outbox after the cursor that are not in `seen`, in id order, whatever the horizon (all
 * visible ones are committed), about `cap` observations at most. `cut`: some were left for the next step. The ids an
 * entry names are read only for entries not `held` in memory; `defer`: an entry to leave for the next step (with the
 * ones after it).
 */
async function takeVisible(tx: Queryable, cap: number, asyncCommit: boolean, safeMax: string, held: string[], defer: (entry: string) => boolean) {
  // The cursor row (the caller holds the step lock: one evaluator at a time) and the entries of every topic after it,
  // one round trip. An entry's ids (a thousand numbers as text) only where they are needed: not for the
  // entries already evaluated (in `seen`) nor for those this process holds, nor for those after the step's `cap`
  // (the observations of the entries before one reach it): an evaluator far behind used to get a thousand entries'
  // ids, a million numbers, for the twenty it takes.
  const all = (await tx.query<{ c: string; seen: string; id: string | null; obs: boolean; ids: string; n: number } & SpanRow>(
    `WITH cur AS (SELECT outbox_id, seen${asyncCommit ? ", set_config('synchronous_commit', 'off', true) AS sc" : ''} FROM rollup_cursor WHERE name = $1)
     SELECT cur.outbox_id::text AS c, cur.seen::text AS seen, o.* FROM cur LEFT JOIN LATERAL (
       SELECT id::text AS id, topic = 'observation' AS obs,
         CASE WHEN topic = 'observation' AND id <> ALL(cur.seen) AND id <> ALL($2::bigint[])
           AND coalesce(sum(count) FILTER (WHERE topic = 'observation' AND id <> ALL(cur.seen))
                        OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) < $3
         THEN ref_ids::text ELSE '{}' END AS ids, count AS n, ${SPAN_COLS}
       FROM outbox WHERE id > cur.outbox_id ORDER BY outbox.id LIMIT 1000) o ON true`, [CURSOR, held, cap])).rows;
  if (!all.length) return undefined;
  const cur = { c: all[0]!.c, seen: all[0]!.seen };
  const seen = new Set(parseIdArray(cur.seen));
  const rows = all[0]!.id === null ? [] : all;
  // In id order up to the first id that is missing and may still commit (above the horizon: a writer in flight, most
  // often another ingest finishing): readings of a point are evaluated in the order their batches took their entries,
  // as with the horizon alone, but without waiting for transactions that write no entry (the roller's).
  const safe = BigInt(safeMax);
  let expect = BigInt(cur.c) + 1n;
  let sum = 0;
  // cutAt: more entries may follow now; everything up to this id was looked at.
  let cutAt: bigint | undefined, done: bigint | undefined;
  const used: typeof rows = [];
  let gap = false;
  for (const r of rows) {
    const id = BigInt(r.id!);
    if (id > expect && expect > safe) { gap = true; break; } // a gap that may still fill
    if (r.obs && !seen.has(r.id!)) {
      if (used.length && sum + r.n > cap) { cutAt = done; break; }
      if (defer(r.id!)) { cutAt = done ?? BigInt(cur.c); break; } // for the next step, with its rows in memory
      sum += r.n;
      used.push(r);
    }
    expect = id + 1n;
    done = id;
  }
  if (!gap && cutAt === undefined && rows.length === 1000) cutAt = done;
  return { cur, used, cut: cutAt !== undefined, cutAt };
}

/**
 * One step, one transaction: the observation entries committed since the last step (every visible one after the
 * cursor not yet seen, about `cap` observations) evaluated; then the cursor moves up to `safeMax` (the OutboxHorizon:
 * below it nothing can commit any more) and the entries evaluated above it are kept in `seen`. So an alarm waits for
 * its own commit only, not for every transaction in flight, and each entry is evaluated exactly once.
 */
export async function alarmStep(db: SqlDriver, safeMax: string, ctx: AlarmContext, cap = 20_000): Promise<AlarmStep> {
  // PGlite: one process, and an open transaction holds the whole engine, idle while this thread evaluates and while it
  // gets round to the engine's replies between statements (10 ms a step in the ingest bench, an eighth of the engine's
  // time). So there the step reads and evaluates outside any transaction, one step at a time in this process
  // (oneAtATime; the cursor row's lock did that), and writes in one statement, or in a transaction only when alarms
  // changed (Batch.commit). On PostgreSQL a transaction holds only its rows: the step stays one transaction, and the
  // step lock (an advisory lock: no transaction id until the step writes, see STEP_LOCK) keeps one process at a time.
  // After the commit (and, on PGlite, before the next step starts): the states as committed, for the next step.
  const committed = (r: Awaited<ReturnType<typeof stepOn>>): AlarmStep => {
    const { commit, entries, next, ...out } = r as AlarmStep & { commit?: { cursor: string; book: StateBook }; entries?: string[]; next?: bigint };
    if (commit) ctx.cache = commit;
    if (entries) ctx.recent?.forget(entries, next);
    return out;
  };
  return db.kind === 'pglite'
    ? oneAtATime(db, () => stepOn(db, db, safeMax, ctx, cap).then(committed))
    : db.transaction(async (tx) => (await lockSteps(tx, false) ? stepOn(tx, undefined, safeMax, ctx, cap) : BUSY)).then(committed);
}

/** Another process holds the step lock: it evaluates, this one sleeps a little. */
const BUSY = { observations: 0, caughtUp: false, busy: true, events: 0 } as const;

const chains = new WeakMap<object, Promise<unknown>>();
/**
 * Runs `fn` after every call queued before it for the same store has ended (embedded store: the evaluator's steps and
 * no_data checks, which outside a transaction no row lock keeps apart).
 */
export function oneAtATime<T>(db: object, fn: () => Promise<T>): Promise<T> {
  const run = (chains.get(db) ?? Promise.resolve()).then(fn, fn);
  chains.set(db, run.catch(() => undefined));
  return run;
}

/** The step's work on `tx` (a transaction, or the embedded store itself); `writer`: commit through Batch.commit on it. */
async function stepOn(tx: Queryable, writer: SqlDriver | undefined, safeMax: string, ctx: AlarmContext, cap: number) {
  // The batches this process committed, as held now (ingest may add more while the step runs; none is lost to the cap
  // in between).
  const held = ctx.recent?.held() ?? new Map<string, readonly Obs[]>();
  // What a step writes is derived from committed observations and the committed state: its commit need not wait for
  // its own WAL flush (one fsync per step less, beside ingest's). A hub crash loses nothing (the server has it); a
  // server crash may lose the last steps, which the evaluator then redoes from the state and cursor that remain.
  // Nothing of them leaves the hub first but the SSE stream: a notification's batch is built by a later,
  // synchronous commit, whose flush covers this one (docs/alarms.md, durability).
  // (Set in the step's first query: no round trip of its own.)
  // SKIP LOCKED (as the rollup roller): with several hub processes one evaluates while the others sleep.
  const recent = ctx.recent;
  // An entry not held while an ingest of this process is committing is most likely its batch, handed over in a moment:
  // left for the next step once rather than read back.
  const defer = (entry: string) => recent !== undefined && !held.has(entry) && recent.peek(entry) === undefined && (ctx.inflight?.() ?? 0) > 0 && recent.deferOnce(entry);
  const take = await takeVisible(tx, cap, !writer /* PostgreSQL's transaction */, safeMax, [...held.keys()], defer);
  if (!take) return { observations: 0, caughtUp: true, events: 0 }; // no cursor row (yet): nothing to follow
  const { cur, used, cut } = take;
  const seen = parseIdArray(cur.seen);
  const position = `${cur.c}|${cur.seen}`;
  const entries = used.map((r) => r.id!);
  // Below safeMax every entry is committed and so was taken now or before; with some left for the next step, the
  // cursor stops at the last one taken.
  let next = BigInt(safeMax);
  if (take.cutAt !== undefined && take.cutAt < next) next = take.cutAt;
  if (next < BigInt(cur.c)) next = BigInt(cur.c);
  const nextSeen = [...seen, ...entries].filter((id) => BigInt(id) > next).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const nextPosition = `${next}|{${nextSeen.join(',')}}`;
  const cached = ctx.cache?.cursor === position ? ctx.cache.book : undefined;
  if (!entries.length && nextPosition === position) return { observations: 0, caughtUp: true, events: 0, commit: { cursor: position, book: cached ?? new StateBook() }, entries, next };
  let events = 0;
  // The cache holds only while the cursor is where this process left it; it is handed back only after a commit.
  const book = cached ?? new StateBook();
  ctx.cache = undefined;
  // Rows this process committed come from memory; the rest (another process's, or not held) are read back.
  const obs: Obs[] = [];
  const missing: string[] = [];
  const fromStore: typeof used = [];
  for (const r of used) {
    const rows = held.get(r.id!) ?? recent?.peek(r.id!); // (or handed over while the entries were read)
    if (rows) { for (const o of rows) obs.push(o); continue; }
    if (r.ids.length > 2) { for (const x of parseIdArray(r.ids)) missing.push(x); fromStore.push(r); }
  }
  if (missing.length) {
    const params: unknown[] = [missing];
    for (const o of (await tx.query<Obs & { id: string }>(`SELECT id::text AS id, ${OBS_COLS} FROM observation WHERE ${byIdsWhere('$1', spanOf(fromStore), params)}`, params)).rows) {
      const { id, ...rest } = o;
      rest.n = Number(id);
      obs.push(rest);
    }
  }
  const b = new Batch(tx, book);
  // Per point in (time, id) order: evaluate() groups them and sorts a point's readings only when they are not.
  if (obs.length) await evaluate(b, ctx, obs);
  const cursor = { name: CURSOR, next: String(next), seen: nextSeen };
  if (writer) await b.commit(writer, cursor); else await b.flush(cursor);
  events = b.events;
  return { observations: obs.length, caughtUp: !cut, events, commit: { cursor: nextPosition, book }, entries, next };
}
