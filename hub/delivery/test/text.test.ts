// An upstream that answers with NUL or a lone surrogate (in its error text or its JSON body) must not fail the UPDATE
// that records the attempt: the head batch would stay stuck, retried for ever.
import t from 'tap';
import { startTestHub } from '../../../test/helpers/hub.ts';
import { markDead, markRetry, type BatchRow } from '../store.ts';

const { hub, cleanup } = await startTestHub('pglite');
t.teardown(cleanup);

async function batch(key: string): Promise<BatchRow> {
  const r = await hub.db.query<{ id: string }>(`INSERT INTO delivery_batch (target, observation_ids, count, idempotency_key, first_outbox_at)
    VALUES ('up', '{}', 0, $1, now()) RETURNING id::text AS id`, [key]);
  return { id: r.rows[0]!.id, target: 'up', state: 'pending', ids: [], count: 0, idempotency_key: key, attempt: 0, next_at_ms: 0, wait_ms: 0, last_error: null, lo: null, hi: null };
}

t.test('retry and dead-letter with poisoned upstream text', async (t) => {
  const a = await batch('k1');
  t.ok(await markRetry(hub.db, a, 'HTTP 502: bad\u0000gateway \ud800', 1000), 'the retry is recorded');
  const b = await batch('k2');
  t.ok(await markDead(hub.db, b, 'HTTP 400: ' + 'x'.repeat(1989) + '😀', { body: 'refused\u0000', detail: ['\udc00'] }), 'the dead letter is recorded');
  const rows = await hub.db.query<{ last_error: string; response: unknown }>('SELECT last_error, response FROM delivery_batch ORDER BY id');
  t.equal(rows.rows[0]!.last_error, 'HTTP 502: bad\uFFFDgateway \uFFFD');
  const cut = rows.rows[1]!.last_error;
  t.ok(cut.isWellFormed() && cut.endsWith('x') && cut.length === 1999, 'a pair cut at 2000 characters is dropped whole, not left as a lone surrogate');
  t.same(rows.rows[1]!.response, { body: 'refused\uFFFD', detail: ['\uFFFD'] });
});
