// The console's arithmetic without a browser: the Overview's rates from Prometheus text (console/src/metrics.ts), the
// Devices page's status and flags (devices-model.ts), the point chart's resolution and bands (series.ts), the
// Quarantine page's groups (quarantine-model.ts).
import t from 'tap';
import { countersFrom, parsePrometheus, ratesOf } from '../console/src/metrics.ts';
import { deviceRows, filterRows, fmtValue, indexRegistry, pointValues, statusOf, type Observation } from '../console/src/devices-model.ts';
import { autoResolution, niceTicks, thresholdBands, yDomain } from '../console/src/series.ts';
import { groupQuarantine, suggestPointCode, type QuarantineEntry } from '../console/src/quarantine-model.ts';

const text = (accepted: number, quarantined: number, delivered: number) => `# HELP lifeline_ingest_records_total Records ingested
# TYPE lifeline_ingest_records_total counter
lifeline_ingest_records_total{adapter="hj212",outcome="accepted"} ${accepted}
lifeline_ingest_records_total{adapter="hj212",outcome="duplicate"} 5
lifeline_ingest_records_total{adapter="hj212",outcome="quarantined"} ${quarantined}
lifeline_ingest_records_total{adapter="http",outcome="rejected"} 2
lifeline_ingest_records_total_created{adapter="hj212"} 1700000000
lifeline_publish_delivered_total{target="province"} ${delivered}
lifeline_publish_backlog{target="province"} 7
`;

t.test('parsePrometheus: only the named metrics, labels unescaped', async (t) => {
  const s = parsePrometheus('a{x="q\\"uote",y="new\\nline"} 3\nb 4\n# c 5\na 1e3\na{x="nan"} NaN\n', new Set(['a']));
  t.same(s, [{ name: 'a', labels: { x: 'q"uote', y: 'new\nline' }, value: 3 }, { name: 'a', labels: {}, value: 1000 }]);
});

t.test('countersFrom sums outcomes per adapter and delivered per target', async (t) => {
  const c = countersFrom(text(100, 20, 50), 0);
  t.same(c.adapters, { hj212: { received: 125, stored: 100, quarantined: 20 }, http: { received: 2, stored: 0, quarantined: 0 } });
  t.same(c.delivered, { province: 50 });
});

t.test('ratesOf: per second over the window; the quarantine share of what came in', async (t) => {
  const one = ratesOf([countersFrom(text(100, 20, 50), 0)]);
  t.equal(one.adapters.hj212!.inPerS, null, 'one poll: no rate yet');
  t.equal(one.adapters.hj212!.quarantineRate, 20 / 125, 'but the share so far');
  const r = ratesOf([countersFrom(text(100, 20, 50), 0), countersFrom(text(180, 40, 90), 10_000)]);
  t.equal(r.seconds, 10);
  t.equal(r.adapters.hj212!.inPerS, 10, '100 more in 10 s');
  t.equal(r.adapters.hj212!.storedPerS, 8);
  t.equal(r.adapters.hj212!.quarantineRate, 0.2, '20 of the 100');
  t.equal(r.delivered.province, 4);
  t.equal(r.adapters.http!.inPerS, 0);
  const reset = ratesOf([countersFrom(text(500, 40, 90), 0), countersFrom(text(10, 0, 0), 2_000)]);
  t.equal(reset.adapters.hj212!.inPerS, 0, 'a hub restart (counters back to 0) is no negative rate');
  t.equal(reset.delivered.province, 0);
});

t.test('devices: status by last-seen age, problem flags, errors-only filter', async (t) => {
  t.equal(statusOf(null, 60), 'never');
  t.equal(statusOf(180, 60), 'online', 'three intervals');
  t.equal(statusOf(181, 60), 'late');
  t.equal(statusOf(721, 60), 'offline', 'past twelve');
  const now = Date.parse('2026-11-25T10:00:00Z');
  const obs = (point: string, ageS: number, flags: string[], source_flag = 'N', receivedAgeS = ageS): Observation => ({
    point, device: '', indicator: 'water.pipe_pressure', time: new Date(now - ageS * 1000).toISOString(), value: 0.25, unit: 'MPa',
    quality: { source_flag, flags }, source: { adapter: 'http', received_at: new Date(now - receivedAgeS * 1000).toISOString() },
  });
  const ind = new Map([['water.pipe_pressure', { code: 'water.pipe_pressure', domain: 'water', unit: 'MPa', name: { zh: '压力', en: 'Pipe pressure' } }]]);
  const index = indexRegistry(
    [{ code: 'S', name: '站' }],
    [{ code: 'D3', site: 'S' }, { code: 'D1', site: 'S', name: '变送器' }, { code: 'D2', site: 'S' }, { code: 'D4', site: 'S' }],
    [{ code: 'P1', device: 'D1', indicator: 'water.pipe_pressure', expected_interval_s: 60 }, { code: 'P1b', device: 'D1', indicator: 'water.pipe_pressure' },
      { code: 'P2', device: 'D2', indicator: 'water.pipe_pressure' }, { code: 'P3', device: 'D3', indicator: 'water.pipe_pressure' }],
    ind,
  );
  const latest = new Map([obs('P1', 30, ['unit_converted']), obs('P1b', 4000, []), obs('P2', 10, [], 'D'), obs('P3', -600, ['future_time'], 'N', 20_000)].map((o) => [o.point, o]));
  const rows = deviceRows(index, latest, now);
  t.same(rows.map((r) => r.code), ['D1', 'D2', 'D3', 'D4'], 'in code order');
  t.same(rows.map((r) => r.status), ['online', 'online', 'offline', 'never'], 'newest point counts; a future time counts from its receipt');
  t.same(pointValues(rows[0]!, latest, ind).map((p) => [p.flags, p.problem]), [[['unit_converted'], false], [[], false]], 'unit_converted only informs');
  t.same(pointValues(rows[1]!, latest, ind)[0]!.flags, ['flag_D'], 'a source flag other than N is a problem');
  t.same(deviceRows(index, latest, now, new Set(['D1'])).map((r) => r.status), ['online', 'pending', 'pending', 'pending'], 'not yet asked about: pending');
  t.equal(rows[0]!.intervalS, 60, 'the shortest interval of its points');
  t.same(filterRows(rows, true, '').map((r) => r.code), ['D2', 'D3', 'D4'], 'errors only');
  t.same(filterRows(rows, false, '变送器 s').map((r) => r.code), ['D1'], 'every word matches');
  t.same([fmtValue(0.25), fmtValue(250), fmtValue(1.5), fmtValue(0), fmtValue(null), fmtValue(1e-5)], ['0.25', '250', '1.5', '0', '—', '1.00e-5']);
});

t.test('point chart: raw for short ranges, aggregates for long ones; threshold bands in the indicator unit', async (t) => {
  t.same([1, 6, 7, 72, 73, 24 * 90, 24 * 91].map((h) => autoResolution(h * 3600_000)), ['raw', 'raw', '1m', '1m', '1h', '1h', '1d']);
  const gas = thresholdBands([{ id: 'high', kind: 'threshold', direction: 'upper', unit: '%{LEL}', levels: [{ level: 1, raise: 50, clear: 45 }, { level: 2, raise: 25, clear: 20 }] }], '%{vol}', 5);
  t.same(gas.bands.map((b) => [b.level, b.from, b.to]), [[2, 1.25, 2.5], [1, 2.5, Infinity]], '%LEL converted through lel_percent_vol; level 2 up to level 1');
  const low = thresholdBands([{ id: 'low', kind: 'threshold', direction: 'lower', levels: [{ level: 3, raise: 0.14, clear: 0.16 }] }, { id: 'x', kind: 'stuck' }], 'MPa');
  t.same(low.bands.map((b) => [b.level, b.from, b.to]), [[3, -Infinity, 0.14]]);
  t.same(thresholdBands([{ id: 'k', kind: 'threshold', direction: 'upper', unit: 'kPa', levels: [{ level: 1, raise: 500, clear: 400 }] }], 'MPa').skipped, ['k (kPa)'], 'not converted in the page: named');
  t.same(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const [lo, hi] = yDomain([0.3, 0.35], low.bands);
  t.ok(lo < 0.14 && hi > 0.35, 'the y range takes in the threshold');
});

t.test('quarantine: by reason, then by what the records name', async (t) => {
  const e = (id: string, reason: string, record: Record<string, unknown>, message = 'm'): QuarantineEntry => ({ id, received_at: `2026-11-25T10:00:0${id}Z`, adapter: 'http', reason, message, field: null, record, replayed_at: null });
  const g = groupQuarantine([
    e('1', 'UNKNOWN_POINT', { point: 'P9', time: 't', value: 1 }), e('2', 'UNKNOWN_POINT', { point: 'P9', time: 't', value: 2 }),
    e('3', 'UNKNOWN_DEVICE', { identity: { protocol: 'hj212', key: 'MN1' }, field: 'w01018', time: 't' }),
    e('4', 'UNKNOWN_POINT', { device: 'D1', field: 'x', unit: 'kPa', time: 't' }), e('5', 'INVALID_TIME', { point: 'P1', time: 'noon' }, 'bad time'),
    e('6', 'UNKNOWN_POINT', { point: 'P9', time: 't', value: 3 }),
  ]);
  t.same(g.map((x) => [x.reason, x.count]), [['UNKNOWN_POINT', 4], ['UNKNOWN_DEVICE', 1], ['INVALID_TIME', 1]], 'largest reason first');
  t.same(g[0]!.subjects.map((s) => [s.key, s.fix, s.entries.length]), [['point P9', 'point', 3], ['D1 / x', 'point', 1]]);
  t.same(g[0]!.subjects[1]!.unit, 'kPa');
  t.same([g[1]!.subjects[0]!.fix, g[1]!.subjects[0]!.identity], ['device', { protocol: 'hj212', key: 'MN1' }]);
  t.same([g[2]!.subjects[0]!.fix, g[2]!.subjects[0]!.key], ['none', 'bad time'], 'what registering cannot fix: by message');
  t.equal(suggestPointCode('D 1', 'a/b'), 'D_1-a_b');
});
