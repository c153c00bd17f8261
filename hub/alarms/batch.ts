// What one evaluator step (or no_data check, or backtest) changes, kept in memory and written at the end of its
// transaction in a few statements (step.ts, no-data.ts, backtest.ts): rule states (written only when their stored form changes), alarms,
// events with their notifications' outbox entry, and the cursor.
import type { Queryable, SqlDriver } from '../store/driver.ts';
import type { PointEntry, Registry } from '../registry/registry.ts';
import { alarmType, type CompiledRule } from './rules.ts';
import type { RuleState } from './threshold.ts';
import { ALARM_TOPIC, lockEventOrder } from './enqueue.ts';

/**
 * A rule's memory between readings, as the evaluator keeps it: a rate_of_change window as one flat array (time, value,
 * time, value …, oldest first: no array per reading, nothing per reading for the garbage collector to promote), a stuck
 * or quality run. Stored as JSON (alarm_rule_state.memo), the window as [time, value] pairs (storedMemo, liveMemo).
 */
export type Memo = null | number[] | { v: number; n: number } | { n: number };
/** The memo as alarm_rule_state.memo holds it: a window as [time, value] pairs. */
export type StoredMemo = null | Array<[number, number]> | { v: number; n: number } | { n: number };

export function storedMemo(m: Memo): StoredMemo {
  if (!Array.isArray(m)) return m;
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i + 1 < m.length; i += 2) pairs.push([m[i]!, m[i + 1]!]);
  return pairs;
}

export function liveMemo(m: StoredMemo | number[]): Memo {
  if (!Array.isArray(m) || !m.length || typeof m[0] === 'number') return m as Memo;
  const flat: number[] = [];
  for (const [t, v] of m as Array<[number, number]>) flat.push(t, v);
  return flat;
}
/**
 * One (rule, point)'s state in memory. Every state has the same fields from its creation on (one hidden class for the
 * evaluator's loop), and the times it updates per reading are always numbers: a field that may hold null would box
 * each new time in a fresh heap object that lives until the point's next reading, long enough to be promoted.
 */
export interface StateRow extends RuleState {
  rule: string; pointId: number;
  /** The time of the latest reading evaluated (ms); NaN: none yet. */
  lastMs: number;
  alarmId: string | null; memo: Memo; dirty: boolean; kind: CompiledRule['kind'] | undefined; quietBelow: number;
  /** stuck, quality: the shortest run written */ runFrom: number | undefined;
  /** rate_of_change: the latest change measured */ m: number;
  /**
   * The stored form as last saved (`sv` false: never), in fields of the state itself rather than an object of its own:
   * the check after each point's readings then reads no other object, cold in the CPU's cache by the next step.
   */
  sv: boolean; svLevel: number; svCandidate: number; svCount: number; svSince: number | null; svAlarm: string | null; svExtra: string;
}

/**
 * What of a state is worth a write beyond its level machine (level, candidate and its count and start, the alarm).
 * no_data: everything (its latest time is what the clock check reads). The others leave out what a restart can do
 * without: the latest time (late-data check only), a short run (restarts at zero: a few readings fewer, see
 * runFromOf), and a rate_of_change window while its change is under half the mildest clear value (a restart
 * keeps the last window written: older readings, all real, that age out).
 */
function extra(s: StateRow): string {
  switch (s.kind) {
    case 'no_data': case undefined: return `${s.lastMs},${s.memo === null ? '' : JSON.stringify(s.memo)}`;
    case 'threshold': return '';
    case 'stuck': case 'quality': return s.memo && !Array.isArray(s.memo) && s.memo.n >= (s.runFrom ?? 1) ? JSON.stringify(s.memo) : '';
    case 'rate_of_change': return s.level !== 0 || s.candidateCount > 0 || Math.abs(s.m) >= s.quietBelow ? JSON.stringify(s.memo) : 'quiet';
  }
}

/**
 * The shortest run of a stuck or quality rule that is written. A run is written when it reaches this length and again
 * when it ends; a shorter one is not, so after a restart it counts from zero (a stored run shorter than this too: it
 * may have gone on or ended since): a raise comes at most runFrom - 1 readings late, a tenth of the rule's
 * `readings` (at least 1), never early. A stuck rule's runs of 2 equal readings are common
 * (a quantised value that did not move), each one two writes: with `readings` 30, only runs of 4 or more are written.
 * quality: every bad reading (rare) is written, as before.
 */
export function runFromOf(rule: CompiledRule): number {
  if (rule.kind !== 'stuck') return 1;
  return Math.max(2, Math.floor(rule.levels[0]!.raise / 10) + 1);
}

/** Records the state's stored form as saved. */
function save(s: StateRow): void {
  s.sv = true; s.svLevel = s.level; s.svCandidate = s.candidate; s.svCount = s.candidateCount; s.svSince = s.candidateSinceMs; s.svAlarm = s.alarmId; s.svExtra = extra(s);
}

/** Whether the stored form changed since it was saved (cheap fields first). */
function changed(s: StateRow): boolean {
  return !s.sv || s.svLevel !== s.level || s.svCandidate !== s.candidate || s.svCount !== s.candidateCount || s.svSince !== s.candidateSinceMs || s.svAlarm !== s.alarmId || s.svExtra !== extra(s);
}

interface AlarmMem { id: string; level: number; peakLevel: number; peak: number | null; latest: number | null; latestMs: number; count: number; active: boolean; clearedMs: number | null; dirty: boolean }
export interface Tags { device: number; site: number; indicator: string }

export const key = (rule: string, pointId: number) => `${rule}\u0000${pointId}`;

/**
 * Everything a step needs of one point, found with one lookup per reading (by point id, in an array): its registry entry,
 * its compiled rules and its states aligned with them, valid while the registry and the rules are those it was built
 * from (`reg`, `gen`). `p` undefined: the point is unknown or its rules did not compile; `rules` empty: none apply.
 */
export interface Slot {
  reg: Registry; gen: number; p: PointEntry | undefined; rules: CompiledRule[]; states: StateRow[]; noData: boolean;
  /** This step's readings of the point: `count` indexes into the step's readings from `first` (evaluate.ts), valid in the step `mark`. */
  first: number; count: number; mark: number;
}

/**
 * The rule states a step works on: by (rule, point) key, and per point in its slot. Kept between the steps
 * of one process while the cursor is where it left it (AlarmContext.cache).
 */
export class StateBook {
  readonly states = new Map<string, StateRow>();
  /** By point id (ids are a sequence's: dense). */
  readonly slots: Array<Slot | undefined> = [];
  /** Steps evaluated with this book (a slot's `mark` says whether its readings are this step's). */
  mark = 0;
}
const iso = (ms: number) => new Date(ms).toISOString();

/** Everything a step or tick changes, written at the end of its transaction. */
export class Batch {
  alarms = new Map<string, AlarmMem>();
  /** alarm_event rows written (the SSE stream and notifications follow them). */
  events = 0;
  private fresh: Array<{ id: string; rule: string; kind: string; type: string; pointId: number | null; tags: Tags; firstMs: number }> = [];
  private pending: Array<{ alarmId: string; type: string; at: string; level: number | null; value: number | null; note: string | null }> = [];
  /** The states marked dirty in this batch (flush looks at these only, not at every state of the book). */
  private touched: StateRow[] = [];
  readonly states: Map<string, StateRow>;
  constructor(public tx: Queryable, readonly book = new StateBook()) {
    this.states = book.states; // a book comes back from a committed flush: none of its states is dirty
  }

  /** Marks a state for flush to compare with its stored form. */
  touch(s: StateRow): void {
    if (s.dirty) return;
    s.dirty = true;
    this.touched.push(s);
  }

  /**
   * Marks a state for flush if its stored form changed: called right after its readings ran, while it is in the CPU's
   * cache (flush then looks only at the few that changed, not at every state of the step).
   */
  touchIfChanged(s: StateRow): void {
    if (!s.dirty && changed(s)) { s.dirty = true; this.touched.push(s); }
  }

  /**
   * Reads states (and, in preload, alarms) without a row lock. Their only writers are the evaluator's steps and no_data
   * checks, one at a time (the step lock on PostgreSQL, oneAtATime on the embedded store); the handling loop writes
   * other columns of an alarm (state, assignee) and locks the row itself. A row lock here gave the step a transaction id
   * at its start (a locked row is written) and held back the horizon below which PostgreSQL may prune dead row versions
   * while the step evaluated, as STEP_LOCK (step.ts) explains: every step that saw an active alarm did (2026-12-05).
   */
  async loadStates(all: Array<[string, number]>): Promise<void> {
    const pairs = all.filter((p) => !this.states.has(key(p[0], p[1])));
    if (!pairs.length) return;
    const rows = (await this.tx.query<{ rule: string; point_id: number; level: number; candidate: number; candidate_count: number; since: number | null; last: number | null; alarm_id: string | null; memo: StoredMemo }>(
      `SELECT s.rule, s.point_id, s.level, s.candidate, s.candidate_count, (extract(epoch FROM s.candidate_since) * 1000)::float8 AS since,
              (extract(epoch FROM s.last_time) * 1000)::float8 AS last, s.alarm_id::text AS alarm_id, s.memo
       FROM alarm_rule_state s JOIN unnest($1::text[], $2::int[]) AS u(rule, point_id) ON u.rule = s.rule AND u.point_id = s.point_id
       ORDER BY s.rule, s.point_id`, [pairs.map((p) => p[0]), pairs.map((p) => p[1])])).rows;
    for (const r of rows) {
      const s: StateRow = { rule: r.rule, pointId: r.point_id, level: r.level, candidate: r.candidate, candidateCount: r.candidate_count, candidateSinceMs: r.since, lastMs: r.last ?? Number.NaN, alarmId: r.alarm_id, memo: liveMemo(r.memo), dirty: false, kind: undefined, quietBelow: 0, runFrom: undefined, m: 0, sv: false, svLevel: 0, svCandidate: 0, svCount: 0, svSince: null, svAlarm: null, svExtra: '' };
      this.states.set(key(r.rule, r.point_id), s);
    }
  }

  state(rule: string, pointId: number, initialLastMs: number | null, kind?: CompiledRule): StateRow {
    return this.stateKeyed(key(rule, pointId), rule, pointId, initialLastMs, kind);
  }

  stateKeyed(k: string, rule: string, pointId: number, initialLastMs: number | null, kind?: CompiledRule): StateRow {
    let s = this.states.get(k);
    if (!s) {
      s = { rule, pointId, level: 0, candidate: 0, candidateCount: 0, candidateSinceMs: null, lastMs: initialLastMs ?? Number.NaN, alarmId: null, memo: null, dirty: true, kind: undefined, quietBelow: 0, runFrom: undefined, m: 0, sv: false, svLevel: 0, svCandidate: 0, svCount: 0, svSince: null, svAlarm: null, svExtra: '' };
      this.states.set(k, s);
      this.touched.push(s);
    }
    if (kind && s.kind !== kind.kind) {
      s.kind = kind.kind;
      if (kind.kind === 'rate_of_change') s.quietBelow = Math.abs(kind.levels[kind.levels.length - 1]!.clear) / 2;
      if (kind.kind === 'stuck' || kind.kind === 'quality') s.runFrom = runFromOf(kind);
      if (!s.sv && !s.dirty) {
        // As loaded. A run shorter than runFrom in the store may have gone on or ended since, unwritten: counted from
        // zero (a few readings fewer, never more).
        if (s.runFrom !== undefined && s.memo && !Array.isArray(s.memo) && s.memo.n < s.runFrom) s.memo = null;
        save(s);
      }
    }
    return s;
  }

  /** Loads the alarms of these ids not loaded yet, in one query. */
  async preload(ids: Array<string | null>): Promise<void> {
    const want = [...new Set(ids.filter((id): id is string => id !== null && !id.startsWith('n') && !this.alarms.has(id)))];
    if (!want.length) return;
    const rows = (await this.tx.query<{ id: string; level: number; peak_level: number; peak_value: number | null; latest_value: number | null; latest: number; count: number; active: boolean; rule: string; point_id: number | null }>(
      `SELECT id::text AS id, level, peak_level, peak_value, latest_value, (extract(epoch FROM latest_time) * 1000)::float8 AS latest, count, active, rule, point_id
       FROM alarm WHERE id = ANY($1::bigint[]) ORDER BY alarm.id`, [want])).rows;
    for (const r of rows) this.alarms.set(r.id, { id: r.id, level: r.level, peakLevel: r.peak_level, peak: r.peak_value, latest: r.latest_value, latestMs: r.latest, count: r.count, active: r.active, clearedMs: null, dirty: false });
  }

  async alarm(id: string): Promise<AlarmMem> {
    if (!this.alarms.has(id)) await this.preload([id]);
    return this.alarms.get(id)!;
  }

  /** A new alarm, written at flush; until then its id is a placeholder (`n1`, `n2` …). */
  async insertAlarm(rule: string, kind: string, type: string, pointId: number | null, p: Tags, level: number, value: number | null, timeMs: number): Promise<string> {
    const id = `n${this.fresh.length + 1}`;
    this.fresh.push({ id, rule, kind, type, pointId, tags: p, firstMs: timeMs });
    this.alarms.set(id, { id, level, peakLevel: level, peak: value, latest: value, latestMs: timeMs, count: 1, active: true, clearedMs: null, dirty: true });
    await this.event(id, 'raised', timeMs, level, value);
    return id;
  }

  async raise(s: StateRow, rule: CompiledRule, p: Tags, level: number, value: number | null, timeMs: number): Promise<void> {
    s.alarmId = await this.insertAlarm(rule.id, rule.kind, alarmType(rule), s.pointId, p, level, value, timeMs);
    this.touch(s);
  }

  async event(alarmId: string, type: string, timeMs: number, level: number | null, value: number | null, note: string | null = null): Promise<void> {
    this.pending.push({ alarmId, type, at: iso(timeMs), level, value, note });
    this.events++;
  }

  /** Clears an alarm once: its `cleared` event and active = false. */
  async clearAlarm(id: string, timeMs: number, value: number | null, note: string | null = null): Promise<void> {
    const a = await this.alarm(id);
    if (!a.active) return;
    a.active = false; a.clearedMs = timeMs; a.dirty = true;
    await this.event(a.id, 'cleared', timeMs, null, value, note);
  }

  async clear(s: StateRow, timeMs: number, value: number | null, note: string | null = null): Promise<void> {
    await this.clearAlarm(s.alarmId!, timeMs, value, note);
    s.alarmId = null; this.touch(s);
  }

  /** Stored alarms this batch changed (new ones, ids starting with n, are `fresh`). */
  private changedAlarms(): AlarmMem[] { return [...this.alarms.values()].filter((a) => a.dirty && !a.id.startsWith('n')); }

  /**
   * flush() on `db` (the embedded store: a step that read and evaluated outside a transaction): one statement, atomic by
   * itself, when only rule states and the cursor change (nearly every step); a transaction when alarms or events are
   * written too.
   */
  async commit(db: SqlDriver, cursor: { name: string; next: string; seen: string[] }): Promise<void> {
    if (!this.fresh.length && !this.pending.length && !this.changedAlarms().length) { this.tx = db; await this.flush(cursor); return; }
    await db.transaction(async (tx) => { this.tx = tx; await this.flush(cursor); });
  }

  /**
   * Writes everything in a few statements: existing alarms updated (clears first, so a new episode of the same
   * rule and point may be active), new alarms inserted with ids taken from the sequence, their events, the states.
   */
  /** `cursor`: moved in the same statement as the states (one round trip less per step). */
  async flush(cursor?: { name: string; next: string; seen: string[] }): Promise<void> {
    const old = this.changedAlarms();
    if (old.length) {
      await this.tx.query(`UPDATE alarm SET level = u.level, peak_level = u.peak_level, peak_value = u.peak, latest_value = u.latest, latest_time = to_timestamp(u.latest_ms / 1000.0),
          count = u.count, active = u.active, cleared_time = to_timestamp(u.cleared_ms / 1000.0), updated_at = now()
        FROM unnest($1::bigint[], $2::smallint[], $3::smallint[], $4::float8[], $5::float8[], $6::float8[], $7::int[], $8::boolean[], $9::float8[])
          AS u(id, level, peak_level, peak, latest, latest_ms, count, active, cleared_ms) WHERE alarm.id = u.id`,
      [old.map((a) => a.id), old.map((a) => a.level), old.map((a) => a.peakLevel), old.map((a) => a.peak), old.map((a) => a.latest), old.map((a) => a.latestMs),
        old.map((a) => a.count), old.map((a) => a.active), old.map((a) => a.clearedMs)]);
    }
    const real = new Map<string, string>();
    if (this.fresh.length) {
      const ids = (await this.tx.query<{ id: string }>(`SELECT nextval('alarm_id_seq')::text AS id FROM generate_series(1, $1::int)`, [this.fresh.length])).rows.map((r) => r.id);
      this.fresh.forEach((f, i) => real.set(f.id, ids[i]!));
      const rows = this.fresh.map((f) => ({ f, a: this.alarms.get(f.id)! }));
      await this.tx.query(`INSERT INTO alarm (id, rule, kind, type, point_id, device_id, site_id, indicator, level, peak_level, peak_value, latest_value, first_time, latest_time, count, active, cleared_time)
        SELECT u.id, u.rule, u.kind, u.type, u.point, u.device, u.site, u.indicator, u.level, u.peak_level, u.peak, u.latest, to_timestamp(u.first_ms / 1000.0),
               to_timestamp(u.latest_ms / 1000.0), u.count, u.active, to_timestamp(u.cleared_ms / 1000.0)
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::text[], $9::smallint[], $10::smallint[], $11::float8[], $12::float8[],
                    $13::float8[], $14::float8[], $15::int[], $16::boolean[], $17::float8[])
          AS u(id, rule, kind, type, point, device, site, indicator, level, peak_level, peak, latest, first_ms, latest_ms, count, active, cleared_ms)`,
      [rows.map((r) => real.get(r.f.id)), rows.map((r) => r.f.rule), rows.map((r) => r.f.kind), rows.map((r) => r.f.type), rows.map((r) => r.f.pointId), rows.map((r) => r.f.tags.device),
        rows.map((r) => r.f.tags.site), rows.map((r) => r.f.tags.indicator), rows.map((r) => r.a.level), rows.map((r) => r.a.peakLevel), rows.map((r) => r.a.peak), rows.map((r) => r.a.latest),
        rows.map((r) => r.f.firstMs), rows.map((r) => r.a.latestMs), rows.map((r) => r.a.count), rows.map((r) => r.a.active), rows.map((r) => r.a.clearedMs)]);
    }
    const idOf = (id: string) => real.get(id) ?? id;
    if (this.pending.length) {
      const e = this.pending;
      // Ids visible in id order (the SSE stream reads by id): held until commit. After the alarm rows above.
      await lockEventOrder(this.tx);
      // With their notifications' outbox entry (topic alarm, hub/alarms/notify.ts), in the same statement.
      await this.tx.query(`WITH ev AS (INSERT INTO alarm_event (alarm_id, type, at, level, value, note)
        SELECT u.alarm, u.type, u.at, u.level, u.value, u.note FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::smallint[], $5::float8[], $6::text[])
          WITH ORDINALITY AS u(alarm, type, at, level, value, note, o) ORDER BY u.o RETURNING id)
        INSERT INTO outbox (topic, ref_ids, count) SELECT '${ALARM_TOPIC}', array_agg(id ORDER BY id), count(*) FROM ev HAVING count(*) > 0`,
      [e.map((x) => idOf(x.alarmId)), e.map((x) => x.type), e.map((x) => x.at), e.map((x) => x.level), e.map((x) => x.value), e.map((x) => x.note)]);
    }
    for (const [tmp, id] of real) {
      const a = this.alarms.get(tmp)!;
      this.alarms.delete(tmp); a.id = id; a.dirty = false; this.alarms.set(id, a);
    }
    this.fresh = []; this.pending = [];
    const st: StateRow[] = [];
    const touched = this.touched;
    this.touched = [];
    for (const s of touched) {
      s.dirty = false;
      if (s.alarmId !== null) s.alarmId = idOf(s.alarmId);
      if (!changed(s)) continue;
      save(s);
      st.push(s);
    }
    const moveCursor = `UPDATE rollup_cursor SET outbox_id = $2::bigint, seen = $3::bigint[], updated_at = now() WHERE name = $1`;
    if (st.length) {
      const upsert = `INSERT INTO alarm_rule_state (rule, point_id, level, candidate, candidate_count, candidate_since, last_time, alarm_id, memo)
        SELECT u.rule, u.p, u.level, u.cand, u.n, to_timestamp(u.since / 1000.0), to_timestamp(u.last / 1000.0), u.alarm, u.memo::jsonb
        FROM unnest($4::text[], $5::int[], $6::smallint[], $7::smallint[], $8::int[], $9::float8[], $10::float8[], $11::bigint[], $12::text[]) AS u(rule, p, level, cand, n, since, last, alarm, memo)
        ON CONFLICT (rule, point_id) DO UPDATE SET level = excluded.level, candidate = excluded.candidate, candidate_count = excluded.candidate_count,
          candidate_since = excluded.candidate_since, last_time = excluded.last_time, alarm_id = excluded.alarm_id, memo = excluded.memo`;
      const params = [st.map((s) => s.rule), st.map((s) => s.pointId), st.map((s) => s.level), st.map((s) => s.candidate), st.map((s) => s.candidateCount),
        st.map((s) => s.candidateSinceMs), st.map((s) => (Number.isNaN(s.lastMs) ? null : s.lastMs)), st.map((s) => s.alarmId), st.map((s) => (s.memo === null ? null : JSON.stringify(storedMemo(s.memo))))];
      if (cursor) await this.tx.query(`WITH s AS (${upsert}) ${moveCursor}`, [cursor.name, cursor.next, cursor.seen, ...params]);
      else await this.tx.query(upsert.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) - 3}`), params);
    } else if (cursor) await this.tx.query(moveCursor, [cursor.name, cursor.next, cursor.seen]);
  }
}
