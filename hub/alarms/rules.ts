// Which alarm rules apply to a point: the catalogue's defaults for its indicator (schemas/indicators/*.yaml,
// `alarm_rules`), replaced or extended by the overrides (config `alarms.overrides`, then the admin API's
// /v1/alarm-rules; site < device < point), thresholds converted to the indicator's unit. docs/alarms.md is the reference.
import type { AlarmRule } from '../../schemas/generated/types.ts';
import type { PointEntry } from '../registry/registry.ts';
import { applyConversion, conversion } from '../units/convert.ts';
import { LifelineError } from '../sdk/errors.ts';

export interface AlarmOverride { site?: string; device?: string; point?: string; indicator?: string; rule: AlarmRule }

export interface ThresholdLevel { level: number; raise: number; clear: number }
/** What the level state machine (threshold.ts) needs: limits on the rule's measure, levels most severe first. */
export interface Gauge { direction: 'upper' | 'lower'; levels: ThresholdLevel[]; forReadings: number; forSeconds?: number }
/**
 * A rule ready to evaluate. Every kind but no_data measures each reading (the value; its change over the window; the
 * length of its run of equal values; the length of its run of bad readings) and runs that measure through a Gauge.
 */
export type CompiledRule =
  | ({ id: string; kind: 'threshold' } & Gauge)
  | ({ id: string; kind: 'rate_of_change'; windowMs: number } & Gauge)
  | ({ id: string; kind: 'stuck'; tolerance: number } & Gauge)
  | ({ id: string; kind: 'quality' } & Gauge)
  | { id: string; kind: 'no_data'; silenceMs: number; level: number };
export type GaugeRule = Exclude<CompiledRule, { kind: 'no_data' }>;

const ruleError = (where: string, msg: string) => new LifelineError('CONFIG_INVALID', `alarm rule ${where}: ${msg}`, { details: { path: where } });

/** The alarm type (报警类型) a rule raises. */
export function alarmType(r: CompiledRule): string {
  switch (r.kind) {
    case 'threshold': return r.direction === 'upper' ? 'over_upper_limit' : 'under_lower_limit';
    case 'rate_of_change': return r.direction === 'upper' ? 'rising_fast' : 'falling_fast';
    case 'stuck': return 'stuck_value';
    case 'quality': return 'bad_quality';
    default: return 'no_data';
  }
}

/** What compileRule needs of the point beyond the rule. */
export interface RuleTarget { unit: string; lel?: number; expectedIntervalS?: number }

/** Checks a rule beyond its schema and converts it. */
export function compileRule(r: AlarmRule, p: RuleTarget, where: string): CompiledRule {
  if (r.kind === 'no_data') {
    const every = r.expected_interval_s ?? p.expectedIntervalS;
    if (!every) throw ruleError(where, 'a no_data rule needs expected_interval_s (on the rule, the point or its indicator)');
    return { id: r.id, kind: 'no_data', silenceMs: every * (r.intervals ?? 3) * 1000, level: r.level ?? 3 };
  }
  if (r.kind === 'stuck' || r.kind === 'quality') {
    if (!r.readings) throw ruleError(where, `a ${r.kind} rule needs readings (how many in a row raise)`);
    // The measure is the run's length: it raises at `readings` and falls back to 1 (stuck) or 0 (quality) when the run ends.
    const g: Gauge = { direction: 'upper', levels: [{ level: r.level ?? 3, raise: r.readings, clear: r.readings - 0.5 }], forReadings: 1 };
    return r.kind === 'stuck' ? { id: r.id, kind: 'stuck', tolerance: r.tolerance ?? 0, ...g } : { id: r.id, kind: 'quality', ...g };
  }
  if (!r.direction || !r.levels?.length) throw ruleError(where, `a ${r.kind} rule needs direction and levels`);
  if (r.kind === 'rate_of_change' && !r.window_s) throw ruleError(where, 'a rate_of_change rule needs window_s');
  const conv = r.unit ? conversion(r.unit, p.unit, p.lel) : undefined;
  if (conv instanceof LifelineError) throw ruleError(where, conv.message);
  // A change converts without the offset of the unit (°C → K is +273.15 for a value, +0 for a difference).
  const to = (v: number) => (!conv ? v : r.kind === 'rate_of_change' ? applyConversion(conv, v) - applyConversion(conv, 0) : applyConversion(conv, v));
  const upper = r.direction === 'upper';
  const levels = r.levels.map((l) => ({ level: l.level, raise: to(l.raise), clear: to(l.clear) })).sort((a, b) => a.level - b.level);
  if (new Set(levels.map((l) => l.level)).size !== levels.length) throw ruleError(where, 'a level is listed twice');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (upper ? l.clear >= l.raise : l.clear <= l.raise) throw ruleError(where, `level ${l.level}: clear must be ${upper ? 'below' : 'above'} raise (hysteresis)`);
    const next = levels[i + 1];
    if (next && (upper ? next.raise >= l.raise : next.raise <= l.raise)) throw ruleError(where, `level ${next.level} must raise ${upper ? 'below' : 'above'} the more severe level ${l.level}`);
  }
  const g: Gauge = { direction: r.direction, levels, forReadings: r.for?.readings ?? 1, forSeconds: r.for?.seconds };
  return r.kind === 'rate_of_change' ? { id: r.id, kind: 'rate_of_change', windowMs: r.window_s! * 1000, ...g } : { id: r.id, kind: 'threshold', ...g };
}

/** Resolves and caches the rules of each point; `invalidate()` after the registry or the overrides changed. */
export class RuleBook {
  private cache = new Map<number, CompiledRule[]>();
  /**
   * Compiled rules shared between points, and the lists of them: a rule (the same catalogue entry or override, the
   * same unit facts) compiles to one object whatever the number of points it applies to, and points with the same
   * rules share one list. Evaluation reads a point's rules at each of its readings: 10,000 points × 3 rules compiled
   * apart were 30,000 rule objects and their levels, cold in the CPU's cache at every reading (docs/alarms.md, ninth
   * pass); shared, they are a few, always warm.
   */
  private shared = new Map<AlarmRule, Map<string, { rule: CompiledRule; n: number }>>();
  private lists = new Map<string, CompiledRule[]>();
  private serial = 0;
  private extra: Array<{ id: string; override: AlarmOverride }> = [];
  /** Moves at each invalidation: what was built from rulesFor before holds while it is the same. */
  generation = 0;
  constructor(private readonly overrides: AlarmOverride[]) {}

  invalidate(): void { this.clear(); this.generation++; }

  /** Overrides from the store (/v1/alarm-rules), applied after the config's at each scope. */
  setStored(extra: Array<{ id: string; override: AlarmOverride }>): void { this.extra = extra; this.clear(); this.generation++; }

  private clear(): void { this.cache.clear(); this.shared.clear(); this.lists.clear(); }

  rulesFor(p: PointEntry): CompiledRule[] {
    let out = this.cache.get(p.id);
    if (out) return out;
    const target = targetOf(p);
    const facts = `${target.unit}\u0000${target.lel ?? ''}\u0000${target.expectedIntervalS ?? ''}`;
    const serials: number[] = [];
    const compiled = this.resolve(p).map((x) => {
      let byFacts = this.shared.get(x.rule);
      if (!byFacts) { byFacts = new Map(); this.shared.set(x.rule, byFacts); }
      let c = byFacts.get(facts);
      if (!c) { c = { rule: compileRule(x.rule, target, x.where), n: ++this.serial }; byFacts.set(facts, c); }
      serials.push(c.n);
      return c.rule;
    });
    const list = serials.join(',');
    out = this.lists.get(list);
    if (!out) { out = compiled; this.lists.set(list, out); }
    this.cache.set(p.id, out);
    return out;
  }

  /** The rules of a point as data (enabled ones), with where each comes from. */
  resolve(p: PointEntry): Array<{ rule: AlarmRule; where: string }> {
    const byId = new Map<string, { rule: AlarmRule; where: string }>();
    (p.indicator.alarm_rules ?? []).forEach((rule, i) => byId.set(rule.id, { rule, where: `${p.indicator.code}/alarm_rules/${i}` }));
    const all = [...this.overrides.map((o, i) => ({ o, where: `/alarms/overrides/${i}` })), ...this.extra.map((x) => ({ o: x.override, where: `alarm-rules/${x.id}` }))];
    const scoped = (pick: (o: AlarmOverride) => boolean) => all.forEach(({ o, where }) => {
      if (pick(o) && (!o.indicator || o.indicator === p.indicator.code)) byId.set(o.rule.id, { rule: o.rule, where });
    });
    scoped((o) => o.site !== undefined && o.site === p.device.site.code);
    scoped((o) => o.device !== undefined && o.device === p.device.code);
    scoped((o) => o.point !== undefined && o.point === p.code);
    return [...byId.values()].filter((x) => x.rule.enabled !== false);
  }
}

/** The point facts a rule compiles against. */
export function targetOf(p: PointEntry): RuleTarget {
  const doc = p.doc as { lel_percent_vol?: number; expected_interval_s?: number };
  const ind = p.indicator as { lel_percent_vol?: number; expected_interval_s?: number; unit: string };
  return { unit: ind.unit, lel: doc.lel_percent_vol ?? ind.lel_percent_vol, expectedIntervalS: doc.expected_interval_s ?? ind.expected_interval_s };
}

/** Each override names exactly one of site, device, point. Thrown at start. */
export function checkOverrides(overrides: AlarmOverride[], prefix = '/alarms/overrides'): void {
  overrides.forEach((o, i) => {
    const n = [o.site, o.device, o.point].filter((x) => x !== undefined).length;
    if (n !== 1) throw ruleError(`${prefix}/${i}`, 'name exactly one of site, device, point');
  });
}
