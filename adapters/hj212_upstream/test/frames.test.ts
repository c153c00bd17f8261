// Pure parts: station routing, factor precedence, grouping, value text, zone conversion of BeginTime/EndTime.
import t from 'tap';
import { buildMessages, routeOf, wallToUtc, itemOf } from '../frames.ts';
import { decodeFrame, encodeFrame, splitRecords } from '../../hj212/codec/index.ts';
import type { UpstreamConfig } from '../manifest.ts';
import { obs } from './context.ts';

const stations: UpstreamConfig['stations'] = [
  { mn: 'A', pw: '1', st: '32', devices: ['D1'], site: 'S1', factors: { 'x.p': 'a01' } },
  { mn: 'B', pw: '1', st: '32', site: 'S1', factors: { 'x.p': 'b01', 'P9': 'b09' } },
];

t.test('routing: devices first (narrowed by site), then site; point code wins over indicator', async (t) => {
  t.same(routeOf(obs({ point: 'P1', device: 'D1', site: 'S1', indicator: 'x.p', time: '2026-01-01T00:00:00Z' }), stations), { station: 0, factor: 'a01' });
  t.same(routeOf(obs({ point: 'P1', device: 'D1', site: 'S2', indicator: 'x.p', time: '2026-01-01T00:00:00Z' }), stations), undefined, 'device station narrowed by site');
  t.same(routeOf(obs({ point: 'P2', device: 'D2', site: 'S1', indicator: 'x.p', time: '2026-01-01T00:00:00Z' }), stations), { station: 1, factor: 'b01' });
  t.same(routeOf(obs({ point: 'P9', device: 'D2', site: 'S1', indicator: 'x.p', time: '2026-01-01T00:00:00Z' }), stations), { station: 1, factor: 'b09' });
  t.same(routeOf(obs({ point: 'P3', device: 'D2', site: 'S1', indicator: 'y.q', time: '2026-01-01T00:00:00Z' }), stations), undefined, 'no factor → not sent');
});

t.test('items: Rtd/Flag, or Cou/Min/Avg/Max/Flag; nulls left out; float noise trimmed', async (t) => {
  t.same(itemOf(obs({ point: 'P', device: 'D', site: 'S', indicator: 'x.p', time: 'x', value: 0.1 + 0.2 }), 'a01'), { code: 'a01', fields: { Rtd: 0.3, Flag: 'N' } });
  t.same(itemOf(obs({ point: 'P', device: 'D', site: 'S', indicator: 'x.p', time: 'x', kind: 'day', value: null, avg: 2, min: null, max: 3, cou: 1440, quality: { source_flag: 'M', flags: [] } }), 'a01'),
    { code: 'a01', fields: { Cou: 1440, Avg: 2, Max: 3, Flag: 'M' } });
  t.same(itemOf(obs({ point: 'P', device: 'D', site: 'S', indicator: 'x.p', time: 'x', value: null, quality: { source_flag: 'B', flags: [] } }), 'a01'), { code: 'a01', fields: { Flag: 'B' } }, 'an unreadable value still reports its flag');
});

t.test('messages: one per station + kind + DataTime, time-ordered, in the configured zone', async (t) => {
  const o = (time: string, device: string, kind: 'rtd' | 'min' = 'rtd') => obs({ point: 'P', device, site: 'S1', indicator: 'x.p', time, kind });
  const { messages, unrouted } = buildMessages([o('2026-01-01T00:01:00Z', 'D1'), o('2026-01-01T00:00:00Z', 'D2'), o('2026-01-01T00:00:00Z', 'D1'), o('2026-01-01T00:00:00Z', 'D1', 'min'), obs({ point: 'Q', device: 'Z', site: 'S9', indicator: 'x.p', time: '2026-01-01T00:00:00Z' })], { stations, version: '2017', timezone: 'UTC' });
  t.equal(unrouted, 1);
  t.same(messages.map((m) => m.key), ['A|2011|20260101000000', 'A|2051|20260101000000', 'B|2011|20260101000000', 'A|2011|20260101000100']);
  const bytes = encodeFrame({ ...messages[0]!.input, qn: '20260101000000000', ackRequested: true });
  t.match(decodeFrame(bytes, { mode: 'lenient' }), { cn: '2011', mn: 'A', ackRequested: true, cp: { records: [{ dataTime: '20260101000000', items: [{ code: 'a01', fields: { Rtd: '1', Flag: 'N' } }] }] } });
});

t.test('a message longer than max_data_length splits on item boundaries, each packet repeating DataTime', async (t) => {
  const many: UpstreamConfig['stations'] = [{ mn: 'A', pw: '1', st: '32', site: 'S1', factors: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`P${i}`, `a${String(i).padStart(5, '0')}`])) }];
  const { messages } = buildMessages(Array.from({ length: 80 }, (_, i) => obs({ point: `P${i}`, device: 'D', site: 'S1', indicator: 'x.p', time: '2026-01-01T00:00:00Z', value: i })), { stations: many, version: '2017', timezone: 'UTC' });
  t.equal(messages.length, 1);
  const parts = splitRecords({ ...messages[0]!.input, qn: '20260101000000000', ackRequested: true }, 1024);
  t.ok(parts.length >= 2);
  for (const p of parts) {
    const f = decodeFrame(encodeFrame(p), { mode: 'lenient' });
    t.equal(f.cp.records[0]!.dataTime, '20260101000000');
  }
});

t.test('BeginTime/EndTime wall time → UTC, across DST and in Asia/Shanghai', async (t) => {
  t.equal(new Date(wallToUtc('20261125100000', 'Asia/Shanghai')).toISOString(), '2026-11-25T02:00:00.000Z');
  t.equal(new Date(wallToUtc('20260701120000', 'Europe/Berlin')).toISOString(), '2026-07-01T10:00:00.000Z', 'summer time');
  t.equal(new Date(wallToUtc('20260115120000', 'Europe/Berlin')).toISOString(), '2026-01-15T11:00:00.000Z', 'winter time');
  t.ok(Number.isNaN(wallToUtc('20261332000000', 'UTC')));
  t.ok(Number.isNaN(wallToUtc('2026112510', 'UTC')));
  t.ok(Number.isNaN(wallToUtc('20260230000000', 'UTC')), 'no 30 February');
});
