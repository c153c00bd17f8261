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

t.test('reads arriving while writes are slow are written together, not one write queued per read', async (t) => {
  let inserts = 0, rowsWritten = 0;
  const db = { query: async (_sql: string, params?: unknown[]) => {
    inserts++;
    rowsWritten += (params?.[0] as unknown[] | undefined)?.length ?? 0;
    await new Promise((r) => setTimeout(r, 50));
    return { rows: [], rowCount: 0 };
  } };
  const audit = new PullAudit(db as never, { flushMs: 1000 });
  // A batch's worth pending, then a read every millisecond while each write takes 50 ms (every read past a batch's
  // worth asks for a flush); after 1.5 s, a flush (GET /v1/audit) while the reads go on.
  let n = 0;
  for (; n < 500; n++) audit.record(entry(n));
  const reads = setInterval(() => audit.record(entry(n++)), 1);
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([audit.flush().then(() => true), new Promise<false>((r) => { timer = setTimeout(() => r(false), 1000); })]);
  clearTimeout(timer);
  clearInterval(reads);
  t.ok(ended, `a flush among them resolved within 1 s (${Math.round(performance.now() - t0)} ms)`);
  await audit.close();
  t.equal(rowsWritten, n, `every entry written (${n})`);
  t.ok(inserts <= 20, `in ${inserts} inserts (a write joins the one waiting: not a write queued per read past a batch)`);
});
