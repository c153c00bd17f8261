// Which alarm rules apply to a point: the catalogue's defaults for its indicator (schemas/indicators/*.yaml,
// `alarm_rules`), replaced or extended by the config's overrides (site < device < point), thresholds converted to the
// indicator's unit. docs/alarms.md is the reference.
import type { AlarmRule } from '../../schemas/generated/types.ts';
import type { PointEntry } from '../registry/registry.ts';
import { applyConversion, conversion } from '../units/convert.ts';
import { LifelineError } from '../sdk/errors.ts';

export interface AlarmOverride { site?: string; device?: string; point?: string; indicator?: string; rule: AlarmRule }

export interface ThresholdLevel { level: number; raise: number; clear: number }
/** A rule ready to evaluate: thresholds in the indicator's unit, levels most severe first. */
export type CompiledRule =
  | { id: string; kind: 'threshold'; direction: 'upper' | 'lower'; levels: ThresholdLevel[]; forReadings: number; forSeconds?: number }
  | { id: string; kind: 'no_data'; silenceMs: number; level: number };

const ruleError = (where: string, msg: string) => new LifelineError('CONFIG_INVALID', `alarm rule ${where}: ${msg}`, { details: { path: where } });

/** Checks a rule beyond its schema and converts it; `unit`/`lel` are the indicator's. */
export function compileRule(r: AlarmRule, unit: string, lel: number | undefined, where: string): CompiledRule {
  if (r.kind === 'no_data') {
    if (!r.expected_interval_s) throw ruleError(where, 'a no_data rule needs expected_interval_s');
    return { id: r.id, kind: 'no_data', silenceMs: r.expected_interval_s * (r.intervals ?? 3) * 1000, level: r.level ?? 3 };
  }
  if (!r.direction || !r.levels?.length) throw ruleError(where, 'a threshold rule needs direction and levels');
  const conv = r.unit ? conversion(r.unit, unit, lel) : undefined;
  if (conv instanceof LifelineError) throw ruleError(where, conv.message);
  const to = (v: number) => (conv ? applyConversion(conv, v) : v);
  const upper = r.direction === 'upper';
  const levels = r.levels.map((l) => ({ level: l.level, raise: to(l.raise), clear: to(l.clear) })).sort((a, b) => a.level - b.level);
  if (new Set(levels.map((l) => l.level)).size !== levels.length) throw ruleError(where, 'a level is listed twice');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (upper ? l.clear >= l.raise : l.clear <= l.raise) throw ruleError(where, `level ${l.level}: clear must be ${upper ? 'below' : 'above'} raise (hysteresis)`);
    const next = levels[i + 1];
    if (next && (upper ? next.raise >= l.raise : next.raise <= l.raise)) throw ruleError(where, `level ${next.level} must raise ${upper ? 'below' : 'above'} the more severe level ${l.level}`);
  }
  return { id: r.id, kind: 'threshold', direction: r.direction, levels, forReadings: r.for?.readings ?? 1, forSeconds: r.for?.seconds };
}

/** Resolves and caches the rules of each point; `invalidate()` after the registry changed. */
export class RuleBook {
  private cache = new Map<number, CompiledRule[]>();
  constructor(private readonly overrides: AlarmOverride[]) {}

  invalidate(): void { this.cache.clear(); }

  rulesFor(p: PointEntry): CompiledRule[] {
    let out = this.cache.get(p.id);
    if (out) return out;
    const byId = new Map<string, { rule: AlarmRule; where: string }>();
    (p.indicator.alarm_rules ?? []).forEach((rule, i) => byId.set(rule.id, { rule, where: `${p.indicator.code}/alarm_rules/${i}` }));
    const scoped = (pick: (o: AlarmOverride) => boolean) => this.overrides.forEach((o, i) => {
      if (pick(o) && (!o.indicator || o.indicator === p.indicator.code)) byId.set(o.rule.id, { rule: o.rule, where: `/alarms/overrides/${i}` });
    });
    scoped((o) => o.site !== undefined && o.site === p.device.site.code);
    scoped((o) => o.device !== undefined && o.device === p.device.code);
    scoped((o) => o.point !== undefined && o.point === p.code);
    const lel = (p.doc as { lel_percent_vol?: number }).lel_percent_vol ?? p.indicator.lel_percent_vol;
    out = [...byId.values()].filter((x) => x.rule.enabled !== false).map((x) => compileRule(x.rule, p.indicator.unit, lel, x.where));
    this.cache.set(p.id, out);
    return out;
  }
}

/** Each override names exactly one of site, device, point. Thrown at start. */
export function checkOverrides(overrides: AlarmOverride[]): void {
  overrides.forEach((o, i) => {
    const n = [o.site, o.device, o.point].filter((x) => x !== undefined).length;
    if (n !== 1) throw ruleError(`/alarms/overrides/${i}`, 'name exactly one of site, device, point');
  });
}
