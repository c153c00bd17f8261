// Is each upstream target getting its data? What /health reports and what operators are warned about.
//
// Two sources, because either alone misses a case:
// - the failure streak this process saw (every attempt's outcome, so it knows when the failing began and covers
//   batches that were dead-lettered, which leave no pending head behind);
// - the store's view, refreshed every 2 s by the engine (the head batch has failed attempts), which also shows a
//   target another hub process is failing to reach (BullMQ driver: any hub may be the one sending).
// Both are in memory when /health asks: liveness never waits on the store.
import type { Logger } from 'pino';

/** Consecutive failed attempts of one target, since its last successful delivery. */
export interface FailureStreak {
  /** When the first failure of the streak happened (ms since epoch). */
  since: number;
  attempts: number;
  deadLettered: number;
  lastError: string;
  /** The last failure ran out of attempts (or was refused for good): the batch went to the dead letters. */
  lastDead: boolean;
}

export interface TargetHealth {
  name: string;
  status: 'ok' | 'degraded';
  /** retrying: the head batch failed and waits for its next attempt; dead_lettered: a batch ran out of attempts (or was refused) and nothing was delivered since. */
  reason?: 'retrying' | 'dead_lettered';
  last_error?: string | null;
  /** When the failing began, when this process saw it (null when only the store says so). */
  since?: string | null;
  /** Failed attempts in a row (this process). */
  attempts?: number;
}

/** What the store said about a target at the last refresh (a subset of the engine's TargetStatus). */
export interface StoredState { name: string; state: string; last_error: string | null }

/** Record one attempt's outcome; logs the transitions (first failure: warn, recovery: info). Returns the new streak. */
export function noteOutcome(streak: FailureStreak | undefined, outcome: { ok: true } | { ok: false; dead: boolean; error: string }, now: number, log: Logger, target: string): FailureStreak | undefined {
  if (outcome.ok) {
    if (streak) log.info({ target, failed_attempts: streak.attempts, dead_lettered: streak.deadLettered, failing_since: new Date(streak.since).toISOString() }, 'delivery recovered');
    return undefined;
  }
  if (!streak) log.warn({ target, reason: outcome.error }, 'delivery to the target is failing: health is degraded until a batch gets through');
  const s = streak ?? { since: now, attempts: 0, deadLettered: 0, lastError: '', lastDead: false };
  return { ...s, attempts: s.attempts + 1, deadLettered: s.deadLettered + (outcome.dead ? 1 : 0), lastError: outcome.error, lastDead: outcome.dead };
}

/** A target's health from its streak in this process and the last stored state. */
export function targetHealth(name: string, streak: FailureStreak | undefined, stored: StoredState | undefined): TargetHealth {
  const retrying = stored?.state === 'retrying';
  if (!streak && !retrying) return { name, status: 'ok' };
  return {
    name, status: 'degraded',
    reason: streak ? (streak.lastDead ? 'dead_lettered' : 'retrying') : 'retrying',
    last_error: streak?.lastError ?? stored?.last_error ?? null,
    since: streak ? new Date(streak.since).toISOString() : null,
    attempts: streak?.attempts,
  };
}
