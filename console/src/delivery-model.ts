// What the Delivery page reads from GET /v1/publish/targets and …/dead-letters, and the short form of a dead letter's
// answer from the target. Pure, no DOM.

export interface Target {
  name: string; type: string; stream?: string; state: string; backlog: number; pending_batches: number; lag_seconds: number;
  attempts: number; last_error: string | null; next_attempt_at: string | null; dead_letters: number; delivered_since_start: number;
}

export interface DeadLetter {
  id: string; count: number; idempotency_key: string; attempt: number; last_error: string | null; response: unknown;
  created_at: string; dead_at: string | null; first_observation_id: string | null; last_observation_id: string | null;
}

/** The target's answer as a person reads it: its HTTP status and the start of its body (`{status, body}` from an HTTP target). */
export function deadLetterSummary(d: DeadLetter, max = 120): { status?: number; body: string } {
  const r = d.response;
  if (r && typeof r === 'object') {
    const o = r as { status?: unknown; body?: unknown };
    const body = typeof o.body === 'string' ? o.body : o.body === undefined ? '' : JSON.stringify(o.body);
    return { status: typeof o.status === 'number' ? o.status : undefined, body: body.length > max ? `${body.slice(0, max)}…` : body };
  }
  const s = r === null || r === undefined ? '' : typeof r === 'string' ? r : JSON.stringify(r);
  return { body: s.length > max ? `${s.slice(0, max)}…` : s };
}
