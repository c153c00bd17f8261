// The threshold state machine, pure: one reading at a time → the level the alarm should be at after it.
import type { Gauge } from './rules.ts';

type Threshold = Gauge;

/** Rule state of one (rule, point) as stored in alarm_rule_state. Levels: 0 none, else 1 (most severe) … 4. */
export interface RuleState { level: number; candidate: number; candidateCount: number; candidateSinceMs: number | null }

/**
 * The level a value indicates given the current level: the most severe level whose raise value it reaches, or one at
 * or below the current severity whose clear value it has not got past (hysteresis). 0 = none.
 */
export function indicated(rule: Threshold, value: number, current: number): number {
  const up = rule.direction === 'upper';
  for (const l of rule.levels) { // most severe first
    if (up ? value >= l.raise : value <= l.raise) return l.level;
    if (current !== 0 && l.level >= current && (up ? value > l.clear : value < l.clear)) return l.level;
  }
  return 0;
}

/** 0 (none) is the least severe; level 1 the most. */
const severity = (level: number) => (level === 0 ? 0 : 5 - level);

/**
 * One reading: updates `s` in place and returns the new level when it changes (the candidate held for the rule's
 * duration), else undefined. A change is taken after `forReadings` consecutive readings indicating a change the same
 * way (all more severe than the current level, or all less), or when `forSeconds` is set, once the first of them is
 * that many seconds old; the level taken is the smallest change all of them support.
 */
export function step(rule: Threshold, s: RuleState, value: number, timeMs: number): number | undefined {
  const target = indicated(rule, value, s.level);
  if (target === s.level) { s.candidate = s.level; s.candidateCount = 0; s.candidateSinceMs = null; return undefined; }
  const worse = severity(target) > severity(s.level);
  const sameWay = s.candidateCount > 0 && s.candidate !== s.level && (severity(s.candidate) > severity(s.level)) === worse;
  if (!sameWay) { s.candidate = target; s.candidateCount = 1; s.candidateSinceMs = timeMs; }
  else {
    // The run goes on: the candidate is the smallest change every reading of it supports (26 then 60 %LEL from none:
    // both indicate at least level 2).
    s.candidate = worse ? (severity(target) < severity(s.candidate) ? target : s.candidate) : (severity(target) > severity(s.candidate) ? target : s.candidate);
    s.candidateCount++;
  }
  const held = rule.forSeconds !== undefined
    ? timeMs - (s.candidateSinceMs ?? timeMs) >= rule.forSeconds * 1000
    : s.candidateCount >= rule.forReadings;
  if (!held) return undefined;
  s.level = s.candidate; s.candidateCount = 0; s.candidateSinceMs = null;
  return s.level;
}
