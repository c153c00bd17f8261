// Running readings through the rules of their points: the measure of each kind and the level machine, writing into a
// Batch (batch.ts). Used by the evaluator's steps on the outbox (step.ts) and by backtests (backtest.ts); no_data runs
// on the clock (no-data.ts). docs/alarms.md is the reference.
import type { Registry } from '../registry/registry.ts';
import type { PointEntry } from '../registry/registry.ts';
import type { CompiledRule, GaugeRule, RuleBook } from './rules.ts';
import { indicated, step } from './threshold.ts';
import { key, type Batch, type Memo, type Slot, type StateBook, type StateRow, type Tags } from './batch.ts';
import type { Recent } from './recent.ts';

export type { StateRow } from './batch.ts';

/** HJ 212 source flags that never raise: maintenance, calibration. */
export const NO_RAISE_FLAGS = new Set(['M', 'C']);
/** The device-offline alarm's rule id and kind. */
export const OFFLINE_RULE = 'device_offline';
/** A rate_of_change rule keeps at most this many readings of its window, at least window/WINDOW_CAP apart (the oldest stays as the anchor). */
export const WINDOW_CAP = 32;

export interface AlarmContext {
  registry: () => Registry; rules: RuleBook; onRuleError?: (pointId: number, e: unknown) => void;
  /**
   * Rule state as this process last committed it, valid while the cursor (position and seen entries) is where this
   * process left it (no other process evaluated in between): steps then read only the states they have not seen and
   * write only those whose stored form changed.
   */
  cache?: { cursor: string; book: StateBook };
  /** Observations this process committed, by outbox entry: a step takes them from here instead of reading them back. */
  recent?: Recent;
  /** How many ingest commits of this process are in flight (their batches may be visible before they are in `recent`). */
  inflight?: () => number;
}

/**
 * One reading as the rules see it: the pipeline's row (ObservationRow has these fields) or one read back from the
 * store under the same names.
 */
export interface Obs { pointId: number; timeMs: number; value: number | null; sourceFlag: string; kind: string; flags: string[]; /** observation id (order of readings at the same time) */ n?: number }

/** The columns of `observation` as an Obs. */
export const OBS_COLS = `point_id AS "pointId", (extract(epoch FROM time) * 1000)::float8 AS "timeMs", value, source_flag AS "sourceFlag", kind, flags`;

/**
 * What a rule measures of one reading, updating its memory: the value (threshold), the change over the window
 * (rate_of_change), the length of the run of equal values (stuck), the length of the run of bad readings (quality).
 * undefined: the reading says nothing to this rule.
 */
export function measure(rule: GaugeRule, s: { memo: Memo }, o: Obs): number | undefined {
  switch (rule.kind) {
    case 'threshold': return o.value ?? undefined;
    case 'rate_of_change': {
      if (o.value === null) return undefined;
      const w = Array.isArray(s.memo) ? s.memo : [];
      // The newest reading replaces the one before it when that one is less than window/WINDOW_CAP after its own
      // predecessor (in place: no pair per reading).
      const gap = rule.windowMs / WINDOW_CAP;
      const last = w[w.length - 1];
      if (w.length >= 2 && last![0] - w[w.length - 2]![0] < gap) { last![0] = o.timeMs; last![1] = o.value; }
      else w.push([o.timeMs, o.value]);
      while (w.length > 1 && w[0]![0] < o.timeMs - rule.windowMs) w.shift();
      if (w.length > WINDOW_CAP + 1) w.splice(1, 1);
      s.memo = w;
      const d = o.value - w[0]![1];
      (s as StateRow).m = d;
      return d;
    }
    case 'stuck': {
      if (o.value === null) return undefined;
      const m = s.memo && !Array.isArray(s.memo) && 'v' in s.memo ? s.memo : undefined;
      if (m && Math.abs(o.value - m.v) <= rule.tolerance) m.n++; // in place: no object per reading
      else if (m) { m.v = o.value; m.n = 1; } else s.memo = { v: o.value, n: 1 };
      return (s.memo as { n: number }).n;
    }
    case 'quality': {
      const n = s.memo && !Array.isArray(s.memo) ? s.memo.n : 0;
      const bad = o.flags.includes('bad') || o.sourceFlag === 'D';
      s.memo = { n: bad ? n + 1 : 0 };
      return s.memo.n;
    }
  }
}

/** A point's readings in (time, id) order: as they come nearly always; sorted when not. */
function inOrder(l: Obs[]): void {
  for (let i = 1; i < l.length; i++) {
    const a = l[i - 1]!, b = l[i]!;
    if (a.timeMs > b.timeMs || (a.timeMs === b.timeMs && (a.n ?? 0) > (b.n ?? 0))) { l.sort((x, y) => x.timeMs - y.timeMs || (x.n ?? 0) - (y.n ?? 0)); return; }
  }
}

/** Whether a point's rules include a no_data rule, once per compiled list. */
const noDataCache = new WeakMap<CompiledRule[], boolean>();
function hasNoData(rules: CompiledRule[]): boolean {
  let v = noDataCache.get(rules);
  if (v === undefined) noDataCache.set(rules, (v = rules.some((r) => r.kind === 'no_data')));
  return v;
}

/**
 * Runs readings through the rules of their points (per point, in time order). Points without rules cost a lookup; a
 * point with rules costs one lookup of its slot (its states aligned with its rules) per step, not one per rule.
 */
export async function evaluate(b: Batch, ctx: AlarmContext, obs: Obs[], ruleFor?: (pointId: number) => CompiledRule[] | undefined): Promise<void> {
  const reg = ctx.registry();
  const byPoint = new Map<number, Obs[]>();
  for (const o of obs) { const l = byPoint.get(o.pointId); if (l) l.push(o); else byPoint.set(o.pointId, [o]); }
  const work: Array<{ p: PointEntry; rules: CompiledRule[]; readings: Obs[]; slot: Slot | undefined }> = [];
  let noDataDevices: Set<number> | undefined;
  const unknown: Array<[string, number]> = [];
  for (const [pointId, readings] of byPoint) {
    const p = reg.pointById.get(pointId);
    if (!p) continue;
    let rules: CompiledRule[] | undefined;
    try { rules = ruleFor ? ruleFor(pointId) : ctx.rules.rulesFor(p); } catch (e) { ctx.onRuleError?.(pointId, e); continue; }
    if (!rules?.length) continue;
    inOrder(readings);
    let slot = b.slots.get(pointId);
    if (slot && slot.rules !== rules) slot = undefined; // the rules changed: aligned again below
    if (!slot) for (const r of rules) if (!b.states.has(key(r.id, pointId))) unknown.push([r.id, pointId]);
    if (hasNoData(rules)) (noDataDevices ??= new Set()).add(p.device.id);
    work.push({ p, rules, readings, slot });
  }
  // Points in id order: the alarms a step raises get their ids in the same order whatever order the readings came in.
  work.sort((x, y) => x.p.id - y.p.id);
  await b.loadStates(unknown);
  const alarmIds: string[] = [];
  for (const w of work) {
    if (!w.slot) {
      const pointId = w.p.id;
      w.slot = { rules: w.rules, states: w.rules.map((r) => b.stateKeyed(key(r.id, pointId), r.id, pointId, null, r)) };
      b.slots.set(pointId, w.slot);
    }
    for (const s of w.slot.states) if (s.alarmId) alarmIds.push(s.alarmId);
  }
  await b.preload(alarmIds);
  // Data from a device that is offline clears its device alarm (at the first reading that came back).
  if (noDataDevices) {
    const offline = (await b.tx.query<{ id: string; device_id: number }>(`SELECT id::text AS id, device_id FROM alarm WHERE active AND kind = 'offline' AND device_id = ANY($1::int[])`, [[...noDataDevices]])).rows;
    for (const r of offline) {
      const first = obs.filter((o) => reg.pointById.get(o.pointId)?.device.id === r.device_id).reduce((m, o) => (m && m.timeMs <= o.timeMs ? m : o), undefined as Obs | undefined);
      if (first) await b.clearAlarm(r.id, first.timeMs, first.value);
    }
  }
  for (const { p, readings, slot } of work) {
    const { rules, states } = slot!;
    let tags: Tags | undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const s = states[i]!;
      b.touch(s);
      for (const o of readings) {
        const t = o.timeMs;
        const late = s.lastMs !== null && t < s.lastMs;
        if (!late) s.lastMs = t;
        if (rule.kind === 'no_data') {
          if (s.alarmId) await b.clear(s, t, o.value); // data returned
          continue;
        }
        // Real-time readings in time order that their source does not flag maintenance/calibration.
        if (late || o.kind !== 'rtd' || NO_RAISE_FLAGS.has(o.sourceFlag)) continue;
        const m = measure(rule, s, o);
        if (m === undefined) continue;
        const before = s.level;
        const next = step(rule, s, m, t);
        if (next !== undefined) {
          tags ??= { device: p.device.id, site: p.device.site.id, indicator: p.indicator.code };
          if (before === 0) await b.raise(s, rule, tags, next, m, t);
          else if (next === 0) await b.clear(s, t, m);
          else {
            const a = await b.alarm(s.alarmId!);
            a.level = next; a.peakLevel = Math.min(a.peakLevel, next); a.dirty = true;
            await b.event(a.id, next < before ? 'escalated' : 'de_escalated', t, next, m);
          }
          if (before === 0 || next === 0) continue;
        }
        if (s.level !== 0 && s.alarmId && indicated(rule, m, s.level) !== 0) {
          const a = await b.alarm(s.alarmId);
          const up = rule.direction === 'upper';
          a.count++; a.latest = m; a.latestMs = Math.max(a.latestMs, t);
          a.peak = a.peak === null ? m : up ? Math.max(a.peak, m) : Math.min(a.peak, m);
          a.dirty = true;
        }
      }
    }
  }
}
