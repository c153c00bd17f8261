// GET /v1/observations/aggregate on both stores: derived rollups through the HTTP API, with the filters and paging of
// /v1/observations, and 400 for an interval it does not have.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService } from './helpers/services.ts';

const FIXED_CLOCK = { now: () => Date.parse('2026-11-26T12:00:00Z') };
const H0 = Date.parse('2026-11-25T22:00:00+08:00');

for (const store of ['pglite', 'postgres'] as const) {
  t.test(store, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const { hub, cleanup } = await startTestHub(store, undefined, FIXED_CLOCK);
    t.teardown(cleanup);
    const get = async (q: string) => hub.app.inject({ url: `/v1/observations/aggregate?${q}`, headers: auth(KEYS.read) });

    // 3 hours (22:00–01:00 Shanghai, across midnight), a reading every 2 minutes, for three points of two sites.
    const records = [];
    for (let i = 0; i < 90; i++) {
      const time = new Date(H0 + i * 120_000).toISOString();
      records.push({ point: 'WS-001-P1', time, value: (20 + (i % 10)) / 100 });
      records.push({ point: 'WS-001-V1', time, value: i === 5 ? 9 : 1 + i / 100 }); // 9 m/s: out of range, flagged
      records.push({ point: 'GS-001-C1', time, value: i % 3 });
    }
    const ing = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
    t.equal(ing.json().accepted, 270);
    await hub.rollups.catchUp();

    await t.test('hourly values of one point', async (t) => {
      const res = await get('interval=1h&point=WS-001-P1');
      t.equal(res.statusCode, 200);
      const { data, next_cursor } = res.json();
      t.equal(next_cursor, null);
      t.equal(data.length, 3);
      const vals = Array.from({ length: 30 }, (_, i) => (20 + (i % 10)) / 100);
      t.match(data[0], {
        point: 'WS-001-P1', device: 'WS-001-PT', site: 'WS-001', indicator: 'water.pipe_pressure', domain: 'water', unit: 'MPa',
        interval: '1h', bucket: '2026-11-25T14:00:00.000Z', count: 30, min: 0.2, max: 0.29, flagged: 0, derived: true,
        first: { time: '2026-11-25T14:00:00.000Z', value: 0.2 }, last: { time: '2026-11-25T14:58:00.000Z', value: 0.29 },
      });
      t.ok(Math.abs(data[0].avg - vals.reduce((a, b) => a + b, 0) / 30) < 1e-9, 'avg');
    });

    await t.test('days follow the hub zone; filters as on /v1/observations', async (t) => {
      const days = (await get('interval=1d&point=WS-001-V1')).json().data;
      t.same(days.map((d: { bucket: string; count: number }) => [d.bucket, d.count]), [['2026-11-24T16:00:00.000Z', 60], ['2026-11-25T16:00:00.000Z', 30]], 'two Shanghai days');
      t.equal(days[0].flagged, 1, 'the out-of-range reading is flagged');
      t.same(new Set((await get('interval=1h&site=WS-001')).json().data.map((d: { point: string }) => d.point)), new Set(['WS-001-P1', 'WS-001-V1']), 'site');
      t.same(new Set((await get('interval=1h&domain=gas')).json().data.map((d: { point: string }) => d.point)), new Set(['GS-001-C1']), 'domain');
      t.same(new Set((await get('interval=1h&indicator=water.pipe_flow_velocity')).json().data.map((d: { point: string }) => d.point)), new Set(['WS-001-V1']), 'indicator');
      t.equal((await get('interval=1h&device=GS-001-GD')).json().data.length, 3, 'device');
      const range = (await get('interval=1m&point=GS-001-C1&from=2026-11-25T23:00:00&to=2026-11-25T23:10:00')).json().data;
      t.same(range.map((d: { bucket: string }) => d.bucket), [0, 2, 4, 6, 8].map((m) => `2026-11-25T15:0${m}:00.000Z`), 'from/to (hub zone) select minute buckets');
    });

    await t.test('paging by cursor returns every bucket once, in (bucket, point) order', async (t) => {
      const all = (await get('interval=1h')).json().data;
      t.equal(all.length, 9);
      const paged = [];
      let cursor: string | null = null;
      do {
        const r: { data: unknown[]; next_cursor: string | null } = (await get(`interval=1h&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
        paged.push(...r.data);
        cursor = r.next_cursor;
      } while (cursor);
      t.same(paged, all);
    });

    await t.test('400 for a bad or missing interval, an unknown parameter, a bad cursor', async (t) => {
      for (const q of ['interval=5m', '', 'interval=1h&kind=rtd', 'interval=1h&cursor=nope', 'interval=1h&point=NOPE']) {
        const r = await get(q);
        t.equal(r.statusCode, 400, q || '(no interval)');
        t.equal(r.json().code, 'QUERY_INVALID');
      }
    });

    await t.test('/v1/status shows the roller caught up; /metrics its lag', async (t) => {
      const st = (await hub.app.inject({ url: '/v1/status', headers: auth(KEYS.read) })).json();
      t.match(st.rollups, { lag_seconds: 0, running: true });
      const m = (await hub.app.inject({ url: '/metrics', headers: auth(KEYS.read) })).body;
      t.match(m, /lifeline_rollup_lag_seconds \d/);
    });
  });
}
