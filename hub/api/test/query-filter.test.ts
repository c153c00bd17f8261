// Site / device / indicator / domain filters become registry point ids (so the store reads the identity index),
// and the rows returned are exactly those the column filters alone return.
import t from 'tap';
import { openPglite } from '../../store/pglite.ts';
import { migrate } from '../../store/migrate.ts';
import { commitBatch, queryObservations, queryLatest } from '../../store/observations.ts';
import { RegistryService } from '../../registry/service.ts';
import { catalogueByCode } from '../../registry/catalogue.ts';
import { toFilter, type ObservationQuery } from '../query.ts';

const T0 = Date.UTC(2026, 10, 25, 2, 0, 0);

t.test('filters resolve to point ids and return the same rows', async (t) => {
  const db = await openPglite();
  t.teardown(() => db.close());
  await migrate(db);
  const reg = new RegistryService(db, catalogueByCode());
  await reg.reload();
  await reg.apply({
    sites: [{ code: 'S1', name: 'one', domain: 'water' }, { code: 'S2', name: 'two', domain: 'gas' }],
    devices: [{ code: 'D1', site: 'S1' }, { code: 'D2', site: 'S1' }, { code: 'D3', site: 'S2' }],
    points: [
      { code: 'P1', device: 'D1', indicator: 'water.pipe_pressure' }, { code: 'P2', device: 'D2', indicator: 'water.leak_noise' },
      { code: 'P3', device: 'D3', indicator: 'gas.pipe_pressure' }, { code: 'P4', device: 'D3', indicator: 'water.pipe_pressure' },
    ],
  });
  const r = reg.registry;
  const rows = [...r.points.values()].flatMap((p) => Array.from({ length: 5 }, (_, i) => ({
    pointId: p.id, deviceId: p.device.id, siteId: p.device.site.id, indicator: p.indicator.code, kind: 'rtd', timeMs: T0 + i * 60_000,
    value: i, avg: null, min: null, max: null, cou: null, unit: p.indicator.unit, sourceFlag: 'N', flags: [], warnings: [], messageId: null, rawValue: null, rawUnit: null,
  })));
  await commitBatch(db, { adapter: 't', receivedAtMs: T0, rows, quarantine: [] });
  const id = (c: string) => r.points.get(c)!.id;
  const cases: Array<[ObservationQuery, string[]]> = [
    [{ site: 'S1' }, ['P1', 'P2']],
    [{ device: 'D3' }, ['P3', 'P4']],
    [{ indicator: 'water.pipe_pressure' }, ['P1', 'P4']],
    [{ domain: 'gas' }, ['P3']],
    [{ site: 'S2', domain: 'water' }, ['P4']],
    [{ site: 'S1', point: 'P2,P3' }, ['P2']],
    [{ site: 'S1', device: 'D3' }, []],
  ];
  for (const [q, points] of cases) {
    const f = toFilter(q, r, 'Asia/Shanghai');
    t.same([...(f.pointIds ?? [])].sort(), points.map(id).sort(), `${JSON.stringify(q)} → points ${points.join(',')}`);
    const { pointIds: _p, ...columnsOnly } = f;
    const asBefore = q.point ? { ...columnsOnly, pointIds: q.point.split(',').map(id) } : columnsOnly;
    t.same(await queryObservations(db, { ...f, limit: 100 }), await queryObservations(db, { ...asBefore, limit: 100 }), 'same rows as the column filters alone');
    t.same(await queryLatest(db, f), await queryLatest(db, asBefore), 'same latest rows');
  }
  t.equal(toFilter({ point: 'P1' }, r, 'Asia/Shanghai').pointIds?.length, 1, 'a point filter alone is left as it is');
});
