// Rules as data, without a store: catalogue defaults (with their sources) compile to the indicator's unit, overrides
// replace them point over device over site, bad rules are refused naming where; the threshold state machine's
// hysteresis and durations.
import t from 'tap';
import { catalogueByCode } from '../../registry/catalogue.ts';
import type { PointEntry } from '../../registry/registry.ts';
import type { AlarmRule } from '../../../schemas/generated/types.ts';
import { RuleBook, checkOverrides, compileRule, type CompiledRule } from '../rules.ts';
import { indicated, step, type RuleState } from '../threshold.ts';
import { evaluate, measure, WINDOW_CAP, YIELD_EVERY, type Obs } from '../evaluate.ts';
import { Batch, liveMemo, runFromOf, storedMemo, type StoredMemo } from '../batch.ts';

const cat = catalogueByCode();
const point = (code: string, device: string, site: string, indicator: string, id = 1): PointEntry => ({
  id, code, doc: { code, device, indicator } as never, indicator: cat.get(indicator)!,
  device: { id: 1, code: device, doc: {} as never, site: { id: 1, code: site, doc: {} as never } },
});
type Threshold = Extract<CompiledRule, { kind: 'threshold' }>;

t.test('catalogue defaults cite a source and compile to the indicator unit', async (t) => {
  for (const ind of cat.values()) for (const r of ind.alarm_rules ?? []) t.ok(r.source && r.source.length > 5, `${ind.code}/${r.id} cites its source`);
  const methane = new RuleBook([]).rulesFor(point('G1', 'D', 'S', 'gas.underground_space_concentration'));
  t.same(methane, [{ id: 'high', kind: 'threshold', direction: 'upper', forReadings: 2, forSeconds: undefined,
    levels: [{ level: 1, raise: 2.5, clear: 2.25 }, { level: 2, raise: 1.25, clear: 1 }] }], '50/25 %LEL → 2.5/1.25 %VOL (methane LEL 5 %VOL)');
  t.match(cat.get('gas.underground_space_concentration')!.alarm_rules![0]!.source, /GB\/T 50493-2019 §5\.5\.2/);
  const water = new RuleBook([]).rulesFor(point('W1', 'D', 'S', 'water.pipe_pressure'));
  t.match(water, [{ id: 'low_pressure', direction: 'lower', levels: [{ level: 3, raise: 0.14, clear: 0.16 }] }]);
  t.same(new RuleBook([]).rulesFor(point('B1', 'D', 'S', 'bridge.crack_width')), [], 'no defaults: no rules');
});

t.test('overrides: point over device over site over catalogue; a new id adds; enabled false removes', async (t) => {
  const tunnel: AlarmRule = { id: 'high', kind: 'threshold', direction: 'upper', unit: '%{LEL}', levels: [{ level: 1, raise: 20, clear: 15 }] };
  const book = new RuleBook([
    { site: 'TUNNEL', indicator: 'gas.underground_space_concentration', rule: tunnel },
    { site: 'TUNNEL', indicator: 'water.pipe_pressure', rule: { id: 'never', kind: 'no_data', expected_interval_s: 1 } },
    { device: 'D2', rule: { ...tunnel, levels: [{ level: 2, raise: 10, clear: 5 }] } },
    { point: 'P3', rule: { id: 'high', kind: 'threshold', enabled: false } },
    { point: 'P4', rule: { id: 'silent', kind: 'no_data', expected_interval_s: 60, intervals: 5, level: 4 } },
  ]);
  const gas = 'gas.underground_space_concentration';
  t.match(book.rulesFor(point('P1', 'D1', 'TUNNEL', gas, 1)), [{ id: 'high', levels: [{ level: 1, raise: 1, clear: 0.75 }] }], 'site: 20 %LEL');
  t.match(book.rulesFor(point('P2', 'D2', 'TUNNEL', gas, 2)), [{ id: 'high', levels: [{ level: 2, raise: 0.5 }] }], 'device beats site');
  t.same(book.rulesFor(point('P3', 'D2', 'TUNNEL', gas, 3)), [], 'point disables');
  t.same(book.rulesFor(point('P4', 'D1', 'CITY', gas, 4)).map((r) => r.id), ['high', 'silent'], 'a new id adds to the defaults');
  t.match(book.rulesFor(point('P4', 'D1', 'CITY', gas, 4))[1], { kind: 'no_data', silenceMs: 300_000, level: 4 });
});

t.test('bad rules are refused, naming where', async (t) => {
  const bad = (r: Partial<AlarmRule>, msg: RegExp) => t.throws(() => compileRule({ id: 'x', kind: 'threshold', ...r } as AlarmRule, { unit: 'MPa' }, '/alarms/overrides/0'), { code: 'CONFIG_INVALID', message: msg });
  bad({ direction: 'upper', levels: [{ level: 1, raise: 1, clear: 2 }] }, /clear must be below raise/);
  bad({ direction: 'lower', levels: [{ level: 1, raise: 1, clear: 0.5 }] }, /clear must be above raise/);
  bad({ direction: 'upper', levels: [{ level: 1, raise: 1, clear: 0.5 }, { level: 2, raise: 2, clear: 1.5 }] }, /level 2 must raise below/);
  bad({ direction: 'upper', levels: [{ level: 1, raise: 1, clear: 0.5 }, { level: 1, raise: 2, clear: 1.5 }] }, /listed twice/);
  bad({ levels: [{ level: 1, raise: 1, clear: 0.5 }] }, /needs direction and levels/);
  bad({ direction: 'upper', unit: '%{LEL}', levels: [{ level: 1, raise: 1, clear: 0.5 }] }, /lower explosive limit/);
  bad({ direction: 'upper', unit: 'Cel', levels: [{ level: 1, raise: 1, clear: 0.5 }] }, /different quantities/);
  t.throws(() => compileRule({ id: 'x', kind: 'no_data' }, { unit: 'MPa' }, 'here'), { message: /expected_interval_s/ });
  t.throws(() => checkOverrides([{ site: 'A', point: 'B', rule: { id: 'x', kind: 'no_data', expected_interval_s: 1 } }]), { message: /exactly one of site, device, point/ });
  t.throws(() => checkOverrides([{ rule: { id: 'x', kind: 'no_data', expected_interval_s: 1 } }]), { code: 'CONFIG_INVALID' });
});

t.test('threshold: hysteresis, consecutive readings, seconds', async (t) => {
  const rule = compileRule({ id: 'h', kind: 'threshold', direction: 'upper', levels: [{ level: 1, raise: 50, clear: 45 }, { level: 2, raise: 25, clear: 20 }], for: { readings: 2 } }, { unit: 'x' }, 'w') as Threshold;
  t.same([[24, 0], [25, 0], [47, 1], [44, 1], [22, 1], [19, 1]].map(([v, cur]) => indicated(rule, v!, cur!)), [0, 2, 1, 2, 2, 0]);
  t.same([[47, 1], [45.5, 1], [45, 1], [20.5, 2], [20, 2]].map(([v, cur]) => indicated(rule, v!, cur!)), [1, 1, 2, 2, 0], 'clear is exclusive');
  const s: RuleState = { level: 0, candidate: 0, candidateCount: 0, candidateSinceMs: null };
  const run = (vals: number[]) => vals.map((v, i) => step(rule, s, v, i * 1000) ?? '-');
  t.same(run([26, 24, 26, 24]), ['-', '-', '-', '-'], 'noise around 25 never holds 2 readings');
  t.same(run([26, 60]), ['-', 2], 'two readings indicating level 2 or more: level 2');
  t.same(run([60, 60]), ['-', 1]);
  t.same(run([10, 30]), ['-', 2], 'two readings indicating level 2 or less: back to 2');
  t.same(run([10, 30, 10]), ['-', '-', '-'], 'a reading at the current level resets the run');
  t.same(run([10]), [0]);
  const secs = compileRule({ id: 'h', kind: 'threshold', direction: 'lower', levels: [{ level: 3, raise: 0.14, clear: 0.16 }], for: { seconds: 30 } }, { unit: 'MPa' }, 'w') as Threshold;
  const s2: RuleState = { level: 0, candidate: 0, candidateCount: 0, candidateSinceMs: null };
  t.same([0, 10, 20, 30].map((sec) => step(secs, s2, 0.1, sec * 1000) ?? '-'), ['-', '-', '-', 3], 'held for 30 s');
});

// The other kinds run a measure of each reading through the same level machine (evaluate.ts measure()).
const run = (rule: Exclude<CompiledRule, { kind: 'no_data' }>, readings: Array<Partial<Obs> & { t: number }>) => {
  const s: RuleState & { memo: null } = { level: 0, candidate: 0, candidateCount: 0, candidateSinceMs: null, memo: null };
  const out: Array<number | string> = [];
  for (const r of readings) {
    const { t, ...rest } = r;
    const o: Obs = { pointId: 1, value: null, sourceFlag: 'N', kind: 'rtd', flags: [], timeMs: t, ...rest };
    const m = measure(rule, s, o);
    out.push(m === undefined ? 'skip' : step(rule, s, m, o.timeMs) ?? '-');
  }
  return out;
};

t.test('rate_of_change: the change over the window, rise and fall, with hysteresis', async (t) => {
  const rise = compileRule({ id: 'r', kind: 'rate_of_change', direction: 'upper', window_s: 60, levels: [{ level: 2, raise: 0.1, clear: 0.05 }] }, { unit: 'MPa' }, 'w');
  // one reading every 20 s: the window holds the last 60 s
  const vals = [0.3, 0.32, 0.35, 0.41, 0.45, 0.46, 0.46, 0.46, 0.46];
  t.same(run(rise as never, vals.map((v, i) => ({ t: i * 20_000, value: v }))), ['-', '-', '-', 2, '-', '-', '-', 0, '-'],
    '0.30 → 0.41 in 60 s raises; it clears once the change over the last 60 s is 0.05 or less');
  const fall = compileRule({ id: 'f', kind: 'rate_of_change', direction: 'lower', window_s: 60, unit: 'kPa', levels: [{ level: 1, raise: -100, clear: -50 }, { level: 3, raise: -30, clear: -20 }] }, { unit: 'MPa' }, 'w');
  t.match(fall, { levels: [{ level: 1, raise: -0.1, clear: -0.05 }, { level: 3 }] }, 'a change converts by the unit factor');
  t.same(run(fall as never, [0.4, 0.36, 0.25, 0.25, 0.25, 0.25].map((v, i) => ({ t: i * 30_000, value: v }))), ['-', 3, 1, '-', 0, '-'],
    'a fall of 40 kPa, then 150 kPa: level 3 then 1; flat again: cleared');
  t.same(run(rise as never, [{ t: 0, value: 0.3 }, { t: 1000, value: null }, { t: 2000, value: 0.5, sourceFlag: 'M' }]).slice(0, 2), ['-', 'skip'], 'no value: skipped');
  const k = compileRule({ id: 'c', kind: 'rate_of_change', direction: 'upper', window_s: 60, unit: 'Cel', levels: [{ level: 3, raise: 5, clear: 2 }] }, { unit: 'K' }, 'w');
  t.match(k, { levels: [{ raise: 5, clear: 2 }] }, 'a change of 5 °C is 5 K (no offset)');
  t.throws(() => compileRule({ id: 'x', kind: 'rate_of_change', direction: 'upper', levels: [{ level: 1, raise: 1, clear: 0 }] }, { unit: 'MPa' }, 'w'), { message: /window_s/ });
  const s = { memo: null as never };
  for (let i = 0; i < 1000; i++) measure(rise as never, s, { pointId: 1, timeMs: i, value: i, sourceFlag: 'N', kind: 'rtd', flags: [] });
  t.ok((s.memo as unknown[]).length <= 240, 'the window keeps at most 240 readings');
});

/** The window as it was kept before it was flat: an array of [time, value] pairs (the form alarm_rule_state stores). */
function pairWindow(windowMs: number) {
  const w: Array<[number, number]> = [];
  return (timeMs: number, value: number): number => {
    const gap = windowMs / WINDOW_CAP;
    const last = w[w.length - 1];
    if (w.length >= 2 && last![0] - w[w.length - 2]![0] < gap) { last![0] = timeMs; last![1] = value; } else w.push([timeMs, value]);
    while (w.length > 1 && w[0]![0] < timeMs - windowMs) w.shift();
    if (w.length > WINDOW_CAP + 1) w.splice(1, 1);
    return value - w[0]![1];
  };
}

t.test('rate_of_change: the flat window measures what the window of pairs measured, and is stored as pairs', async (t) => {
  const rule = compileRule({ id: 'r', kind: 'rate_of_change', direction: 'upper', window_s: 60, levels: [{ level: 3, raise: 0.5, clear: 0.3 }] }, { unit: 'MPa' }, 'w');
  // Seeded walks with irregular intervals: bursts (many readings inside one gap), gaps longer than the window, steady.
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let walk = 0; walk < 40; walk++) {
    const oracle = pairWindow(60_000);
    const s: { memo: never } = { memo: null as never };
    let time = 0, value = 0.4, same = 0;
    const n = 400;
    for (let i = 0; i < n; i++) {
      const r = rnd();
      time += r < 0.3 ? Math.floor(rnd() * 500) : r < 0.95 ? 1000 + Math.floor(rnd() * 3000) : 61_000 + Math.floor(rnd() * 120_000);
      value = Math.round((value + (rnd() - 0.5) * 0.1) * 1000) / 1000;
      if (measure(rule as never, s, { pointId: 1, timeMs: time, value, sourceFlag: 'N', kind: 'rtd', flags: [] }) === oracle(time, value)) same++;
    }
    if (same !== n) { t.equal(same, n, `walk ${walk}: every change equals the pair window's`); return; }
  }
  t.pass('40 walks of 400 readings: every change equal');

  const s: { memo: never } = { memo: null as never };
  for (const [i, v] of [0.3, 0.31, 0.35].entries()) measure(rule as never, s, { pointId: 1, timeMs: i * 30_000, value: v, sourceFlag: 'N', kind: 'rtd', flags: [] });
  t.same(s.memo, [0, 0.3, 30_000, 0.31, 60_000, 0.35], 'kept flat: time, value, … oldest first');
  const stored = storedMemo(s.memo);
  t.same(stored, [[0, 0.3], [30_000, 0.31], [60_000, 0.35]], 'stored as [time, value] pairs, as before');
  t.same(liveMemo(stored), s.memo, 'and read back flat');
  for (const m of [null, { v: 0.3, n: 4 }, { n: 2 }, []] as StoredMemo[]) t.same(storedMemo(liveMemo(m)), m, `${JSON.stringify(m)}: unchanged both ways`);

  // A window stored by an earlier release (pairs) is taken on after a restart, and written back as pairs.
  const writes: unknown[][] = [];
  const rows = [{ rule: 'r', point_id: 1, level: 0, candidate: 0, candidate_count: 0, since: null, last: 60_000, alarm_id: null, memo: [[0, 0.3], [30_000, 0.31], [60_000, 0.35]] }];
  const b = new Batch({ query: async (_sql: string, params?: unknown[]) => { if (params && params.length > 2) writes.push(params); return { rows: writes.length ? [] : rows }; } } as never);
  await b.loadStates([['r', 1]]);
  const st = b.state('r', 1, null, rule);
  t.same(st.memo, [0, 0.3, 30_000, 0.31, 60_000, 0.35], 'a stored window is read flat');
  t.equal(measure(rule as never, st, { pointId: 1, timeMs: 90_000, value: 0.9, sourceFlag: 'N', kind: 'rtd', flags: [] }), 0.9 - 0.31, 'and measures over the readings it held (the oldest aged out)');
  b.touch(st);
  await b.flush();
  const memoParam = (writes.at(-1)!.at(-1) as Array<string | null>)[0]!;
  t.same(JSON.parse(memoParam), [[30_000, 0.31], [60_000, 0.35], [90_000, 0.9]], 'written back as pairs');
  t.same((writes.at(-1)![6] as unknown[])[0], 60_000, 'with its latest time');
  const fresh = b.state('r', 2, null, rule);
  t.ok(Number.isNaN(fresh.lastMs), 'a new state has no latest time yet (NaN in memory)');
  await b.flush();
  t.same((writes.at(-1)![6] as unknown[])[0], null, 'and stores none (NULL)');
});

t.test('stuck: the same value N times raises, another value clears', async (t) => {
  const rule = compileRule({ id: 's', kind: 'stuck', readings: 4, tolerance: 0.001, level: 4 }, { unit: 'MPa' }, 'w');
  t.same(run(rule as never, [0.3, 0.3, 0.3005, 0.3, 0.3, 0.31, 0.31].map((v, i) => ({ t: i, value: v }))), ['-', '-', '-', 4, '-', 0, '-'],
    'the 4th equal value (within the tolerance) raises level 4; a new value clears');
  t.throws(() => compileRule({ id: 'x', kind: 'stuck' }, { unit: 'MPa' }, 'w'), { message: /readings/ });
});

t.test('stuck runs: written from a tenth of the rule readings on; a shorter stored run counts from zero', async (t) => {
  const stuck = (readings: number) => compileRule({ id: 's', kind: 'stuck', readings }, { unit: 'MPa' }, 'w');
  t.same([2, 4, 19, 20, 30, 100].map((n) => runFromOf(stuck(n))), [2, 2, 2, 3, 4, 11], 'at least 2; a tenth of readings, plus one');
  t.equal(runFromOf(compileRule({ id: 'q', kind: 'quality', readings: 3 }, { unit: 'MPa' }, 'w')), 1, 'quality: every bad reading');
  // States as a restart loads them (a store answering the state query).
  const stored = [{ rule: 's', point_id: 1, level: 0, candidate: 0, candidate_count: 0, since: null, last: null, alarm_id: null, memo: { v: 0.3, n: 3 } },
    { rule: 's', point_id: 2, level: 0, candidate: 0, candidate_count: 0, since: null, last: null, alarm_id: null, memo: { v: 0.3, n: 4 } }];
  const b = new Batch({ query: async () => ({ rows: stored }) } as never);
  await b.loadStates([['s', 1], ['s', 2]]);
  const rule = stuck(30);
  t.same(b.state('s', 1, null, rule).memo, null, 'a run of 3 (under 4): it may have ended since, unwritten; counted from zero');
  t.same(b.state('s', 2, null, rule).memo, { v: 0.3, n: 4 }, 'a run of 4 was written at each reading: taken on');
});

t.test('quality: N bad or sensor-fault readings in a row raise, a good one clears', async (t) => {
  const rule = compileRule({ id: 'q', kind: 'quality', readings: 3 }, { unit: 'MPa' }, 'w');
  const bad = { flags: ['bad'] }, fault = { sourceFlag: 'D', value: 0.2 }, good = { value: 0.3 };
  t.same(run(rule as never, [bad, fault, good, bad, bad, fault, fault, good].map((r, i) => ({ t: i, ...r }))), ['-', '-', '-', '-', '-', 3, '-', 0],
    'two bad then a good one: nothing; three in a row: level 3 (default); a good one clears');
});

t.test('no_data takes its interval from the rule, the point or the indicator', async (t) => {
  t.match(compileRule({ id: 'n', kind: 'no_data' }, { unit: 'MPa', expectedIntervalS: 30 }, 'w'), { silenceMs: 90_000, level: 3 });
  t.match(compileRule({ id: 'n', kind: 'no_data', expected_interval_s: 10, intervals: 2 }, { unit: 'MPa', expectedIntervalS: 30 }, 'w'), { silenceMs: 20_000 });
  const p = point('X1', 'D', 'S', 'water.pipe_pressure');
  (p.doc as { expected_interval_s?: number }).expected_interval_s = 5;
  t.match(new RuleBook([{ point: 'X1', rule: { id: 'n', kind: 'no_data' } }]).rulesFor(p).find((r) => r.id === 'n'), { silenceMs: 15_000 }, 'from the registry point');
});

t.test('evaluation takes turns with the event loop: a step of many readings lets I/O in every YIELD_EVERY readings', async (t) => {
  const points = Array.from({ length: 2_000 }, (_, i) => point(`P${i}`, 'D', 'S', 'water.pipe_pressure', i + 1));
  const registry = { pointById: new Map(points.map((p) => [p.id, p])) } as never;
  const rules = new RuleBook([{ site: 'S', rule: { id: 'high', kind: 'threshold', direction: 'upper', levels: [{ level: 2, raise: 1.0, clear: 0.8 }] } }]);
  const obs: Obs[] = points.map((p) => ({ pointId: p.id, timeMs: 60_000, value: p.id % 2 ? 1.5 : 0.5, sourceFlag: 'N', kind: 'rtd', flags: [] }));
  const b = new Batch({ query: async () => ({ rows: [] }) } as never);
  let turns = 0;
  let ended = false;
  const tick = () => { if (ended) return; turns++; setImmediate(tick); };
  setImmediate(tick);
  await evaluate(b, { registry: () => registry, rules }, obs);
  ended = true;
  t.ok(turns >= Math.floor(obs.length / YIELD_EVERY) - 1, `the event loop turned ${turns} times during the evaluation of ${obs.length} readings`);
  t.equal(b.events, 1_000, 'and every reading was evaluated: one raise per point over the limit');
});

t.test('a step\'s readings: grouped by point, each point\'s in time order whatever order they came in', async (t) => {
  const pts = [point('A', 'D', 'S', 'water.pipe_pressure', 1), point('B', 'D', 'S', 'water.pipe_pressure', 2)];
  const registry = { pointById: new Map(pts.map((p) => [p.id, p])) } as never;
  const rules = new RuleBook([{ site: 'S', rule: { id: 'high', kind: 'threshold', direction: 'upper', levels: [{ level: 2, raise: 1.0, clear: 0.8 }] } }]);
  const r = (pointId: number, timeMs: number, value: number): Obs => ({ pointId, timeMs, value, sourceFlag: 'N', kind: 'rtd', flags: [] });
  // A: raise at 1 s, clear at 2 s, given newest first and interleaved with B (raise at 1 s, still high at 3 s).
  const obs = [r(1, 2000, 0.5), r(2, 3000, 1.4), r(1, 1000, 1.5), r(2, 1000, 1.2)];
  const b = new Batch({ query: async () => ({ rows: [] }) } as never);
  await evaluate(b, { registry: () => registry, rules }, obs);
  t.equal(b.events, 3, 'A raised and cleared, B raised: in time order (newest first, A\'s 1 s reading would be late and its raise lost)');
  const a = b.state('high', 1, null), bb = b.state('high', 2, null);
  t.equal(a.level, 0, 'A cleared');
  t.equal(a.lastMs, 2000, 'A\'s latest reading: 2 s');
  t.equal(bb.level, 2, 'B at level 2');
  t.equal(bb.lastMs, 3000, 'B\'s latest reading: 3 s');
});
