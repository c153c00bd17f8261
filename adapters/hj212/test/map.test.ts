// Frames → source readings: kinds, aggregates, suffix fields, flags, warnings.
import t from 'tap';
import { encodeFrame, decodeFrame } from '../codec/index.ts';
import type { BuildInput } from '../codec/types.ts';
import { frameToReadings } from '../map.ts';

const frame = (input: Partial<BuildInput> & Pick<BuildInput, 'cn' | 'cp'>) =>
  decodeFrame(encodeFrame({ version: '2017', qn: '20261125100000001', st: '32', pw: '123456', mn: '010000A8900016F000169DC0', ackRequested: true, ...input }), { mode: 'lenient' });

t.test('2011: Rtd is the factor, other values are fields of their own, flags kept', async (t) => {
  const { readings, skipped } = frameToReadings(frame({ cn: '2011', cp: { records: [{ dataTime: '20261125100000', items: [
    { code: 'w01018', fields: { Rtd: '12.5', Flag: 'N', ZsRtd: '13.1' } },
    { code: 'e01201', fields: { Rtd: '0.31', Flag: 'D' } },
    { code: 'SB1', fields: { RS: '1' } },
    { code: 'e9', fields: { Rtd: 'n/a' } },
  ] }] } }), 'MN1');
  t.same(readings.map((r) => [r.field, r.value, r.flag, r.kind]), [
    ['w01018', 12.5, 'N', 'rtd'], ['w01018-ZsRtd', 13.1, 'N', 'rtd'], ['e01201', 0.31, 'D', 'rtd'], ['SB1-RS', 1, undefined, 'rtd'],
  ]);
  t.match(readings[0], { identity: { protocol: 'hj212', key: 'MN1' }, time: '2026-11-25T10:00:00', message_id: '20261125100000001' });
  t.same(skipped, [{ field: 'e9-Rtd', reason: 'value "n/a" is not a number' }]);
});

t.test('2051/2061/2031: aggregates; a total without an average is a field of its own', async (t) => {
  for (const [cn, kind] of [['2051', 'min'], ['2061', 'hour'], ['2031', 'day']] as const) {
    const { readings } = frameToReadings(frame({ cn, cp: { records: [{ dataTime: '20261125090000', items: [
      { code: 'e01201', fields: { Avg: '0.3', Min: '0.28', Max: '0.33', Flag: 'N' } },
      { code: 'w00000', fields: { Cou: '1520.5', Flag: 'N' } },
      { code: 'a34013', fields: { Avg: '20', ZsAvg: '22', ZsMin: '21', ZsMax: '23' } },
    ] }] } }), 'MN1');
    t.same(readings.map((r) => [r.field, r.kind, r.value, r.avg, r.min, r.max, r.cou]), [
      ['e01201', kind, 0.3, 0.3, 0.28, 0.33, undefined],
      ['w00000-Cou', kind, 1520.5, undefined, undefined, undefined, 1520.5],
      ['a34013', kind, 20, 20, undefined, undefined, undefined],
      ['a34013-Zs', kind, 22, 22, 21, 23, undefined],
    ], cn);
  }
});

t.test('legacy and unknown data flags; lenient warnings travel with each reading', async (t) => {
  const f = frame({ cn: '2011', cp: { records: [{ dataTime: '20261125100000', items: [{ code: 'a', fields: { Rtd: '1', Flag: 'P' } }, { code: 'b', fields: { Rtd: '2', Flag: 'Q' } }] }] } });
  f.warnings.push('bare_lf_trailer');
  const { readings } = frameToReadings(f, 'MN1');
  t.same(readings.map((r) => [r.flag, r.warnings]), [['F', ['bare_lf_trailer']], ['D', ['bare_lf_trailer', 'unknown_data_flag']]]);
});

t.test('no measurements: non-data CNs, bad DataTime', async (t) => {
  t.same(frameToReadings(frame({ cn: '2081', cp: { records: [{ dataTime: '20261125100000', fields: { RestartTime: '20261125095900' } }] } }), 'MN1').readings, []);
  const bad = frameToReadings(frame({ cn: '2011', cp: { records: [{ dataTime: '20261332100000', items: [{ code: 'a', fields: { Rtd: '1' } }] }] } }), 'MN1');
  t.same(bad.readings, []);
  t.match(bad.skipped[0], { field: 'a', reason: /no valid DataTime/ });
});
