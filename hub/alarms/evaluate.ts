// Running readings through the rules of their points: the measure of each kind and the level machine, writing into a
// Batch (batch.ts). Used by the evaluator's steps on the outbox (step.ts) and by backtests (backtest.ts); no_data runs
// on the clock (no-data.ts). docs/alarms.md is the reference.
import type { Registry } from '../registry/registry.ts';
import type { CompiledRule, GaugeRule, RuleBook } from './rules.ts';
import { indicated, step } from './threshold.ts';
import { key, type Batch, type Memo, type Slot, type StateBook, type StateRow, type Tags } from './batch.ts';
import type { Recent } from './recent.ts';

export type { StateRow } from './batch.ts';

/** HJ 212 source flags that never raise: maintenance, calibration. */
export const NO_RAISE_FLAGS = new Set(['M', 'C']);
/** The device-offline alarm's rule id and kind. */
export const OFFLINE_RULE = 'device_offline';
/**
 * Readings a step evaluates between two turns of the event loop. Evaluation shares the hub's one thread with ingest,
 * at about 2 µs a reading in a busy hub: a step of a few batches held the thread 5–10 ms, one at its cap (20,000
 * readings, catching up) about 40 ms, and the replies to ingest's commits waited behind it (docs/alarms.md).
 */
export const YIELD_EVERY = 500;
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
      // The window, flat (batch.ts Memo): time, value, time, value … oldest first.
      let w = s.memo as number[] | null;
      if (!Array.isArray(w)) { w = []; s.memo = w; }
      // The newest reading replaces the one before it when that one is less than window/WINDOW_CAP after its own
      // predecessor (in place: nothing allocated per reading).
      const gap = rule.windowMs / WINDOW_CAP;
      let n = w.length;
      if (n >= 4 && w[n - 2]! - w[n - 4]! < gap) { w[n - 2] = o.timeMs; w[n - 1] = o.value; }
      else { w.push(o.timeMs, o.value); n += 2; }
      // Readings older than the window go (the newest always stays), then the second oldest beyond the cap.
      const from = o.timeMs - rule.windowMs;
      let drop = 0;
      while (n - drop > 2 && w[drop]! < from) drop += 2;
      if (n - drop > (WINDOW_CAP + 1) * 2) { w[drop + 2] = w[drop]!; w[drop + 3] = w[drop + 1]!; drop += 2; }
      if (drop) { for (let i = drop; i < n; i++) w[i - drop] = w[i]!; w.length = n - drop; }
      const d = o.value - w[1]!;
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

/** A point's readings (order[from, to) into obs) in (time, id) order: as they come nearly always; sorted when not. */
function inOrder(obs: Obs[], order: Int32Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const a = obs[order[i - 1]!]!, b = obs[order[i]!]!;
    if (a.timeMs > b.timeMs || (a.timeMs === b.timeMs && (a.n ?? 0) > (b.n ?? 0))) {
      order.subarray(from, to).sort((x, y) => obs[x]!.timeMs - obs[y]!.timeMs || (obs[x]!.n ?? 0) - (obs[y]!.n ?? 0));
      return;
    }
  }
}

/**
 * Runs readings through the rules of their points (per point, in time order). Each reading costs one lookup of its
 * point's slot (registry entry, rules, states: batch.ts); a slot is built once per point, registry and rules.
 */
export async function evaluate(b: Batch, ctx: AlarmContext, obs: Obs[], ruleFor?: (pointId: number) => CompiledRule[] | undefined): Promise<void> {
  const reg = ctx.registry();
  // With rules of its own (a backtest) the book is the batch's own, fresh: every slot is built for this call.
  const gen = ruleFor ? -1 : ctx.rules.generation;
  const book = b.book;
  const slots = book.slots;
  const mark = ++book.mark;
  const work: Slot[] = [];
  const fresh: Slot[] = [];
  // Each reading's slot, then the readings grouped by slot as indexes into `obs` (`order`, a slot's run from its
  // `first`): numbers only. A slot lives as long as the hub, its readings only for the step: an array per slot that
  // held them put a pointer from an old object to a young one per reading, which every scavenge had to visit, and kept
  // the readings alive to their next promotion.
  const slotOf: Array<Slot | undefined> = new Array(obs.length);
  for (let i = 0; i < obs.length; i++) {
    const o = obs[i]!;
    let slot = slots[o.pointId];
    if (slot === undefined || slot.reg !== reg || slot.gen !== gen) {
      slot = { reg, gen, p: reg.pointById.get(o.pointId), rules: [], states: [], noData: false, first: 0, count: 0, mark: 0 };
      slots[o.pointId] = slot;
      if (slot.p) {
        try { slot.rules = (ruleFor ? ruleFor(o.pointId) : ctx.rules.rulesFor(slot.p)) ?? []; } catch (e) { ctx.onRuleError?.(o.pointId, e); slot.p = undefined; }
        if (slot.rules.length) { slot.noData = slot.rules.some((r) => r.kind === 'no_data'); fresh.push(slot); }
      }
    }
    if (!slot.rules.length || !slot.p) continue;
    if (slot.mark !== mark) { slot.mark = mark; slot.count = 0; work.push(slot); }
    slot.count++;
    slotOf[i] = slot;
  }
  let at = 0;
  for (const w of work) { w.first = at; at += w.count; w.count = 0; }
  const order = new Int32Array(at);
  for (let i = 0; i < obs.length; i++) { const w = slotOf[i]; if (w) order[w.first + w.count++] = i; }
  // The states of new slots: those not in memory read in one query.
  if (fresh.length) {
    const unknown: Array<[string, number]> = [];
    for (const f of fresh) for (const r of f.rules) if (!b.states.has(key(r.id, f.p!.id))) unknown.push([r.id, f.p!.id]);
    await b.loadStates(unknown);
    for (const f of fresh) { const pointId = f.p!.id; f.states = f.rules.map((r) => b.stateKeyed(key(r.id, pointId), r.id, pointId, null, r)); }
  }
  // Points in id order: the alarms a step raises get their ids in the same order whatever order the readings came in.
  for (let i = 1; i < work.length; i++) if (work[i - 1]!.p!.id > work[i]!.p!.id) { work.sort((x, y) => x.p!.id - y.p!.id); break; }
  await run(b, ctx, obs, order, work);
}

async function run(b: Batch, ctx: AlarmContext, obs: Obs[], order: Int32Array, work: Slot[]): Promise<void> {
  const reg = ctx.registry();
  let noDataDevices: Set<number> | undefined;
  const alarmIds: string[] = [];
  for (const w of work) {
    inOrder(obs, order, w.first, w.first + w.count);
    if (w.noData) (noDataDevices ??= new Set()).add(w.p!.device.id);
    for (const s of w.states) if (s.alarmId) alarmIds.push(s.alarmId);
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
  let done = 0;
  for (const { p: point, first, count, rules, states } of work) {
    done += count;
    if (done >= YIELD_EVERY) { done = 0; await new Promise<void>((r) => setImmediate(r)); }
    const p = point!;
    let tags: Tags | undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const s = states[i]!;
      for (let j = first; j < first + count; j++) {
        const o = obs[order[j]!]!;
        const t = o.timeMs;
        const late = t < s.lastMs; // (false while there was none: NaN)
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
      b.touchIfChanged(s);
    }
  }
}
