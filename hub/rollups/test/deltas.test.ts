// minuteDeltas: the minute sums the roller makes from rows it holds must be those the store makes from stored rows
// (the store suite compares them on real stores; here, the rules and when it declines).
import t from 'tap';
import { minuteDeltas, type HeldBatch } from '../deltas.ts';
import type { ObservationRow } from '../../store/rows.ts';

const T = Date.UTC(2026, 11, 5, 8, 0, 0);
const row = (timeMs: number, value: number | null, over: Partial<ObservationRow> = {}): ObservationRow => ({
  pointId: 1, deviceId: 2, siteId: 3, indicator: 'gas.methane', kind: 'rtd', timeMs, value, avg: null, min: null, max: null, cou: null,
  unit: '%LEL', sourceFlag: 'N', flags: [], warnings: [], messageId: null, rawValue: null, rawUnit: null, ...over,
});
const batch = (receivedAtMs: number, ...rows: ObservationRow[]): HeldBatch => ({ rows, receivedAtMs, length: rows.length });
const parse = (d: { json: string } | undefined) => JSON.parse(d!.json) as Array<Record<string, unknown>>;

t.test('per point and minute: count, sum, min, max, first and last by time (in any order), flagged, on time, tags', async (t) => {
  const sums = parse(minuteDeltas([
    batch(T + 70_000, row(T + 50_000, 5), row(T + 10_000, 1, { sourceFlag: 'M' }), row(T + 30_000, 9, { flags: ['unit_converted'] })),
    batch(T + 400_000, row(T + 40_000, -2, { flags: ['out_of_range'] }), row(T + 61_000, 7), row(T + 20_000, null), row(T + 25_000, 3, { kind: 'min' })),
    batch(T, row(T + 5_000, 4, { pointId: 9, deviceId: 8 })),
  ], 300));
  t.same(sums.length, 3);
  t.same(sums, [
    { point_id: 1, b: new Date(T).toISOString(), n: 4, s: 13, mn: -2, mx: 9, ft: new Date(T + 10_000).toISOString(), fv: 1,
      lt: new Date(T + 50_000).toISOString(), lv: 5, fl: 2, ot: 3, device_id: 2, site_id: 3, indicator: 'gas.methane', unit: '%LEL' },
    { point_id: 1, b: new Date(T + 60_000).toISOString(), n: 1, s: 7, mn: 7, mx: 7, ft: new Date(T + 61_000).toISOString(), fv: 7,
      lt: new Date(T + 61_000).toISOString(), lv: 7, fl: 0, ot: 0, device_id: 2, site_id: 3, indicator: 'gas.methane', unit: '%LEL' },
    { point_id: 9, b: new Date(T).toISOString(), n: 1, s: 4, mn: 4, mx: 4, ft: new Date(T + 5_000).toISOString(), fv: 4,
      lt: new Date(T + 5_000).toISOString(), lv: 4, fl: 0, ot: 1, device_id: 8, site_id: 3, indicator: 'gas.methane', unit: '%LEL' },
  ], 'only rtd readings with a value; a source flag or a suspect hub flag counts as flagged, unit_converted does not');
});

t.test('on time: received at most timely_within_s after the reading\'s time; no setting, none on time', async (t) => {
  const at = (receivedAtMs: number, timelyS: number | null) => parse(minuteDeltas([batch(receivedAtMs, row(T, 1))], timelyS))[0]!.ot;
  t.equal(at(T + 300_000, 300), 1, 'exactly at the limit');
  t.equal(at(T + 300_001, 300), 0, 'a millisecond after');
  t.equal(at(T - 1_000, 0), 1, 'received before its time');
  t.equal(at(T, null), 0, 'no report_setting row');
});

t.test('declines what the store must sum itself', async (t) => {
  t.equal(minuteDeltas([batch(T, row(Date.UTC(1971, 5, 1), 1))], 300), undefined, 'before 1973 (a zone\'s minute may not be UTC\'s)');
  t.equal(minuteDeltas([batch(T, row(T + 0.5, 1))], 300), undefined, 'a fraction of a millisecond');
  t.equal(minuteDeltas([batch(T, row(T, 1), row(T + 1_000, 2, { unit: 'ppm' }))], 300), undefined, 'two units in one minute');
  t.equal(minuteDeltas([batch(T, row(T, 1), row(T + 1_000, 2, { indicator: 'gas.other' }))], 300), undefined, 'two indicators in one minute');
  t.equal(minuteDeltas([batch(T, row(T, Number.MAX_VALUE), row(T + 1_000, Number.MAX_VALUE))], 300), undefined, 'a sum beyond a double');
  t.same(minuteDeltas([batch(T, row(T, 1, { kind: 'hour' }))], 300), { json: '[]', sums: 0, readings: 0 }, 'nothing to sum: an empty list');
});
