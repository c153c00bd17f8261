// POST /v1/observations answers with JSON text that ingest builds itself (hub/pipeline/ingest.ts, ingestResultJson).
// It must be the text the route's response schema serialises the same result to, byte for byte: each answer here is
// parsed and serialised again with the schema's own serialiser (fast-json-stringify, as fastify compiles it), and
// the two texts compared. Batches mix accepted readings with and without flags, repeats, readings already stored and
// quarantined records whose messages carry quotes, backslashes, control characters, line separators and emoji.
import t from 'tap';
import fc from 'fast-check';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { ingestResult } from '../hub/api/routes/observations.ts';

const FIXED_CLOCK = { now: () => Date.parse('2026-11-25T12:00:00Z') };
type Compile = (o: { schema: unknown; method: string; url: string; httpStatus: string }) => (v: unknown) => string;
const serialise = (SerializerSelector as unknown as () => (ext: unknown, opts: unknown) => Compile)()({}, {})({ schema: ingestResult, method: 'POST', url: '/v1/observations', httpStatus: '200' });

t.test('the answer is the schema\'s serialisation of itself', async (t) => {
  const { hub, cleanup } = await startTestHub('pglite', undefined, FIXED_CLOCK);
  t.teardown(cleanup);
  const post = async (records: unknown[]) => {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
    t.equal(res.statusCode, 200, res.body.slice(0, 200));
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    t.equal(res.body, serialise(JSON.parse(res.body)), 'byte for byte');
    return JSON.parse(res.body) as { accepted: number; duplicates: number; quarantined: number; results: Array<Record<string, unknown>> };
  };

  const odd = ['quote " and \\ backslash', 'tab\tnew\nline', 'ctl \u0001\u001f', 'sep \u2028\u2029', '中文 🚰', '</script>', ''];
  const first = await post([
    { point: 'WS-001-P1', time: '2026-11-25T10:00:00+08:00', value: 250, unit: 'kPa' }, // unit_converted
    { point: 'WS-001-P1', time: '2026-11-25T10:01:00+08:00', value: 3.1 }, // out_of_range
    { point: 'WS-001-P1', time: '2026-11-25T10:02:00+08:00', value: 0.3 }, // no flags
    { point: 'WS-001-P1', time: '2026-11-25T10:02:00+08:00', value: 0.3 }, // a repeat in the batch
    ...odd.map((code) => ({ point: `X-${code}`, time: '2026-11-25T10:00:00+08:00', value: 1 })), // UNKNOWN_POINT, field /point
    { point: 'WS-001-P1', time: 'not a time', value: 1 }, // INVALID_TIME
  ]);
  t.match(first, { accepted: 3, duplicates: 1, quarantined: odd.length + 1 });
  t.same(first.results.slice(0, 4).map((r) => [r.outcome, r.flags]), [['accepted', ['unit_converted']], ['accepted', ['out_of_range']], ['accepted', []], ['duplicate', undefined]]);
  t.match(first.results[4], { outcome: 'quarantined', reason: 'UNKNOWN_POINT', field: '/point', message: /quote " and \\ backslash/ });
  const again = await post([{ point: 'WS-001-P1', time: '2026-11-25T10:00:00+08:00', value: 250, unit: 'kPa' }]);
  t.same(again, { accepted: 0, duplicates: 1, quarantined: 0, results: [{ outcome: 'duplicate' }] }, 'a reading already stored');

  // Random batches: known and unknown points, any text in the codes, repeats.
  let minute = 100;
  await fc.assert(fc.asyncProperty(fc.array(fc.oneof(
    fc.constant('WS-001-P1'), fc.string({ unit: 'binary', maxLength: 12 }).map((s) => `X${s}`),
  ), { minLength: 1, maxLength: 30 }), fc.boolean(), async (points, repeat) => {
    minute++;
    const records = points.map((point, i) => ({ point, time: new Date(Date.UTC(2026, 10, 24, 0, minute, i)).toISOString(), value: 0.2 + (i % 5) / 10 }));
    if (repeat) records.push(records[0]!);
    const r = await post(records);
    return r.results.length === records.length && r.accepted + r.duplicates + r.quarantined === records.length;
  }), { numRuns: 40 });
});
