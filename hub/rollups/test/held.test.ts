// heldRows: what the roller sums ahead of a step (outside its transaction) is what the step then gets, and only when
// the step took exactly those entries with the same report setting; anything else is summed as the step took it.
import t from 'tap';
import { heldRows } from '../roller.ts';
import { minuteDeltas, type HeldBatch } from '../deltas.ts';
import type { ObservationRow } from '../../store/rows.ts';

const T = Date.UTC(2026, 11, 5, 8, 0, 0);
const row = (timeMs: number, value: number): ObservationRow => ({
  pointId: 1, deviceId: 2, siteId: 3, indicator: 'gas.methane', kind: 'rtd', timeMs, value, avg: null, min: null, max: null, cou: null,
  unit: '%LEL', sourceFlag: 'N', flags: [], warnings: [], messageId: null, rawValue: null, rawUnit: null,
});
// Batch k: 3 readings in minute k, received 100 s after the first of them.
const batch = (k: number): HeldBatch => {
  const rows = [row(T + k * 60_000, k), row(T + k * 60_000 + 10_000, k + 1), row(T + k * 60_000 + 20_000, k + 2)];
  return { rows, receivedAtMs: T + k * 60_000 + 100_000, length: rows.length };
};
const direct = (ks: number[], timely: number | null) => minuteDeltas(ks.map(batch), timely, 2)!.json;

t.test('summed ahead: the entries after the last cursor, up to safeMax and the cap; handed out once', async (t) => {
  const held = heldRows();
  for (const k of [5, 6, 7, 8]) held.add(String(k), batch(k));
  t.equal(held.presum('8', 1e9), undefined, 'before the first step there is no cursor to go by');
  const first = held.sums(['5'], 30);
  t.equal(first!.json, direct([5], 30), 'the first step sums what it took');
  held.forget(['5'], 5n);

  const ahead = held.presum('7', 1e9)!;
  t.same(ahead.entries, ['6', '7'], 'after the cursor, up to safeMax (8 is above it)');
  t.equal(ahead.out!.json, direct([6, 7], 30), 'with the report setting the last step read');
  t.equal(held.sums(['6', '7'], 30), ahead.out, 'the step that took exactly those gets the sums made ahead');
  t.not(held.sums(['6', '7'], 30), ahead.out, 'once: a second call sums again');
  t.same(held.presum('8', 5)!.entries, ['6'], 'the cap (whole batches, at least one)');
});

t.test('a step that took something else, or read another setting, sums what it took', async (t) => {
  const held = heldRows();
  for (const k of [1, 2, 3]) held.add(String(k), batch(k));
  held.sums(['1'], null);
  held.forget(['1'], 1n);
  const ahead = held.presum('3', 1e9)!;
  t.same(ahead.entries, ['2', '3']);
  const fewer = held.sums(['2'], null);
  t.not(fewer, ahead.out);
  t.equal(fewer!.json, direct([2], null), 'fewer entries than guessed');
  held.presum('3', 1e9);
  const setting = held.sums(['2', '3'], 300);
  t.equal(setting!.json, direct([2, 3], 300), 'the setting changed: on-time counts as the step reads it');
  t.not(setting!.json, direct([2, 3], null));
  held.forget(['2', '3'], 3n);
  t.equal(held.presum('3', 1e9), undefined, 'nothing held after the cursor');
});

t.test('what is held is a copy in columns: the batch\'s rows may go (or change) once handed over', async (t) => {
  const held = heldRows();
  const want = direct([5], 300);
  const b = batch(5);
  const rows = b.rows as ObservationRow[];
  held.add('5', { rows, receivedAtMs: b.receivedAtMs, length: rows.length });
  rows.length = 0; // ingest is done with them
  t.equal(held.count(), 3, 'counted as handed over');
  t.equal(held.sums(['5'], 300)!.json, want, 'the sums of the rows as they were handed over');
});
