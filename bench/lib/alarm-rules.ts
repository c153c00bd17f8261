// The 3 rules per point of the alarm benches (bench/alarms.ts, bench/alarms-eval.ts), as site overrides: a threshold,
// a rate_of_change over 60 s and a stuck rule over 30 readings; the catalogue's own low_pressure rule switched off so
// that each water.pipe_pressure point has exactly these 3.
import type { AlarmOverride } from '../../hub/alarms/rules.ts';

export function benchRules(site: string): AlarmOverride[] {
  return [
    { site, rule: { id: 'low_pressure', kind: 'threshold', enabled: false } },
    { site, rule: { id: 'high', kind: 'threshold', direction: 'upper', levels: [{ level: 2, raise: 1.0, clear: 0.8 }] } },
    { site, rule: { id: 'jump', kind: 'rate_of_change', direction: 'upper', window_s: 60, levels: [{ level: 3, raise: 0.5, clear: 0.3 }] } },
    { site, rule: { id: 'frozen', kind: 'stuck', readings: 30, level: 4 } },
  ] as unknown as AlarmOverride[];
}
