// Docs match code (fastify style): every registered error code has a row in docs/reference/errors.md and back.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { HubErrorCodes, LifelineError } from '../errors.ts';

const doc = readFileSync(new URL('../../../docs/reference/errors.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => ({ code: m[1]!, status: Number(m[2]) }));

t.ok(documented.length > 0, 'the table parses');
t.same(documented.map((d) => d.code).sort(), Object.keys(HubErrorCodes).sort(), 'same codes in docs and registry');
for (const d of documented) {
  const known = HubErrorCodes[d.code as keyof typeof HubErrorCodes];
  if (known) t.equal(d.status, known.status, `${d.code} documented with its HTTP status`);
}

t.test('LifelineError carries code, status, retryable and never a stack to peers', async (t) => {
  const e = new LifelineError('STORE_COMMIT_FAILED', 'x', { details: { path: '/a' }, cause: new Error('inner') });
  t.equal(e.httpStatus, 503);
  t.equal(e.retryable, true);
  t.same(Object.keys(e.toJSON()).sort(), ['code', 'details', 'message', 'retryable']);
  t.ok(e.cause instanceof Error);
  t.equal(new LifelineError('VENDOR_X', 'y').httpStatus, 500, 'unknown codes default to 500, not retryable');
});
