// Reconnect delays: exponential, capped, jittered, unbounded in attempts. Pure given the random source.
export interface BackoffOptions { initialMs: number; maxMs: number; jitter: number; multiplier?: number }

/** Delay before reconnect attempt `attempt` (0-based): initial × multiplier^attempt, capped, ± jitter. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const exp = o.initialMs * Math.pow(o.multiplier ?? 2, Math.min(attempt, 60));
  const capped = Math.min(o.maxMs, exp);
  const spread = capped * o.jitter * (random() * 2 - 1);
  return Math.max(1, Math.round(Math.min(o.maxMs, capped + spread)));
}
