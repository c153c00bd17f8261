// The pipeline's one sanitising step, through hub.ingest as adapters call it (records checked one by one, rejected
// inputs, a checkpoint in the same transaction): a NUL or lone surrogate anywhere fails nothing and is flagged.
import t from 'tap';
import { startTestHub } from '../../../test/helpers/hub.ts';
import { readCheckpoint } from '../../store/observations.ts';

const { hub, cleanup } = await startTestHub('pglite');
t.teardown(cleanup);

t.test('an adapter batch with poisoned text everywhere commits, flagged', async (t) => {
  const time = Date.UTC(2026, 0, 7);
  const res = await hub.ingest('feed', [
    { point: 'WS-001-P1', time, value: 0.3 },
    { point: 'WS-001-P1', time: time + 1000, value: 0.31, message_id: 'm\ud800' },
    { point: 'WS-001-P1', time: 'not\u0000a time' },
    { point: 'WS-001-P1', time, value: 'x\udc00' } as never, // not a SourceReading: INVALID_RECORD
  ], {
    rejected: [{ record: { raw: 'ab\u0000\ud800' }, reason: 'MAPPING_FAILED', message: 'bad \udfff', field: '/\u0000' }],
    checkpoint: { key: 'pos\u0000', value: { last: 'row-\ud800', n: 4 } },
  });
  t.match(res, { accepted: 2, quarantined: 2, rejected: 1 });
  t.same(res.results[0], { outcome: 'accepted', id: res.results[0]!.outcome === 'accepted' ? res.results[0]!.id : '', flags: ['late'] });
  t.ok(res.results[1]!.outcome === 'accepted' && res.results[1]!.flags.includes('text_sanitised'));
  const q = await hub.db.query<{ reason: string; message: string; field: string | null; record: unknown; text_sanitised: boolean }>(
    "SELECT reason, message, field, record, text_sanitised FROM quarantine WHERE adapter = 'feed' ORDER BY id");
  t.same(q.rows.map((r) => [r.reason, r.text_sanitised]), [['INVALID_TIME', true], ['INVALID_RECORD', true], ['MAPPING_FAILED', true]]);
  t.same(q.rows[1]!.record, { point: 'WS-001-P1', time, value: 'x\uFFFD' });
  t.same(q.rows[2], { reason: 'MAPPING_FAILED', message: 'bad \uFFFD', field: '/\uFFFD', record: { raw: 'ab\uFFFD\uFFFD' }, text_sanitised: true });
  t.same(await readCheckpoint(hub.db, 'feed', 'pos\uFFFD'), { last: 'row-\uFFFD', n: 4 }, 'the checkpoint is kept, cleaned');
});

t.test('a clean batch is not flagged and its quarantine entries say text_sanitised: false', async (t) => {
  const res = await hub.ingest('clean', [{ point: 'NOPE', time: Date.UTC(2026, 0, 8), value: 1 }]);
  t.equal(res.quarantined, 1);
  const q = await hub.db.query<{ text_sanitised: boolean }>("SELECT text_sanitised FROM quarantine WHERE adapter = 'clean'");
  t.same(q.rows, [{ text_sanitised: false }]);
});
