// The pull audit's flush ends under steady reads: each write takes what was pending when it started, so GET /v1/audit
// (which flushes first) answers while entries keep arriving. A store that records every statement stands in for
// PostgreSQL here: what is asserted is when flush() resolves, not SQL (the tenancy matrix reads audit rows back).
import t from 'tap';
import { PullAudit, queryAudit, type AuditEntry } from '../audit.ts';
import { openPglite } from '../../store/pglite.ts';
import { openPostgres } from '../../store/postgres.ts';
import { migrate } from '../../store/migrate.ts';
import type { SqlDriver } from '../../store/driver.ts';
import { freshDatabase, postgresUp, needService } from '../../../test/helpers/services.ts';

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

// A client's filter is stored as jsonb: a NUL or a lone surrogate in a query parameter used to make the batch's INSERT
// fail, and the failed batch was kept and retried with every flush, forever: from that read on nothing more was
// audited, and each flush re-sent up to 500 entries (a hostile-requests run spent 14 of its 21 s there).
for (const store of ['pglite', 'postgres'] as const) {
  t.test(`${store}: a filter the store cannot hold is cleaned; an entry it still refuses is dropped alone`, async (t) => {
    let db: SqlDriver;
    if (store === 'pglite') db = await openPglite();
    else {
      if (!needService(t, 'PostgreSQL', await postgresUp())) return;
      const pg = await freshDatabase();
      db = await openPostgres(pg.url, 2);
      t.teardown(() => pg.drop());
    }
    t.teardown(() => db.close());
    await migrate(db);
    const errors: unknown[] = [];
    const audit = new PullAudit(db, { flushMs: 10_000, onError: (e) => errors.push(e) });
    audit.record({ ...entry(1), filter: { point: 'a\u0000b', q: '\ud800x', ['k\u0000']: ['\udfff'] }, route: '/v1/x\u0000' });
    audit.record({ ...entry(2), rows: 2 ** 40 }); // row_count is int4: refused for its content (22003), on every try
    audit.record(entry(3));
    await audit.flush();
    const rows = await queryAudit(db, { limit: 10 });
    t.same(rows.map((r) => r.rows).reverse(), [1, 1], 'the entries around the refused one are stored');
    t.same(rows.at(-1)!.filter, { point: 'a\ufffdb', q: '\ufffdx', ['k\ufffd']: ['\ufffd'] }, 'NUL and lone surrogates stored as U+FFFD');
    t.equal(rows.at(-1)!.route, '/v1/x\ufffd');
    t.equal(audit.refused, 1, 'the refused entry is counted');
    t.equal(errors.length, 1, 'and reported once');
    audit.record(entry(4));
    await audit.close();
    t.equal((await queryAudit(db, { limit: 10 })).length, 3, 'later entries are written as before: nothing is retried');
  });
}
