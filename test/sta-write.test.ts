// SensorThings collections written as JSON text (hub/sta/write.ts, with `$select=id` levels read by id alone) are byte
// for byte what the objects of hub/sta/json.ts stringify to, read with every column: over every entity set, $select
// (none, id only, links only, properties), nested $expand (the latest values of every Datastream, counts, nested
// nextLinks, to-one links), aggregate kinds, null values, warnings, quotes and text ids, and a scoped key. PGlite.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { hashKey } from '../hub/api/auth.ts';
import { answer, type StaContext } from '../hub/sta/query.ts';
import { parseOptions } from '../hub/sta/options.ts';
import { catalogueJson, STA_ROOT } from '../hub/api/routes/sta.ts';

const SCOPED = 'key-sta-write-water';
const { hub, cleanup } = await startTestHub('pglite', (c) => {
  c.api.keys.push({ name: 'water-only', hash: hashKey(SCOPED), scopes: ['read'], scope: { enterprises: ['示范市自来水有限公司'] } });
});
t.teardown(cleanup);

const T0 = Date.parse('2026-11-25T00:00:00Z');
const records: Array<Record<string, unknown>> = [];
for (let i = 0; i < 12; i++) {
  const time = new Date(T0 + i * 60_000 + (i % 3) * 7).toISOString(); // milliseconds too
  records.push({ point: 'WS-001-P1', time, value: (20 + (i % 10)) / 100, message_id: `q"${i}\\` });
  records.push({ point: 'WS-001-V1', time, value: i === 5 ? 9 : 1 + i / 1e7, warnings: i % 2 ? ['lenient_crc'] : undefined });
  records.push({ point: 'GS-001-C1', time, value: i % 4, unit: '%{LEL}' });
}
records.push({ point: 'WS-001-P1', time: new Date(T0 + 3_600_000).toISOString(), kind: 'hour', value: 0.25, avg: 0.25, min: 0.2, max: 0.29, cou: 1e21 });
records.push({ point: 'WS-001-V1', time: new Date(T0 + 3_600_000).toISOString(), value: null, flag: 'D' });
const ing = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
t.equal(ing.json().accepted, records.length, 'ingested');

const enc = encodeURIComponent;
const latest = 'Observations($top=1;$orderby=phenomenonTime desc)';
const queries = [
  // The bench's latest values of every Datastream of 1,000 Things, and the same with whole entities.
  `Things?$top=1000&$select=id&$expand=${enc(`Datastreams($select=id;$expand=${latest})`)}`,
  `Things?$expand=${enc(`Datastreams($expand=${latest})`)}`,
  `Datastreams?$expand=${enc('Observations($top=1;$orderby=resultTime desc;$select=phenomenonTime,result)')}&$select=id,name,unitOfMeasurement`,
  `Things?$select=id,name&$expand=${enc('Datastreams($select=id,name,unitOfMeasurement;$expand=Observations($top=1;$orderby=phenomenonTime desc;$select=phenomenonTime,result))')}`,
  ...['Things', 'Locations', 'HistoricalLocations', 'Sensors', 'ObservedProperties', 'Datastreams', 'Observations', 'FeaturesOfInterest'].flatMap((set) => [
    set, `${set}?$select=id`, `${set}?$select=selfLink,id`, `${set}?$select=properties`, `${set}?$top=2&$count=true`, `${set}?$top=0&$count=true`,
  ]),
  'Things?$select=Datastreams,Locations&$expand=Datastreams($select=Thing)',
  `Things?$expand=${enc('Datastreams($top=1;$count=true;$expand=Observations($top=2;$count=true;$skip=1;$select=id))')}&$count=true&$top=2`,
  `Things?$expand=${enc('Locations,HistoricalLocations($select=time;$expand=Thing($select=id))')}`,
  `Observations?$top=40&$orderby=${enc('phenomenonTime desc')}&$expand=${enc('Datastream($select=id),FeatureOfInterest')}`,
  `Observations?$top=5&$expand=${enc('Datastream($expand=ObservedProperty,Sensor($select=name),Thing($select=id))')}`,
  `ObservedProperties?$select=id,name&$expand=${enc(`Datastreams($select=id;$expand=${latest})`)}`,
  `Sensors?$expand=${enc('Datastreams($select=id,properties;$filter=properties/code ne \'x\')')}`,
  `Observations?$filter=${enc("parameters/kind eq 'hour' or result eq null")}`,
  'Things(1)/Datastreams?$select=id',
  "ObservedProperties('water.pipe_pressure')/Datastreams?$expand=Thing",
];

const base = `http://localhost:80${STA_ROOT}`;
const context = (scope: StaContext['scope']): StaContext => ({ db: hub.db, scope, catalogue: catalogueJson(hub.registry.registry.catalogue), base });

t.test('the text a collection is written as is the objects, stringified', async (t) => {
  const scopes: Array<[string, StaContext['scope']]> = [['unscoped', undefined], ['scoped', { enterprises: ['示范市自来水有限公司'] }]];
  for (const [who, scope] of scopes) {
    for (const q of queries) {
      const [path, qs = ''] = q.split('?');
      const raw = Object.fromEntries(new URLSearchParams(qs));
      const url = `${base}/${path}`;
      const text = await answer(context(scope), path!, parseOptions(raw), url);
      const objects = await answer(context(scope), path!, parseOptions(raw), url, { objects: true });
      if (!('body' in text) || !('json' in objects)) { t.fail(`${who} ${q}: a collection page`); continue; }
      t.equal(text.body.toString('utf8'), JSON.stringify(objects.json), `${who} ${q}`);
    }
  }
});

t.test('over HTTP: the same body and content type as a JSON answer fastify serialises', async (t) => {
  const get = (url: string, key: string = KEYS.read) => hub.app.inject({ url, headers: auth(key) });
  const root = await get(STA_ROOT);
  const page = await get(`${STA_ROOT}/${queries[0]}`);
  t.equal(page.statusCode, 200);
  t.equal(page.headers['content-type'], root.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(Number(page.headers['content-length']), Buffer.byteLength(page.body));
  const body = page.json();
  t.equal(body.value.flatMap((x: { Datastreams: Array<{ Observations: unknown[] }> }) => x.Datastreams.flatMap((d) => d.Observations)).length, 3, 'the three latest values');
  const scoped = (await get(`${STA_ROOT}/${queries[0]}`, SCOPED)).json();
  t.equal(scoped.value.length, 1, 'a scoped key: its Thing alone');
});
