// What a target's status is, from the store's row for it: one function, so `GET /v1/publish/targets` (the running
// engine) and `lifeline publish status --config` (straight on the store) answer the same shape with the same rules.
import type { TargetStatusRow } from './store.ts';
import type { TargetSpec } from './targets.ts';

export interface TargetStatus {
  name: string;
  type: string;
  /** What it carries (for alarms, the counts below are of alarm events). */
  stream: 'observations' | 'alarms';
  state: 'running' | 'paused' | 'retrying' | 'disabled';
  /** Observations committed but not delivered yet (batched + not yet batched, before the filter). */
  backlog: number;
  pending_batches: number;
  /** Seconds since the oldest undelivered observation was committed (0 when none). */
  lag_seconds: number;
  /** Attempts made so far on the batch at the head of the line. */
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  dead_letters: number;
  /** Batches' observations delivered by this process since it started (0 from the CLI, which delivers nothing). */
  delivered_since_start: number;
}

/** The body of `GET /v1/publish/targets`, which `lifeline publish status --json` prints too. */
export interface PublishStatus { driver: string | null; data: TargetStatus[] }

export function targetStatusOf(r: TargetStatusRow, spec: Pick<TargetSpec, 'type' | 'enabled' | 'stream'>, deliveredSinceStart: number): TargetStatus {
  const retrying = (r.head_attempt ?? 0) > 0 && r.head_next_at_ms !== null;
  return {
    name: r.target, type: spec.type, stream: spec.stream,
    state: !spec.enabled ? 'disabled' : r.paused ? 'paused' : retrying ? 'retrying' : 'running',
    backlog: r.pending_observations + r.unbatched_observations,
    pending_batches: r.pending_batches,
    lag_seconds: r.oldest_ms === null ? 0 : Math.max(0.1, Math.round((r.now_ms - r.oldest_ms) / 100) / 10), // 0 only when nothing waits
    attempts: r.head_attempt ?? 0,
    last_error: r.head_error,
    next_attempt_at: retrying ? new Date(r.head_next_at_ms!).toISOString() : null,
    dead_letters: r.dead_letters,
    delivered_since_start: deliveredSinceStart,
  };
}
