// SensorThings v1.1 at /sta/v1.1 on one hub (PGlite or PostgreSQL; test/sta-*.test.ts): a generic client walks Things → Datastreams → Observations by
// the links the service gives it ($filter, $expand, $orderby, paging by @iot.nextLink) and gets exactly what
// /v1/observations answers for the same question; latest values, $count, dataArray, filters, errors; and a key
// limited to one enterprise sees nothing of another (including through $expand, $count, nextLinks and errors).
import type { Test } from 'tap';
import { startTestHub, auth, KEYS } from './hub.ts';
import { hashKey } from '../../hub/api/auth.ts';
import fc from 'fast-check';
import { packClosed } from '../../hub/store/pack.ts';
import { maintainPartitions } from '../../hub/store/partitions.ts';

const SCOPED = 'key-sta-water';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function staSuite(t: Test, store: 'pglite' | 'postgres'): Promise<void> {
  const { hub, cleanup } = await startTestHub(store, (c) => {
    c.api.keys.push({ name: 'water-only', hash: hashKey(SCOPED), scopes: ['read'], scope: { enterprises: ['示范市自来水有限公司'] } });
    c.server.trust_proxy = ['10.0.0.1']; // the reverse proxy of the links test below
  });
  t.teardown(cleanup);

  const ORIGIN = 'http://localhost:80';
  async function get(url: string, key: string = KEYS.read): Promise<{ status: number; body: Json }> {
    const res = await hub.app.inject({ url: url.startsWith(ORIGIN) ? url.slice(ORIGIN.length) : url, headers: auth(key) });
    return { status: res.statusCode, body: res.headers['content-type']?.toString().startsWith('application/json') ? res.json() : { text: res.body } };
  }
  /** A generic SensorThings client: every entity of a collection URL, following @iot.nextLink. */
  async function all(url: string, key?: string): Promise<{ items: Json[]; pages: number }> {
    const items: Json[] = [];
    let next: string | undefined = url, pages = 0;
    while (next) {
      const r = await get(next, key);
      if (r.status !== 200) throw new Error(`${next}: ${r.status} ${JSON.stringify(r.body)}`);
      items.push(...r.body.value);
      next = r.body['@iot.nextLink'];
      pages++;
    }
    return { items, pages };
  }
  /** Every row of /v1/observations for a query, following next_cursor. */
  async function v1(q: string): Promise<Json[]> {
    const out: Json[] = [];
    let cursor: string | null = null;
    do {
      const r: Json = (await hub.app.inject({ url: `/v1/observations?${q}&limit=4${cursor ? `&cursor=${cursor}` : ''}`, headers: auth(KEYS.read) })).json();
      out.push(...r.data);
      cursor = r.next_cursor;
    } while (cursor);
    return out;
  }
  const enc = encodeURIComponent;
  // The same reading as /v1 gives it, from a SensorThings Observation.
  const asV1 = (o: Json) => ({ id: String(o['@iot.id']), time: o.phenomenonTime, value: o.result, source_flag: o.resultQuality.source_flag, flags: o.resultQuality.flags, raw_value: o.parameters.raw_value, raw_unit: o.parameters.raw_unit, kind: o.parameters.kind, unit: o.parameters.unit });
  const fromV1 = (o: Json) => ({ id: o.id, time: o.time, value: o.value, source_flag: o.quality.source_flag, flags: o.quality.flags, raw_value: o.source.raw_value, raw_unit: o.source.raw_unit, kind: o.kind, unit: o.unit });

  // 30 minutes of readings for three points of two sites (water and gas), one an hour apart in kind, one out of range.
  const T0 = Date.parse('2026-11-25T00:00:00Z');
  const records: Json[] = [];
  for (let i = 0; i < 30; i++) {
    const time = new Date(T0 + i * 60_000).toISOString();
    records.push({ point: 'WS-001-P1', time, value: (20 + (i % 10)) / 100 });
    records.push({ point: 'WS-001-V1', time, value: i === 5 ? 9 : 1 + i / 100 });
    records.push({ point: 'GS-001-C1', time, value: i % 4, unit: '%{LEL}' });
  }
  const ing = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records } });
  t.equal(ing.json().accepted, 90, 'ingested');

  t.test('a generic client walks Things → Datastreams → Observations and gets what /v1/observations returns', async (t) => {
    const root = await get('/sta/v1.1');
    const things = root.body.value.find((v: Json) => v.name === 'Things').url as string;
    const th = await all(`${things}?$filter=${enc("properties/code eq 'WS-001' and startswith(name, '湖滨')")}`);
    t.equal(th.items.length, 1, 'one Thing by code and name');
    t.match(th.items[0], { properties: { code: 'WS-001', enterprise: '示范市自来水有限公司', domain: 'water' } });
    const ds = await all(`${th.items[0]!['Datastreams@iot.navigationLink']}?$filter=${enc("ObservedProperty/id eq 'water.pipe_pressure'")}`);
    t.equal(ds.items.length, 1, 'the pressure Datastream');
    t.match(ds.items[0], { properties: { code: 'WS-001-P1' }, unitOfMeasurement: { symbol: 'MPa' } });
    const from = '2026-11-25T00:05:00Z', to = '2026-11-25T00:25:00Z';
    const obs = await all(`${ds.items[0]!['Observations@iot.navigationLink']}?$filter=${enc(`phenomenonTime ge ${from} and phenomenonTime lt ${to}`)}&$orderby=${enc('phenomenonTime asc')}&$top=6`);
    t.equal(obs.pages, 4, '20 rows in pages of 6 by @iot.nextLink');
    const want = await v1(`point=WS-001-P1&from=${from}&to=${to}`);
    t.equal(want.length, 20);
    t.same(obs.items.map(asV1), want.map(fromV1), 'exactly the /v1 rows, in the same order');

    // Behind a reverse proxy (server.trust_proxy): links name the address clients use, and only a trusted peer's
    // X-Forwarded-* headers count.
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'iot.city.example', 'x-forwarded-for': '203.0.113.9' };
    const page = (remoteAddress: string) => hub.app.inject({ url: '/sta/v1.1/Things?$top=1', remoteAddress, headers: { ...auth(KEYS.read), ...forwarded } }).then((r) => r.json());
    t.match((await page('10.0.0.1'))['@iot.nextLink'], /^https:\/\/iot\.city\.example\/sta\/v1\.1\/Things\?/, 'through the trusted proxy: its scheme and host');
    t.match((await page('10.0.0.1')).value[0]['@iot.selfLink'], /^https:\/\/iot\.city\.example\/sta\/v1\.1\/Things\(/);
    t.match((await page('192.0.2.7'))['@iot.nextLink'], /^http:\/\/localhost(:80)?\/sta\/v1\.1\/Things\?/, 'from any other peer: the headers are ignored');

    // The same question in one request with nested $expand, then its nested nextLink.
    const one = await get(`/sta/v1.1/Things?$filter=${enc("properties/code eq 'WS-001'")}&$expand=${enc(`Datastreams($filter=properties/code eq 'WS-001-P1';$expand=Observations($filter=phenomenonTime ge ${from} and phenomenonTime lt ${to};$orderby=phenomenonTime;$top=8;$count=true))`)}`);
    t.equal(one.status, 200);
    const d = one.body.value[0].Datastreams[0];
    t.equal(d['Observations@iot.count'], 20, 'count inside $expand');
    const rest = await all(d['Observations@iot.nextLink']);
    t.same([...d.Observations, ...rest.items].map(asV1), want.map(fromV1), 'expanded page + its nextLink = /v1');

    // Whole city, descending, with a result filter: compare with /v1 filtered the same way.
    const hi = await all(`/sta/v1.1/Observations?$filter=${enc('result gt 1.1 and parameters/kind eq \'rtd\'')}&$orderby=${enc('phenomenonTime desc')}&$top=7`);
    const v1hi = (await v1('kind=rtd')).filter((o) => o.value > 1.1).reverse();
    t.same(hi.items.map(asV1), v1hi.map(fromV1), 'descending order, $filter on result');
  });

  t.test('latest values come from the latest table and match /v1/observations/latest', async (t) => {
    const r = await get(`/sta/v1.1/Datastreams?$expand=${enc('Observations($top=1;$orderby=phenomenonTime desc)')}&$top=100`);
    const latest: Json[] = (await hub.app.inject({ url: '/v1/observations/latest', headers: auth(KEYS.read) })).json().data;
    const byPoint = new Map(latest.map((o) => [o.point, o]));
    let seen = 0;
    for (const ds of r.body.value) {
      const want = byPoint.get(ds.properties.code);
      if (!want) { t.same(ds.Observations, [], `${ds.properties.code}: no data`); continue; }
      t.same(ds.Observations.map(asV1), [fromV1(want)], ds.properties.code);
      seen++;
    }
    t.equal(seen, 3);
    // The generic path gives the same (a filter makes it generic).
    const g = await get(`/sta/v1.1/Datastreams?$expand=${enc("Observations($top=1;$orderby=phenomenonTime desc;$filter=parameters/kind eq 'rtd')")}`);
    t.same(g.body.value.map((d: Json) => d.Observations.map(asV1)), r.body.value.map((d: Json) => d.Observations.map(asV1)));
  });

  t.test('$count, $select, $skip, dataArray, entity paths', async (t) => {
    const c = await get(`/sta/v1.1/Observations?$filter=${enc('phenomenonTime ge 2026-11-25T00:10:00Z')}&$count=true&$top=1`);
    t.equal(c.body['@iot.count'], 60, 'count of the whole filter, not the page');
    t.equal(c.body.value.length, 1);
    t.match(c.body['@iot.nextLink'], /\$skip=1/);
    const sel = await get('/sta/v1.1/Things?$select=id,name&$orderby=id&$skip=1&$top=2');
    t.same(sel.body.value.map((x: Json) => Object.keys(x).sort()), [['@iot.id', 'name'], ['@iot.id', 'name']]);
    t.same(sel.body.value.map((x: Json) => x['@iot.id']), [2, 3]);
    const da = await get(`/sta/v1.1/Observations?$resultFormat=dataArray&$select=id,result&$filter=${enc("Datastream/properties/code eq 'WS-001-P1'")}&$top=3&$orderby=phenomenonTime`);
    t.equal(da.body.value.length, 1);
    t.match(da.body.value[0], { components: ['id', 'result'], 'dataArray@iot.count': 3 });
    t.same(da.body.value[0].dataArray.map((r: unknown[]) => r[1]), [0.2, 0.21, 0.22]);
    const dsId = da.body.value[0]['Datastream@iot.navigationLink'].match(/\((\d+)\)/)[1];
    t.match((await get(`/sta/v1.1/Datastreams(${dsId})/Thing`)).body, { name: '湖滨路供水主干管', properties: { code: 'WS-001' } });
    t.same((await get(`/sta/v1.1/Datastreams(${dsId})/Sensor/name`)).body, { name: '压力变送器' });
    t.equal((await get(`/sta/v1.1/Datastreams(${dsId})/ObservedProperty/definition/$value`)).body.text, 'urn:lifeline:indicator:water.pipe_pressure');
    t.match((await get(`/sta/v1.1/Datastreams(${dsId})/Observations/$ref?$top=2`)).body.value, [{ '@iot.selfLink': /\/Observations\(\d+\)$/ }, {}]);
    t.match((await get(`/sta/v1.1/Sensors?$filter=${enc("properties/model eq 'PT-100'")}`)).body.value, [{ description: 'Demo PT-100', metadata: 'Demo PT-100' }]);
    const foi = (await get('/sta/v1.1/Observations?$top=1&$expand=FeatureOfInterest,Datastream($select=name)')).body.value[0];
    t.match(foi, { FeatureOfInterest: { encodingType: 'application/geo+json', feature: { type: 'Point' } }, Datastream: { name: /-/ } });
    const loc = (await get('/sta/v1.1/Things(1)/Locations')).body.value[0];
    t.same(loc.location, { type: 'Point', coordinates: [118.0894, 24.4798] });
  });

  t.test('filter functions and geometry', async (t) => {
    const ids = async (q: string) => (await all(`/sta/v1.1/${q}`)).items.map((x) => x['@iot.id']);
    const things = async (f: string) => (await all(`/sta/v1.1/Things?$filter=${enc(f)}&$select=properties`)).items.map((x) => x.properties.code).sort();
    t.same(await things("contains(properties/enterprise, '燃气')"), ['GS-001']);
    t.same(await things("substringof('燃气', properties/enterprise) or endswith(properties/code, 'BR-001')"), ['BR-001', 'GS-001']);
    t.same(await things("tolower(properties/domain) eq 'water' and length(properties/code) eq 6"), ['WS-001']);
    t.same(await things("indexof(properties/code, '-') eq 2 and substring(properties/code, 3) eq '001' and not (properties/domain eq 'water')").then((x) => x.length), 4);
    // Around the water site (118.0894, 24.4798): a box, a box with a hole, a point, distance.
    const box = (x0: number, y0: number, x1: number, y1: number) => `(${x0} ${y0}, ${x1} ${y0}, ${x1} ${y1}, ${x0} ${y1}, ${x0} ${y0})`;
    t.same(await things(`geo.intersects(Locations/location, geography'POLYGON(${box(118.08, 24.475, 118.09, 24.485)})')`), ['WS-001']);
    t.same(await things(`st_within(Locations/location, geography'POLYGON(${box(118, 24, 119, 25)},${box(118.08, 24.475, 118.09, 24.485)})')`), ['BR-001', 'DR-001', 'GS-001'], 'a hole excludes');
    t.same(await ids(`Locations?$filter=${enc("geo.intersects(location, geography'POINT(118.0894 24.4798)')")}&$select=id`), [1]);
    t.same(await ids(`Locations?$filter=${enc("geo.distance(location, geography'POINT(118.0894 24.4798)') lt 0.03")}&$select=id&$orderby=id`), [1, 2, 3]);
    const geo = (await get(`/sta/v1.1/Observations?$count=true&$top=0&$filter=${enc(`st_within(FeatureOfInterest/feature, geography'POLYGON(${box(118.08, 24.475, 118.09, 24.485)})') and result gt 1`)}`)).body;
    t.equal(geo['@iot.count'], 29, 'geometry through a to-one link');
    t.same([geo.value, geo['@iot.nextLink']], [[], undefined], '$top=0: the count alone, no link to the same empty page');
    t.same(await ids(`FeaturesOfInterest?$filter=${enc("st_disjoint(feature, geography'SRID=4326;MULTIPOLYGON(((118 24, 118.085 24, 118.085 25, 118 25, 118 24)))')")}&$select=id&$orderby=id`), [1, 3, 5]);
    // Numbers, dates, maths, arithmetic, JSON properties.
    const n = async (f: string) => (await get(`/sta/v1.1/Observations?$filter=${enc(f)}&$count=true&$top=0`)).body['@iot.count'];
    t.equal(await n("round(result mul 100) eq 25 and Datastream/properties/code eq 'WS-001-P1'"), 3);
    t.equal(await n('minute(phenomenonTime) eq 7 and hour(phenomenonTime) eq 0 and year(phenomenonTime) eq 2026 and day(phenomenonTime) eq 25'), 3);
    t.equal(await n("phenomenonTime add duration'PT5M' le 2026-11-25T00:06:00Z"), 6, 'date-time + duration');
    t.equal(await n('floor(result) eq 9'), 1, 'the out-of-range reading');
    t.equal(await n("resultQuality/source_flag eq 'N' and result div 0 eq null"), 90, 'division by zero is null, not an error');
    t.equal(await n("ceiling(result) ge 2 and parameters/raw_unit eq '%{LEL}'"), 0);
    t.equal(await n("parameters/raw_unit eq '%{LEL}' and result mod 0.1 lt 1"), 30);
    t.equal(await n("date(phenomenonTime) eq 2026-11-25 and time(phenomenonTime) eq '00:00:00.000'"), 3);
    t.equal(await n("Datastream/Thing/properties/code eq 'GS-001' and result ge 0.09"), 14);
    t.equal(await n('phenomenonTime lt now() and phenomenonTime gt mindatetime() and resultTime lt maxdatetime()'), 90);
    t.equal(await n('parameters/warnings eq null'), 0, 'a JSON path compares');
    t.equal(await n('id eq 1 or 2 eq id'), 2, 'ids compare with integers');
  });

  t.test('errors follow the standard shape and name the bad option', async (t) => {
    const cases: Array<[string, number, string, RegExp]> = [
      ['Things?$filter=nope eq 1', 400, '$filter', /"nope" is not a property of Things/],
      ['Things?$filter=name eq', 400, '$filter', /at character 8/],
      ['Things?$top=10001', 400, '$top', /maximum 10000/],
      ['Things?$orderby=Locations/location', 400, '$orderby', /collection/],
      ['Things?$expand=Sensors', 400, '$expand', /"Sensors" is not a navigation link of Things/],
      ['Things?$expand=Datastreams($filter=bogus gt 1)', 400, '$expand', /bogus/],
      ['Things?$select=colour', 400, '$select', /"colour" is not a property/],
      ['Things?$resultFormat=dataArray', 400, '$resultFormat', /Observations only/],
      ['Observations?$filter=geo.intersects(result, geography\'POINT(1 2)\')', 400, '$filter', /location property/],
      ['Observations?$filter=result eq \'x\'', 400, '$filter', /cannot compare a number with a string/],
      ['Observations?$filter=result add 1e308 mul 1e308 gt 0', 400, '$filter', /cannot be evaluated|overflow/],
      ['Things?$foo=1', 400, '$foo', /not a query option/],
    ];
    for (const [q, status, target, re] of cases) {
      const r = await get(`/sta/v1.1/${q.replace(/ /g, '%20')}`);
      t.equal(r.status, status, q);
      t.equal(r.body.error?.code, 'STA_QUERY_INVALID', q);
      t.equal(r.body.error?.target, target, q);
      t.match(r.body.error?.message, re, q);
    }
    for (const q of ['Widgets', 'Things(999)', 'Things(999)/Datastreams', "Things('x')", 'Things(1)/Sensor', 'Things/Datastreams', 'Things(1)/colour', 'Observations(1)/result/$value/more']) {
      const r = await get(`/sta/v1.1/${q}`);
      t.equal(r.status, 404, q);
      t.equal(r.body.error?.code, 'STA_NOT_FOUND', q);
    }
    t.equal((await hub.app.inject({ url: '/sta/v1.1/Things' })).statusCode, 401, 'a key is needed');
  });

  t.test('random $filter and $orderby token soup: 200 or 400, never a 500', async (t) => {
    const tokens = ['result', 'id', 'phenomenonTime', 'name', 'location', 'eq', 'ne', 'gt', 'le', 'add', 'sub', 'mul', 'div', 'mod', '(', ')', ',', "'x'", "''''", '1', '0', '-1', '1e308', '2.5',
      '-', 'not', 'and', 'or', 'round(', 'floor(', 'year(', 'length(', 'substring(', 'indexof(', 'concat(', 'geo.intersects(location,', 'geo.distance(', 'st_within(',
      "geography'POINT(1 2)'", "geography'POLYGON((0 0,1 0,1 1,0 0))'", 'parameters/kind', 'parameters/x/y', 'properties/code', 'Datastream/Thing/name', 'Datastreams/name',
      'Locations/location', 'Thing/Locations/location', 'null', 'true', '2026-01-01T00:00:00Z', "duration'P1D'", 'now()', 'resultQuality/flags', 'unitOfMeasurement/symbol'];
    const operand = fc.constantFrom('result', 'id', 'phenomenonTime', 'name', 'parameters/kind', 'properties/code', 'Datastream/Thing/name', 'Datastreams/name', "'x'", '1', '1e308', 'null',
      '2026-01-01T00:00:00Z', 'round(result)', 'length(name)', "phenomenonTime add duration'P1D'", 'result div 0', "concat(name, 'x')", 'year(phenomenonTime)');
    const soup = fc.oneof(
      fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 9 }).map((xs) => xs.join(' ')),
      fc.tuple(operand, fc.constantFrom('eq', 'ne', 'gt', 'le', 'add', 'mul'), operand).map((xs) => xs.join(' ')),
    );
    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(soup, fc.constantFrom('Observations', 'Things', 'Datastreams', 'Locations'), fc.boolean(), async (f, set, asOrder) => {
      const r = await hub.app.inject({ url: `/sta/v1.1/${set}?${asOrder ? '$orderby' : '$filter'}=${enc(f)}&$top=2`, headers: auth(KEYS.read) });
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      if (r.statusCode !== 200 && r.statusCode !== 400) throw new Error(`${set} ${f}: ${r.statusCode} ${r.body}`);
      if (r.statusCode === 400 && r.json().error?.code !== 'STA_QUERY_INVALID') throw new Error(`${f}: ${r.body}`);
    }), { numRuns: 250, seed: 15 });
    t.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0, `both answers seen: ${JSON.stringify([...statuses])}`);
  });

  t.test('a key scoped to one enterprise sees only its sites, everywhere', async (t) => {
    const water = async (u: string) => get(u, SCOPED);
    t.same((await all('/sta/v1.1/Things', SCOPED)).items.map((x) => x.properties.code), ['WS-001']);
    t.same((await all('/sta/v1.1/Locations?$select=id', SCOPED)).items.map((x) => x['@iot.id']), [1]);
    t.same((await all('/sta/v1.1/FeaturesOfInterest?$select=id', SCOPED)).items.map((x) => x['@iot.id']), [1]);
    t.same((await all('/sta/v1.1/Sensors', SCOPED)).items.map((x) => x.properties.code).sort(), ['WS-001-FM', 'WS-001-PT']);
    t.same((await all('/sta/v1.1/Datastreams', SCOPED)).items.map((x) => x.properties.site), ['WS-001', 'WS-001']);
    t.same((await all('/sta/v1.1/ObservedProperties', SCOPED)).items.map((x) => x['@iot.id']).sort(), ['water.pipe_flow_velocity', 'water.pipe_pressure']);
    const all60 = await all('/sta/v1.1/Observations?$top=7&$count=true', SCOPED);
    t.equal(all60.items.length, 60, 'only the water rows, across nextLinks');
    t.equal((await water('/sta/v1.1/Observations?$count=true&$top=1')).body['@iot.count'], 60, '$count');
    t.equal((await water(`/sta/v1.1/Observations?$count=true&$top=0&$filter=${enc("Datastream/Thing/properties/code eq 'GS-001'")}`)).body['@iot.count'], 0, 'a filter naming another tenant counts nothing');
    // $expand from an in-scope entity set never reaches out of scope.
    const op = (await water(`/sta/v1.1/ObservedProperties?$expand=${enc('Datastreams($expand=Observations($count=true;$top=1))')}`)).body.value;
    t.same(op.flatMap((p: Json) => p.Datastreams.map((d: Json) => d.properties.site)), ['WS-001', 'WS-001']);
    t.same(op.flatMap((p: Json) => p.Datastreams.map((d: Json) => d['Observations@iot.count'])), [30, 30]);
    const latest = (await water(`/sta/v1.1/Things?$expand=${enc('Datastreams($expand=Observations($top=1;$orderby=phenomenonTime desc))')}`)).body.value;
    t.equal(latest.length, 1);
    t.equal(latest[0].Datastreams.filter((d: Json) => d.Observations.length === 1).length, 2, 'latest values of its own datastreams');
    // Another enterprise's entities answer exactly like ids that do not exist.
    const gasThing = (await get(`/sta/v1.1/Things?$filter=${enc("properties/code eq 'GS-001'")}`)).body.value[0]['@iot.id'];
    const gasObs = (await get(`/sta/v1.1/Observations?$filter=${enc("Datastream/properties/code eq 'GS-001-C1'")}&$top=1`)).body.value[0]['@iot.id'];
    for (const u of [`Things(${gasThing})`, `Things(${gasThing})/Datastreams`, `Observations(${gasObs})`, `Observations(${gasObs})/Datastream`, `FeaturesOfInterest(${gasThing})/Observations`, `Locations(${gasThing})/Things`]) {
      const scoped = await water(`/sta/v1.1/${u}`);
      const none = await water(`/sta/v1.1/${u.replace(/\(\d+\)/, '(99999)')}`);
      t.equal(scoped.status, 404, u);
      t.equal(scoped.body.error.message.replace(String(gasThing), 'N').replace(String(gasObs), 'N'), none.body.error.message.replace('99999', 'N'), `${u}: the same answer as an id that does not exist`);
    }
    t.same((await water(`/sta/v1.1/Things?$filter=${enc("contains(properties/enterprise, '燃气')")}&$count=true`)).body, { '@iot.count': 0, value: [] });
  });

  // Last: it packs the readings' day (as the hub's upkeep does once it has closed), which the tests above read plain.
  t.test('$count over a time range on a packed day counts what the rows count, scoped keys narrowed', async (t) => {
    const day = (f: string) => `/sta/v1.1/Observations?$count=true&$top=1&$filter=${enc(f)}`;
    const wp1 = (await get(`/sta/v1.1/Datastreams?$filter=${enc("properties/code eq 'WS-001-P1'")}`)).body.value[0]['@iot.id'];
    const urls = [
      day('phenomenonTime ge 2026-11-25T00:00:00Z and phenomenonTime lt 2026-11-26T00:00:00Z'), // the whole pack
      day('phenomenonTime ge 2026-11-24T00:00:00Z'),
      day('phenomenonTime gt 2026-11-25T00:10:00Z and resultTime le 2026-11-25T00:20:00Z'), // inside the pack: an edge
      day("2026-11-25T00:29:00Z ge phenomenonTime and phenomenonTime ge '2026-11-25T00:00:00Z'"),
      day('phenomenonTime eq 2026-11-25T00:07:00Z'),
      day('phenomenonTime lt 2026-11-25T00:00:00Z'),
      `/sta/v1.1/Datastreams(${wp1})/Observations?$count=true&$top=1&$filter=${enc('phenomenonTime ge 2026-11-25T00:05:00Z and phenomenonTime lt 2026-11-26T00:00:00Z')}`,
      `/sta/v1.1/Datastreams(${wp1})/Observations?$count=true&$top=1&$filter=${enc('phenomenonTime ge 2026-11-25T00:00:00Z')}`,
    ];
    const counts = async (key: string) => Promise.all(urls.map(async (u) => {
      const r = await get(u, key);
      if (r.status !== 200) throw new Error(`${u}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body['@iot.count'];
    }));
    const plain = { all: await counts(KEYS.read), water: await counts(SCOPED) };
    t.same(plain.all, [90, 90, 30, 90, 3, 0, 25, 30], 'counted over plain rows');
    t.same(plain.water, [60, 60, 20, 60, 2, 0, 25, 30], 'a scoped key: its sites only');
    // The readings wait in the DEFAULT partition (older than the hub's partitions): given their day's first.
    await maintainPartitions(hub.db, { nowMs: Date.now(), daysAhead: 0 });
    const packed = await packClosed(hub.db, { nowMs: Date.now() });
    t.same(packed.map((p) => p.n), [90], 'the day is packed');
    t.equal(Number((await hub.db.query<{ n: string }>('SELECT count(*) AS n FROM observation_data')).rows[0]!.n), 0, 'no plain row left');
    t.same(await counts(KEYS.read), plain.all, 'the same counts from the packs');
    t.same(await counts(SCOPED), plain.water, 'the same scoped counts from the packs');
    // A late reading of the packed day is a plain row beside the pack: counted once.
    const late = await hub.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: { records: [{ point: 'WS-001-P1', time: '2026-11-25T00:40:00Z', value: 0.3 }] } });
    t.equal(late.json().accepted, 1);
    t.equal((await get(urls[0]!)).body['@iot.count'], 91, 'plain rows and packs together');
  });
}
