// Values the store cannot take are a client's mistake (400 with a code), never a store error (500, "retryable").
import type { FastifyRequest } from 'fastify';
import { LifelineError } from '../sdk/errors.ts';
import { isStorableText } from '../sdk/text.ts';

/** Largest store id (PostgreSQL bigint). */
const MAX_ID = 9223372036854775807n;

/** A decimal store id (quarantine entry, dead letter, observation) that PostgreSQL's bigint can hold. */
export const isStoreId = (s: unknown): boolean => typeof s === 'string' && /^[0-9]{1,19}$/.test(s) && BigInt(s) <= MAX_ID;

const invalid = (code: 'QUERY_INVALID' | 'BODY_INVALID', path: string, message: string) => new LifelineError(code, `${path} ${message}`, { details: { path } });

/** QUERY_INVALID (or BODY_INVALID) unless `s` is a store id; `what` names it in the message. */
export function storeId(s: string, path: string, code: 'QUERY_INVALID' | 'BODY_INVALID' = 'QUERY_INVALID'): string {
  if (!isStoreId(s)) throw invalid(code, path, `"${s.slice(0, 40)}" is not an id this API returned (a decimal integer up to ${MAX_ID})`);
  return s;
}

/** BODY_INVALID unless `s` is text the store can hold (no NUL, no lone UTF-16 surrogate). */
export function storableText(s: string | undefined, path: string): string | undefined {
  if (s !== undefined && !isStorableText(s)) throw invalid('BODY_INVALID', path, 'holds a NUL character or a lone UTF-16 surrogate');
  return s;
}

/**
 * After schema validation, for every route: query and path values the store cannot take. Text with NUL (`%00`) would
 * fail a SQL parameter; a number like `1e309` passes ajv's range checks as Infinity (ajv skips them when coercion makes
 * a non-finite number).
 */
export async function guardParams(req: FastifyRequest): Promise<void> {
  const body = req.body;
  // JSON itself can say 1e309 (JSON.parse makes it Infinity), and ajv's coercion turns "1e309" into one too.
  // Not for ingest batches: the pipeline judges each record on its own (a non-finite value is quarantined), and the
  // hot path does not walk every batch twice.
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && req.routeOptions.url !== '/v1/observations') {
    const bad = firstNonFinite(body, '/body');
    if (bad) throw invalid('BODY_INVALID', bad, 'must be a finite number');
  }
  for (const [where, values] of [['', req.query], ['/params', req.params]] as const) {
    if (!values || typeof values !== 'object') continue;
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
      for (const x of Array.isArray(v) ? v : [v]) {
        const path = `${where}/${k}`;
        if (typeof x === 'number' && !Number.isFinite(x)) throw invalid('QUERY_INVALID', path, 'must be a finite number');
        if (typeof x === 'string' && !isStorableText(x)) throw invalid('QUERY_INVALID', path, 'holds a NUL character or a lone UTF-16 surrogate');
      }
    }
  }
}

/** The JSON pointer of the first non-finite number in `v` (bodies are depth-limited before this runs), if any. */
function firstNonFinite(v: object, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[v, root]];
  while (stack.length) {
    const [x, path] = stack.pop()!;
    if (typeof x === 'number') { if (!Number.isFinite(x)) return path; continue; }
    if (x === null || typeof x !== 'object') continue;
    for (const [k, c] of Object.entries(x)) if (typeof c === 'number' || (c !== null && typeof c === 'object')) stack.push([c, `${path}/${k}`]);
  }
  return undefined;
}
