// The Overview's arithmetic (console/src/metrics.ts), without a browser: Prometheus text in, rates out.
import t from 'tap';
import { countersFrom, parsePrometheus, ratesOf } from '../console/src/metrics.ts';

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
