// The pull audit's flush ends under steady reads: each write takes what was pending when it started, so GET /v1/audit
// (which flushes first) answers while entries keep arriving. A store that records every statement stands in for
// PostgreSQL here: what is asserted is when flush() resolves, not SQL (the tenancy matrix reads audit rows back).
import t from 'tap';
import { PullAudit, type AuditEntry } from '../audit.ts';

const entry = (i: number): AuditEntry => ({ atMs: i, keyId: 'k', keyName: 'k', method: 'GET', route: '/v1/x', filter: {}, status: 200, rows: 1, bytes: 1, durationMs: 1 });

t.test('flush resolves while entries keep being recorded', async (t) => {
  let audit: PullAudit | undefined;
  let n = 0, written = 0, traffic = true;
  // Every insert takes a moment, during which 600 more reads are recorded (more than a batch).
  const db = { query: async (_sql: string, params?: unknown[]) => {
    await new Promise((r) => setTimeout(r, 2));
    if (traffic) for (let i = 0; i < 600; i++) audit!.record(entry(n++));
    written += (params?.[0] as unknown[] | undefined)?.length ?? 0;
    return { rows: [], rowCount: 0 };
  } };
  audit = new PullAudit(db as never, { flushMs: 1000 });
  for (let i = 0; i < 10; i++) audit.record(entry(n++));
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([audit.flush().then(() => true), new Promise<false>((r) => { timer = setTimeout(() => r(false), 3000); })]);
  clearTimeout(timer);
  t.ok(ended, 'flush resolved within 3 s');
  t.ok(written >= 10, `the entries pending when it was called are written (${written} rows written)`);
  traffic = false; // the reads stop: what is left is written, and the test ends
  await audit.close();
});
