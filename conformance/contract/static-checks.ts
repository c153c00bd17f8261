// The contract's static checks: the error codes an adapter raised are registered, and its docs page carries the
// config table generated from its schema.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AdapterManifest } from '../../hub/sdk/index.ts';
import { HubErrorCodes } from '../../hub/sdk/errors.ts';
import { withConfigTable } from '../../scripts/config-table.ts';

const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
const CODE_KEYS = new Set(['code', 'reason', 'error_code']);

/** Collects UPPER_SNAKE values of `code`-like fields (code, reason, error_code) of a logged object, an error or a health detail. */
export function scanCodes(v: unknown, where: string, into: Map<string, string>, depth = 0): void {
  if (!v || typeof v !== 'object' || depth > 6) return;
  if (Array.isArray(v)) { for (const x of v.slice(0, 100)) scanCodes(x, where, into, depth + 1); return; }
  const o = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    if (CODE_KEYS.has(k) && typeof x === 'string' && x.length <= 64 && CODE.test(x) && !into.has(x)) into.set(x, where);
    else if (x && typeof x === 'object') scanCodes(x, where, into, depth + 1);
  }
  const cause = (v as { cause?: unknown }).cause;
  if (cause && typeof cause === 'object') scanCodes(cause, where, into, depth + 1);
}

/**
 * Codes in no registry (the hub's, or the adapter's own). Node's own codes are a cause, not the adapter's: system
 * errors (ECONNREFUSED) never match CODE, and its ERR_* codes are left out.
 */
export function codesProblems(codes: Map<string, string>, own: readonly string[]): Array<{ code: string; where: string }> {
  const known = new Set([...Object.keys(HubErrorCodes), ...own]);
  return [...codes].filter(([c]) => !known.has(c) && !c.startsWith('ERR_')).map(([code, where]) => ({ code, where }));
}

const root = new URL('../../', import.meta.url);

/** The adapter's docs page and what is wrong with it (nothing: problem undefined). */
export function docsProblem(m: AdapterManifest, page?: string): { page: string; problem?: string } {
  const file = page ?? fileURLToPath(new URL(`docs/adapters/${m.id}.md`, root));
  const shown = file.replace(fileURLToPath(root), '');
  if (!existsSync(file)) return { page: shown, problem: `no docs page: ${shown} does not exist${page ? '' : ' (a plugin names its page in its driver: docs)'}` };
  const text = readFileSync(file, 'utf8');
  if (!/<!-- config:start -->\n[\s\S]*?\n<!-- config:end -->/.test(text)) return { page: shown, problem: `${shown} has no generated config table (a block between <!-- config:start --> and <!-- config:end -->)` };
  if (withConfigTable(text, m.configSchema as never) !== text) return { page: shown, problem: `${shown}: the config table does not match manifest.configSchema (regenerate it: npm run gen, or scripts/config-table.ts renderConfigTable)` };
  return { page: shown };
}
