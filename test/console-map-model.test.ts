// The one-map and registry pages' arithmetic without a browser (console/src/map-model.ts, registry-model.ts): the
// projection and its fit to the sites, each site's status and highest open alarm, the boundary data the build ships,
// the registry lists' search and the report's clause order.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bboxOf, fit, fromScreen, levelsPresent, marksBox, pathOf, project, siteMarks, toScreen, unproject, zoomAt, type FeatureCollection } from '../console/src/map-model.ts';
import type { DeviceRow } from '../console/src/devices-model.ts';
import { cellText, clausesInOrder, filterEntities, type ClauseResult } from '../console/src/registry-model.ts';

const row = (code: string, site: string, status: DeviceRow['status']): DeviceRow => ({ code, name: '', site, siteName: '', points: [], intervalS: 300, text: code.toLowerCase(), status, lastSeenMs: null, error: status !== 'online' });

t.test('projection: Mercator there and back; a fit keeps every site on screen; zoom keeps the cursor\'s point', async (t) => {
  const p = project(118.0894, 24.4798);
  const back = unproject(p);
  t.ok(Math.abs(back.lon - 118.0894) < 1e-9 && Math.abs(back.lat - 24.4798) < 1e-9, 'unproject(project(x)) = x');
  t.ok(project(0, 60).y < project(0, 30).y, 'north is up (smaller y)');
  const box: [number, number, number, number] = [118.08, 24.43, 118.12, 24.48];
  const v = fit(box, 1000, 700);
  for (const [lon, lat] of [[118.08, 24.43], [118.12, 24.48]] as const) {
    const s = toScreen(v, project(lon, lat));
    t.ok(s.x > 0 && s.x < 1000 && s.y > 0 && s.y < 700, `(${lon}, ${lat}) on screen at ${s.x.toFixed(0)}, ${s.y.toFixed(0)}`);
  }
  t.ok(1000 / v.k >= 0.25 - 1e-9, 'a tight cluster still shows at least a city\'s width');
  const wide = fit([73, 18, 135, 53.6], 1000, 700);
  const w = toScreen(wide, project(73, 53.6)), e = toScreen(wide, project(135, 18));
  t.ok(w.x >= 0 && e.x <= 1000 && w.y >= 0 && e.y <= 700, 'China fits');
  const at = { x: 300, y: 200 };
  const z = zoomAt(v, 2, at);
  const before = fromScreen(v, at), after = fromScreen(z, at);
  t.ok(Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9, 'the point under the cursor stays');
  t.equal(z.k, v.k * 2);
});

t.test('sites: status of the freshest device, highest open alarm (lowest level number), unlocated named', async (t) => {
  const sites = [
    { code: 'A', name: 'A 站', location: { lat: 24.4, lon: 118.1 } },
    { code: 'B', location: { lat: 24.5, lon: 118.2 } },
    { code: 'C', location: { lat: 24.6, lon: 118.3 } },
    { code: 'D' },
  ];
  const rows = [row('A1', 'A', 'offline'), row('A2', 'A', 'online'), row('B1', 'B', 'offline'), row('B2', 'B', 'late')];
  const alarms = [
    { site: 'A', level: 3, level_name: '三级', level_colour: 'yellow' },
    { site: 'A', level: 1, level_name: '一级', level_colour: 'red' },
    { site: 'A', level: 2, level_name: '二级', level_colour: 'orange' },
    { site: 'B', level: 4, level_name: '四级', level_colour: 'blue' },
  ];
  const { marks, unlocated } = siteMarks(sites, rows, alarms);
  t.same(unlocated, ['D']);
  t.same(marks.map((m) => [m.code, m.status, m.alarm?.level ?? null, m.alarm?.count ?? 0]), [['A', 'online', 1, 3], ['B', 'late', 4, 1], ['C', 'never', null, 0]]);
  t.equal(marks[0]!.alarm!.colour, 'red');
  t.same(marks[0]!.counts, { online: 1, late: 0, offline: 1, never: 0, pending: 0 });
  t.same(levelsPresent(marks).map((l) => [l.level, l.sites]), [[1, 1], [4, 1]], 'legend: levels present, most severe first');
  t.same(marksBox(marks), [118.1, 24.4, 118.3, 24.6]);
  t.equal(marksBox([]), null);
});

t.test('the shipped boundaries: provinces and per-province cities, valid and small', async (t) => {
  const dir = fileURLToPath(new URL('../console/geo/', import.meta.url));
  const provinces = JSON.parse(readFileSync(`${dir}china-provinces.geojson`, 'utf8')) as FeatureCollection;
  t.equal(provinces.features.length, 34, '34 provincial-level divisions');
  const fujian = provinces.features.find((f) => f.properties.adcode === '350000')!;
  t.equal(fujian.properties.name, '福建');
  const [w, s, e, n] = bboxOf(fujian.geometry);
  t.ok(w < 118.09 && e > 118.09 && s < 24.48 && n > 24.48, 'Xiamen (a sample site) lies in Fujian\'s box');
  t.match(pathOf(fujian.geometry), /^M[\d.-]+ [\d.-]+L/);
  const cityFiles = readdirSync(dir).filter((f) => /^china-cities-\d{6}\.geojson$/.test(f));
  t.ok(cityFiles.length >= 30, `${cityFiles.length} city files`);
  const xiamen = (JSON.parse(readFileSync(`${dir}china-cities-350000.geojson`, 'utf8')) as FeatureCollection).features.find((f) => f.properties.name === '厦门市');
  t.ok(xiamen, '厦门市 among Fujian\'s cities');
  for (const f of cityFiles) {
    const size = readFileSync(`${dir}${f}`).length;
    if (size > 200_000) t.fail(`${f}: ${size} bytes (a city file is loaded on demand: keep it under 200 KB)`);
  }
});

t.test('registry lists and reports', async (t) => {
  t.equal(cellText({ lat: 24.4798, lon: 118.0894, crs: 'WGS84' }), '24.4798, 118.0894');
  t.equal(cellText({ lat: 24.4798, lon: 118.0894, crs: 'GCJ-02' }), '24.4798, 118.0894 (GCJ-02)');
  t.equal(cellText([{ protocol: 'hj212', key: '888' }]), 'hj212:888');
  const rows = [{ code: 'B-2', name: '二' }, { code: 'A-1', name: '一', enterprise: '甲公司' }, { code: 'C-3', name: '三', enterprise: '甲公司' }];
  t.same(filterEntities(rows, 'sites', '', 2), { rows: [rows[1], rows[0]], total: 3 }, 'code order, at most the limit, the total counted');
  t.same(filterEntities(rows, 'sites', '甲公司 c-', 10).rows.map((r) => r.code), ['C-3'], 'every word must match');
  const c = (id: string, status: ClauseResult['status']): ClauseResult => ({ id, title: id, title_zh: id, level: 'MUST', status, message: '' });
  const results = [c('1', 'pass'), c('2', 'fail'), c('3', 'not_applicable'), c('4', 'warning'), c('5', 'fail')];
  t.same(clausesInOrder(results, 'all').map((r) => r.id), ['2', '5', '4', '1', '3'], 'failed first, catalogue order within');
  t.same(clausesInOrder(results, 'pass').map((r) => r.id), ['1']);
});
