// The alarm evaluator's steps on the store. alarmStep follows the outbox (like the rollup roller: cursor row 'alarms'
// in rollup_cursor, behind the OutboxHorizon) and commits rule state, alarms, events and the cursor in ONE
// transaction, so a crash loses or doubles nothing. noDataTick raises no_data alarms on the hub's clock.
import type { Queryable, SqlDriver } from '../store/driver.ts';
import type { Registry } from '../registry/registry.ts';
import { byIdsWhere } from '../store/time-span.ts';
import { takeOutbox } from '../store/outbox-follow.ts';
import type { CompiledRule, RuleBook } from './rules.ts';
import { indicated, step, type RuleState } from './threshold.ts';

export const CURSOR = 'alarms';
/** HJ 212 source flags that never raise: maintenance, calibration. */
export const NO_RAISE_FLAGS = new Set(['M', 'C']);

export interface AlarmContext { registry: () => Registry; rules: RuleBook; onRuleError?: (pointId: number, e: unknown) => void }

interface StateRow extends RuleState { rule: string; pointId: number; lastMs: number | null; alarmId: string | null; dirty: boolean }
interface AlarmMem { id: string; level: number; peakLevel: number; peak: number | null; latest: number | null; latestMs: number; count: number; active: boolean; clearedMs: number | null; dirty: boolean }

const key = (rule: string, pointId: number) => `${rule}\u0000${pointId}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** Everything a step or tick changes, written at the end of its transaction. */
class Batch {
  states = new Map<string, StateRow>();
  alarms = new Map<string, AlarmMem>();
  constructor(private readonly tx: Queryable) {}

  async loadStates(pairs: Array<[string, number]>): Promise<void> {
    if (!pairs.length) return;
    const rows = (await this.tx.query<{ rule: string; point_id: number; level: number; candidate: number; candidate_count: number; since: number | null; last: number | null; alarm_id: string | null }>(
      `SELECT s.rule, s.point_id, s.level, s.candidate, s.candidate_count, (extract(epoch FROM s.candidate_since) * 1000)::float8 AS since,
              (extract(epoch FROM s.last_time) * 1000)::float8 AS last, s.alarm_id::text AS alarm_id
       FROM alarm_rule_state s JOIN unnest($1::text[], $2::int[]) AS u(rule, point_id) ON u.rule = s.rule AND u.point_id = s.point_id
       ORDER BY s.rule, s.point_id FOR UPDATE OF s`, [pairs.map((p) => p[0]), pairs.map((p) => p[1])])).rows;
    for (const r of rows) {
      this.states.set(key(r.rule, r.point_id), { rule: r.rule, pointId: r.point_id, level: r.level, candidate: r.candidate, candidateCount: r.candidate_count, candidateSinceMs: r.since, lastMs: r.last, alarmId: r.alarm_id, dirty: false });
    }
  }

  state(rule: string, pointId: number, initialLastMs: number | null): StateRow {
    const k = key(rule, pointId);
    let s = this.states.get(k);
    if (!s) { s = { rule, pointId, level: 0, candidate: 0, candidateCount: 0, candidateSinceMs: null, lastMs: initialLastMs, alarmId: null, dirty: true }; this.states.set(k, s); }
    return s;
  }

  async alarm(id: string): Promise<AlarmMem> {
    let a = this.alarms.get(id);
    if (!a) {
      const r = (await this.tx.query<{ level: number; peak_level: number; peak_value: number | null; latest_value: number | null; latest: number; count: number; active: boolean }>(
        `SELECT level, peak_level, peak_value, latest_value, (extract(epoch FROM latest_time) * 1000)::float8 AS latest, count, active
         FROM alarm WHERE id = $1::bigint FOR UPDATE`, [id])).rows[0]!;
      a = { id, level: r.level, peakLevel: r.peak_level, peak: r.peak_value, latest: r.latest_value, latestMs: r.latest, count: r.count, active: r.active, clearedMs: null, dirty: false };
      this.alarms.set(id, a);
    }
    return a;
  }

  async raise(s: StateRow, rule: CompiledRule, p: { device: number; site: number; indicator: string }, level: number, value: number | null, timeMs: number): Promise<void> {
    const type = rule.kind === 'no_data' ? 'no_data' : rule.direction === 'upper' ? 'over_upper_limit' : 'under_lower_limit';
    const id = (await this.tx.query<{ id: string }>(
      `INSERT INTO alarm (rule, kind, type, point_id, device_id, site_id, indicator, level, peak_level, peak_value, latest_value, first_time, latest_time, count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9, $10::timestamptz, $10::timestamptz, 1) RETURNING id::text AS id`,
      [rule.id, rule.kind, type, s.pointId, p.device, p.site, p.indicator, level, value, iso(timeMs)])).rows[0]!.id;
    this.alarms.set(id, { id, level, peakLevel: level, peak: value, latest: value, latestMs: timeMs, count: 1, active: true, clearedMs: null, dirty: false });
    s.alarmId = id; s.dirty = true;
    await this.event(id, 'raised', timeMs, level, value);
  }

  async event(alarmId: string, type: string, timeMs: number, level: number | null, value: number | null): Promise<void> {
    await this.tx.query('INSERT INTO alarm_event (alarm_id, type, at, level, value) VALUES ($1::bigint, $2, $3::timestamptz, $4, $5)', [alarmId, type, iso(timeMs), level, value]);
  }

  async clear(s: StateRow, timeMs: number, value: number | null): Promise<void> {
    const a = await this.alarm(s.alarmId!);
    a.active = false; a.clearedMs = timeMs; a.dirty = true;
    // Now, not at flush: the same step may raise the point's next episode, and only one alarm per (rule, point) is active.
    await this.tx.query('UPDATE alarm SET active = false, cleared_time = $2::timestamptz WHERE id = $1::bigint', [a.id, iso(timeMs)]);
    await this.event(a.id, 'cleared', timeMs, null, value);
    s.alarmId = null; s.dirty = true;
  }

  async flush(): Promise<void> {
    const st = [...this.states.values()].filter((s) => s.dirty);
    if (st.length) {
      await this.tx.query(`INSERT INTO alarm_rule_state (rule, point_id, level, candidate, candidate_count, candidate_since, last_time, alarm_id)
        SELECT u.rule, u.p, u.level, u.cand, u.n, to_timestamp(u.since / 1000.0), to_timestamp(u.last / 1000.0), u.alarm
        FROM unnest($1::text[], $2::int[], $3::smallint[], $4::smallint[], $5::int[], $6::float8[], $7::float8[], $8::bigint[]) AS u(rule, p, level, cand, n, since, last, alarm)
        ON CONFLICT (rule, point_id) DO UPDATE SET level = excluded.level, candidate = excluded.candidate, candidate_count = excluded.candidate_count,
          candidate_since = excluded.candidate_since, last_time = excluded.last_time, alarm_id = excluded.alarm_id`,
      [st.map((s) => s.rule), st.map((s) => s.pointId), st.map((s) => s.level), st.map((s) => s.candidate), st.map((s) => s.candidateCount),
        st.map((s) => s.candidateSinceMs), st.map((s) => s.lastMs), st.map((s) => s.alarmId)]);
    }
    for (const a of this.alarms.values()) {
      if (!a.dirty) continue;
      await this.tx.query(`UPDATE alarm SET level = $2, peak_level = $3, peak_value = $4, latest_value = $5, latest_time = $6::timestamptz, count = $7,
          active = $8, cleared_time = $9::timestamptz, updated_at = now() WHERE id = $1::bigint`,
      [a.id, a.level, a.peakLevel, a.peak, a.latest, iso(a.latestMs), a.count, a.active, a.clearedMs === null ? null : iso(a.clearedMs)]);
    }
  }
}

interface Obs { point_id: number; t: number; value: number | null; source_flag: string; kind: string }

async function evaluate(b: Batch, ctx: AlarmContext, obs: Obs[]): Promise<void> {
  const reg = ctx.registry();
  const byPoint = new Map<number, Obs[]>();
  for (const o of obs) byPoint.set(o.point_id, [...(byPoint.get(o.point_id) ?? []), o]);
  const work: Array<{ rule: CompiledRule; pointId: number; readings: Obs[]; tags: { device: number; site: number; indicator: string } }> = [];
  for (const [pointId, readings] of byPoint) {
    const p = reg.pointById.get(pointId);
    if (!p) continue;
    let rules: CompiledRule[];
    try { rules = ctx.rules.rulesFor(p); } catch (e) { ctx.onRuleError?.(pointId, e); continue; }
    for (const rule of rules) work.push({ rule, pointId, readings, tags: { device: p.device.id, site: p.device.site.id, indicator: p.indicator.code } });
  }
  await b.loadStates(work.map((w) => [w.rule.id, w.pointId]));
  for (const w of work) {
    const s = b.state(w.rule.id, w.pointId, null);
    for (const o of w.readings) {
      const late = s.lastMs !== null && o.t < s.lastMs;
      if (!late) { s.lastMs = o.t; s.dirty = true; }
      if (w.rule.kind === 'no_data') {
        if (s.alarmId) await b.clear(s, o.t, o.value); // data returned
        continue;
      }
      // Threshold: real-time readings with a value, in time order, that their source does not flag maintenance/calibration.
      if (late || o.kind !== 'rtd' || o.value === null || NO_RAISE_FLAGS.has(o.source_flag)) continue;
      const before = s.level;
      const next = step(w.rule, s, o.value, o.t);
      s.dirty = true;
      if (next !== undefined) {
        if (before === 0) await b.raise(s, w.rule, w.tags, next, o.value, o.t);
        else if (next === 0) await b.clear(s, o.t, o.value);
        else {
          const a = await b.alarm(s.alarmId!);
          a.level = next; a.peakLevel = Math.min(a.peakLevel, next); a.dirty = true;
          await b.event(a.id, next < before ? 'escalated' : 'de_escalated', o.t, next, o.value);
        }
        if (before === 0 || next === 0) continue;
      }
      if (s.level !== 0 && s.alarmId && indicated(w.rule, o.value, s.level) !== 0) {
        const a = await b.alarm(s.alarmId);
        const up = w.rule.direction === 'upper';
        a.count++; a.latest = o.value; a.latestMs = Math.max(a.latestMs, o.t);
        a.peak = a.peak === null ? o.value : up ? Math.max(a.peak, o.value) : Math.min(a.peak, o.value);
        a.dirty = true;
      }
    }
  }
}

/** The cursor row (at the outbox's start when new). */
export async function ensureAlarmCursor(db: Queryable): Promise<void> {
  await db.query('INSERT INTO rollup_cursor (name, outbox_id) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING', [CURSOR]);
}

export interface AlarmStep { observations: number; caughtUp: boolean }

/** One step: outbox entries after the cursor (to safeMax, about `cap` observations) evaluated, cursor moved, one transaction. */
export async function alarmStep(db: SqlDriver, safeMax: string, ctx: AlarmContext, cap = 20_000): Promise<AlarmStep> {
  return db.transaction(async (tx) => {
    const cur = (await tx.query<{ c: string }>('SELECT outbox_id::text AS c FROM rollup_cursor WHERE name = $1 FOR UPDATE', [CURSOR])).rows[0];
    if (!cur || BigInt(cur.c) >= BigInt(safeMax)) return { observations: 0, caughtUp: true };
    const { ids, span, next, all } = await takeOutbox(tx, cur.c, safeMax, cap);
    if (ids.length) {
      const params: unknown[] = [ids];
      const obs = (await tx.query<Obs>(`SELECT point_id, (extract(epoch FROM time) * 1000)::float8 AS t, value, source_flag, kind FROM observation
        WHERE ${byIdsWhere('$1', span, params)} ORDER BY point_id, time, id`, params)).rows;
      const b = new Batch(tx);
      await evaluate(b, ctx, obs);
      await b.flush();
    }
    await tx.query('UPDATE rollup_cursor SET outbox_id = $2::bigint, updated_at = now() WHERE name = $1', [CURSOR, next]);
    return { observations: ids.length, caughtUp: all };
  });
}

/**
 * no_data on the clock: a point with a no_data rule whose latest reading (its time, as the evaluator has seen it) is
 * more than intervals × expected_interval_s before `nowMs` raises one alarm; the next reading clears it. A point never
 * heard from is counted from the first tick that saw its rule. Run only when the evaluator is caught up.
 */
export async function noDataTick(db: SqlDriver, nowMs: number, ctx: AlarmContext): Promise<number> {
  const reg = ctx.registry();
  const work: Array<{ rule: Extract<CompiledRule, { kind: 'no_data' }>; pointId: number; tags: { device: number; site: number; indicator: string } }> = [];
  for (const p of reg.pointById.values()) {
    let rules: CompiledRule[];
    try { rules = ctx.rules.rulesFor(p); } catch (e) { ctx.onRuleError?.(p.id, e); continue; }
    for (const rule of rules) if (rule.kind === 'no_data') work.push({ rule, pointId: p.id, tags: { device: p.device.id, site: p.device.site.id, indicator: p.indicator.code } });
  }
  if (!work.length) return 0;
  return db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM rollup_cursor WHERE name = $1 FOR UPDATE', [CURSOR]); // one writer at a time with alarmStep
    const b = new Batch(tx);
    await b.loadStates(work.map((w) => [w.rule.id, w.pointId]));
    let raised = 0;
    for (const w of work) {
      const s = b.state(w.rule.id, w.pointId, nowMs);
      if (s.alarmId || s.lastMs === null || nowMs - s.lastMs <= w.rule.silenceMs) continue;
      s.level = w.rule.level;
      await b.raise(s, w.rule, w.tags, w.rule.level, null, nowMs);
      raised++;
    }
    await b.flush();
    return raised;
  });
}
