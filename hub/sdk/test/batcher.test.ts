// Group commit: many concurrent callers, few transactions, each caller gets its own outcomes after commit.
import t from 'tap';
import { createIngestBatcher } from '../batcher.ts';
import { startTestHub } from '../../../test/helpers/hub.ts';

const { hub, cleanup } = await startTestHub('pglite');
t.teardown(cleanup);
let calls = 0;
const ingest = createIngestBatcher((batch, o) => { calls++; return hub.ingest('batcher', batch, o); }, { maxRecords: 100, maxWaitMs: 20 });

t.test('concurrent callers share commits and get their own results', async (t) => {
  const callers = Array.from({ length: 60 }, (_, i) => ingest([
    { point: 'WS-001-P1', time: Date.UTC(2026, 0, 1) + i * 1000, value: 0.3 },
    ...(i % 10 === 0 ? [{ point: 'NOPE', time: Date.UTC(2026, 0, 1), value: 1 }] : []),
  ]));
  const results = await Promise.all(callers);
  t.ok(calls <= 3, `60 callers committed in ${calls} transactions`);
  results.forEach((r, i) => {
    t.equal(r.results.length, i % 10 === 0 ? 2 : 1);
    t.equal(r.accepted, 1);
    t.equal(r.quarantined, i % 10 === 0 ? 1 : 0);
  });
  const n = await hub.db.query<{ n: string }>("SELECT count(*)::text AS n FROM observation WHERE adapter = 'batcher'");
  t.equal(n.rows[0]!.n, '60', 'committed before the promises resolved');
});

t.test('a failed commit rejects every caller of that batch; later batches work', async (t) => {
  const broken = createIngestBatcher(async () => { throw new Error('store down'); });
  await t.rejects(Promise.all([broken([{ point: 'WS-001-P1', time: 1, value: 1 }]), broken([{ point: 'WS-001-P1', time: 2, value: 1 }])]), /store down/);
  const r = await ingest([{ point: 'WS-001-P1', time: Date.UTC(2026, 0, 2), value: 0.3 }]);
  t.equal(r.accepted, 1);
});

t.test('rejected inputs ride along: quarantined in the same commit, counted per caller', async (t) => {
  const before = calls;
  const [a, b] = await Promise.all([
    ingest([{ point: 'WS-001-P1', time: Date.UTC(2026, 0, 3), value: 0.3 }], { rejected: [{ record: { raw: 'x' }, reason: 'MAPPING_FAILED', message: 'no device id', field: '/deviceId' }] }),
    ingest([], { rejected: [{ record: 'not json', reason: 'PAYLOAD_INVALID', message: 'not JSON' }] }),
  ]);
  t.equal(calls - before, 1, 'one transaction for both callers');
  t.same([a.accepted, a.rejected, b.accepted, b.rejected], [1, 1, 0, 1]);
  const q = await hub.db.query<{ reason: string; field: string | null; record: unknown }>("SELECT reason, field, record FROM quarantine WHERE adapter = 'batcher' AND reason IN ('MAPPING_FAILED', 'PAYLOAD_INVALID') ORDER BY id");
  t.same(q.rows, [{ reason: 'MAPPING_FAILED', field: '/deviceId', record: { raw: 'x' } }, { reason: 'PAYLOAD_INVALID', field: null, record: 'not json' }]);
});

t.test('a NUL byte in a rejected input (a binary MQTT payload) does not fail the shared commit', async (t) => {
  const [good, garbage] = await Promise.all([
    ingest([{ point: 'WS-001-P1', time: Date.UTC(2026, 0, 4), value: 0.3 }]),
    ingest([], { rejected: [{ record: { payload: 'ab\u0000cd', ['k\u0000']: 1 }, reason: 'MQTT_NOT_JSON', message: 'not JSON: \u0000', field: '/\u0000' }] }),
    ingest([{ point: 'WS-001-P1', time: Date.UTC(2026, 0, 5), value: 0.3, message_id: 'qn\u00001' }]),
  ]);
  t.equal(good.accepted, 1, 'the good reading of the other caller is stored');
  t.equal(garbage.rejected, 1);
  const q = await hub.db.query<{ record: { payload: string }; message: string }>("SELECT record, message FROM quarantine WHERE reason = 'MQTT_NOT_JSON'");
  t.same(q.rows, [{ record: { payload: 'ab\uFFFDcd', ['k\uFFFD']: 1 }, message: 'not JSON: \uFFFD' }], 'kept, with U+FFFD for the NUL');
  const m = await hub.db.query<{ message_id: string }>("SELECT message_id FROM observation WHERE adapter = 'batcher' AND message_id IS NOT NULL");
  t.same(m.rows, [{ message_id: 'qn\uFFFD1' }]);
});
