// The console's One-map (一张图) and Registry and certification (登记与认证) pages (docs/console.md) in a real browser:
// Debian's Chromium driven by playwright-core against one in-process hub on PostgreSQL with the sample registry
// (five sites in Xiamen, four located). The map draws the shipped boundaries (provinces, then the city files of the
// province in view) with no request leaving 127.0.0.1, colours each site by status and ringed by its highest open
// alarm, and a click on a site opens its devices. The registry's point form (from the schema) creates a point the API
// then returns; a read-only key sees no write control; a report written by the real conformance kit
// (`lifeline conformance feed … --out` into the hub's conformance.reports_dir) is listed and its clauses shown.
// One hub, one browser. Screenshots: test-artifacts/console/ (docs/console/map.png and registry.png are copies).
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHub } from '../hub/hub.ts';
import { testConfig, KEYS, auth } from './helpers/hub.ts';
import { freshDatabase, needService, postgresUp } from './helpers/services.ts';
import { pagePrerequisites, root, artifacts, CHROMIUM, logIn as logInAt } from './helpers/console-page.ts';

// Callbacks of evaluate() run in the page (this file is type-checked without the DOM library).
declare const getComputedStyle: (el: unknown) => { fill: string; stroke: string };

if (!(await pagePrerequisites(t))) process.exit();
if (!needService(t, 'PostgreSQL', await postgresUp())) process.exit();

const began = Date.now();
const setupAlive = setInterval(() => undefined, 1000); // see console-pages.test.ts: keeps tap from ending the root early
const dir = mkdtempSync(join(tmpdir(), 'lifeline-console-map-'));
const reportsDir = join(dir, 'conformance-reports'); // the default: data_dir/conformance-reports
// The real kit, as a vendor runs it: a vendor feed with one good sample and one in a unit that does not convert
// (a MUST clause fails), signed with a lab key, written where the hub keeps reports.
const samples = join(dir, 'samples');
mkdirSync(samples);
writeFileSync(join(samples, '1-good.json'), JSON.stringify({ deviceId: 'GD-001', ts: Date.now() - 60_000, msgId: 'm-1', methane: 1.2, unit: '%LEL', status: 'normal' }));
writeFileSync(join(samples, '2-unit.json'), JSON.stringify({ deviceId: 'GD-001', ts: Date.now() - 30_000, msgId: 'm-2', methane: 1.2, unit: 'bar', status: 'normal' }));
writeFileSync(join(dir, 'lab.key'), 'a lab key for the test\n');
const kit = promisify(execFile)(process.execPath, [join(root, 'bin/lifeline.js'), 'conformance', 'feed', '--profile', 'flat-reading', '--samples', samples,
  '--config', join(root, 'adapters/json_http/examples/hub.yaml'), '--vendor', '示例燃气云', '--product', 'GasCloud', '--version', '3.4',
  '--key-file', join(dir, 'lab.key'), '--key-id', 'lab-1', '--out', join(reportsDir, 'gascloud-3.4')], { cwd: dir })
  .then(() => 0, (e: { code?: number }) => e.code ?? -1);
const db = await freshDatabase();
const loaded = testConfig(dir, (c) => { c.store.url = db.url; });
const [hub, browser, kitExit] = await Promise.all([
  startHub(loaded, { listen: true, logger: pino({ level: 'silent' }), env: {} }),
  chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }) as Promise<Browser>,
  kit,
]);
const base = hub.url!;
const upMs = Date.now() - began;
t.teardown(async () => { await browser.close(); await hub.stop(); await db.drop(); rmSync(dir, { recursive: true, force: true }); });

// WS-001 reports now (online); GS-001's gas at 60 %LEL now (online, an open alarm); DR-001 last reported two days ago
// (offline); BR-001 never (no data); HT-001 has no location (not on the map).
const now = Date.now();
const res = await fetch(`${base}/v1/observations`, {
  method: 'POST', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' },
  body: JSON.stringify({ records: [
    { point: 'WS-001-P1', time: new Date(now - 5000).toISOString(), value: 0.31 },
    // Two readings above 50 %LEL: the catalogue's rule raises level 1 after two (gas.yaml).
    { point: 'GS-001-C1', time: new Date(now - 8000).toISOString(), value: 60, unit: '%{LEL}' },
    { point: 'GS-001-C1', time: new Date(now - 4000).toISOString(), value: 62, unit: '%{LEL}' },
    { point: 'DR-001-L1', time: new Date(now - 2 * 86_400_000).toISOString(), value: 12, unit: 'cm' },
  ] }),
});
const seeded = await res.json() as { accepted: number };
await hub.alarms?.catchUp();
const alarms = (await (await fetch(`${base}/v1/alarms?site=GS-001`, { headers: auth(KEYS.read) })).json()) as { data: Array<{ level: number; level_colour: string; state: string }> };

const page: Page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' })).newPage();
const requests: string[] = [];
page.on('request', (r) => requests.push(r.url()));
clearInterval(setupAlive);
const logIn = (key: string) => logInAt(page, base, key);
const text = async (sel: string) => ((await page.locator(sel).first().textContent()) ?? '').trim();
/** The computed colour of an SVG attribute value, as the browser resolves it (`red` → rgb(255, 0, 0)). */
const rgb = (colour: string) => page.evaluate(`(() => { const s = document.createElement('span'); s.style.color = ${JSON.stringify(colour)}; document.body.append(s); const c = getComputedStyle(s).color; s.remove(); return c; })()`) as Promise<string>;

t.test('one-map: boundaries shipped by the hub, sites coloured by status and alarm level, a click opens the site\'s devices', async (t) => {
  t.equal(seeded.accepted, 4, `hub, browser and kit ${upMs} ms; readings stored and alarms evaluated ${Date.now() - began} ms`);
  t.ok(alarms.data.length >= 1, `GS-001 has an open alarm, level ${alarms.data[0]?.level} (${alarms.data[0]?.level_colour})`);
  await logIn(KEYS.read);
  await page.click('a[data-nav=map]');
  await page.locator('[data-layer=provinces][data-count="34"]').waitFor();
  t.pass('the 34 provinces drawn from china-provinces.geojson');
  // Fitted to the sites (Xiamen): zoomed in, so Fujian's cities are loaded and named.
  await page.locator('[data-layer=cities]').waitFor();
  await page.locator('.city-label', { hasText: '厦门市' }).waitFor();
  t.pass('zoomed to the sites\' extent: the city boundaries of Fujian, 厦门市 named');

  await page.locator('g[data-site=WS-001]').waitFor();
  t.equal(await page.locator('g[data-site]').count(), 4, 'the four located sites are drawn');
  t.match(await text('[data-testid=unlocated]'), /HT-001/, 'the site without a location is named');
  t.equal(await page.locator('g[data-site=WS-001]').getAttribute('data-status'), 'online');
  t.equal(await page.locator('g[data-site=DR-001]').getAttribute('data-status'), 'offline', 'two days silent: offline');
  t.equal(await page.locator('g[data-site=BR-001]').getAttribute('data-status'), 'never');
  t.equal(await page.locator('g[data-site=DR-001] .status-dot').evaluate((el) => getComputedStyle(el).fill), 'rgb(217, 48, 37)', 'offline is red (the Devices page\'s colour)');
  t.equal(await page.locator('g[data-site=WS-001] .status-dot').evaluate((el) => getComputedStyle(el).fill), 'rgb(30, 142, 62)', 'online is green');
  const top = Math.min(...alarms.data.map((a) => a.level));
  const topColour = alarms.data.find((a) => a.level === top)!.level_colour;
  t.equal(await page.locator('g[data-site=GS-001]').getAttribute('data-alarm-level'), String(top), 'GS-001 ringed at its highest open level');
  t.equal(await page.locator('g[data-site=GS-001] .alarm-ring').evaluate((el) => getComputedStyle(el).stroke), await rgb(topColour), `in the level's colour from alarms.levels (${topColour})`);
  t.equal(await page.locator('g[data-site=WS-001] .alarm-ring').count(), 0, 'no ring without an open alarm');
  t.match(await text('[data-testid=map-legend]'), new RegExp(`在线[\\s\\S]*离线[\\s\\S]*无数据[\\s\\S]*一级`), 'the legend names the statuses and the level present');

  // Zoom and pan stay on the page's own data.
  await page.getByTestId('map-svg').hover({ position: { x: 500, y: 400 } });
  await page.mouse.wheel(0, 400);
  await page.mouse.move(500, 400); await page.mouse.down(); await page.mouse.move(560, 430, { steps: 4 }); await page.mouse.up();
  await page.getByTestId('fit-sites').click();

  await page.locator('g[data-site=GS-001] .status-dot').click();
  await page.getByTestId('site-panel').waitFor();
  t.match(await text('[data-testid=site-panel]'), /GS-001-GD/, 'the panel lists the site\'s devices');
  t.match(await text('[data-testid=panel-alarm]'), /未处理报警/);
  await page.screenshot({ path: join(artifacts, 'map.png') });
  await page.getByTestId('site-devices-link').click();
  await page.locator('[data-device=GS-001-GD]').waitFor();
  t.match(page.url(), /#devices\?q=GS-001$/);
  t.equal(await page.getByTestId('device-list').getAttribute('data-count'), '1', 'the Devices page, filtered to the site');
  t.equal(await page.getByTestId('device-search').inputValue(), 'GS-001');

  const outside = requests.filter((u) => !u.startsWith(`${base}/`));
  t.same(outside, [], `no request left the hub (${requests.length} requests)`);
  t.ok(requests.some((u) => u.endsWith('/console/china-provinces.geojson')) && requests.some((u) => u.endsWith('/console/china-cities-350000.geojson')), 'the boundaries came from the hub, fetched when needed');
  const cityFiles = requests.filter((u) => /china-cities-/.test(u)).map((u) => u.replace(/.*\//, ''));
  t.ok(cityFiles.length <= 3, `only the city files of the provinces in view (${cityFiles.join(', ')}), not all 34`);
});

t.test('registry: a point created through the form generated from the schema, seen through the API', async (t) => {
  await logIn(KEYS.admin);
  await page.click('a[data-nav=registry]');
  await page.locator('[data-testid=registry-table][data-kind=sites] tr[data-code=WS-001]').waitFor();
  t.match(await text('tr[data-code=WS-001]'), /24\.4798, 118\.0894/, 'a site\'s location');
  await page.click('[data-tab=points]');
  await page.locator('[data-testid=registry-table][data-kind=points] tr[data-code=WS-001-P1]').waitFor();
  await page.getByTestId('new-entity').click();
  const form = page.getByTestId('point-form');
  t.ok(await form.locator('[data-field="/expected_interval_s"]').count(), 'every property of point.schema.json has a field');
  await form.locator('[data-field="/code"] input').fill('WS-001-P9');
  await form.locator('[data-field="/device"] select').selectOption('WS-001-PT');
  await form.locator('[data-field="/indicator"] select').selectOption('water.pipe_pressure');
  await form.locator('[data-field="/field"] input').fill('e01299');
  await form.locator('[data-field="/source_unit"] input').fill('kPa');
  await page.screenshot({ path: join(artifacts, 'registry.png') });
  await page.getByTestId('save-entity').click();
  await page.getByTestId('saved').waitFor();
  t.match(await text('[data-testid=saved]'), /已新建测点 WS-001-P9/);
  const got = await fetch(`${base}/v1/points/WS-001-P9`, { headers: auth(KEYS.read) });
  t.equal(got.status, 200, 'GET /v1/points/WS-001-P9');
  t.match(await got.json(), { code: 'WS-001-P9', device: 'WS-001-PT', indicator: 'water.pipe_pressure', field: 'e01299', source_unit: 'kPa' });
  await page.locator('tr[data-code=WS-001-P9]').waitFor();
  t.pass('listed after saving');

  // Edit: the code is fixed, a refusal from the hub is shown under its field.
  await page.locator('tr[data-code=WS-001-P9] [data-testid=edit-entity]').click();
  t.equal(await form.locator('[data-field="/code"] input').getAttribute('readonly'), '', 'an existing code cannot be changed');
  await form.locator('[data-field="/source_unit"] input').fill('no-such-unit');
  await page.getByTestId('save-entity').click();
  await page.getByTestId('save-error').waitFor();
  t.match(await text('[data-testid=save-error]'), /no-such-unit|unit/i, `the hub's refusal: ${await text('[data-testid=save-error]')}`);
});

t.test('conformance reports: the kit\'s report listed, its clauses viewable', async (t) => {
  t.equal(kitExit, 1, 'the kit exits 1: a MUST clause failed');
  const api = await (await fetch(`${base}/v1/conformance/reports`, { headers: auth(KEYS.read) })).json() as { data: Array<{ id: string; verdict: string; summary: { fail: number }; integrity: { intact: boolean; signed: boolean; key_id?: string } }> };
  t.match(api.data, [{ id: 'gascloud-3.4', verdict: 'fail', integrity: { intact: true, signed: true, key_id: 'lab-1' } }], 'GET /v1/conformance/reports');
  const one = await (await fetch(`${base}/v1/conformance/reports/gascloud-3.4`, { headers: auth(KEYS.read) })).json() as { results: Array<{ id: string; status: string; message: string }> };
  t.equal((await fetch(`${base}/v1/conformance/reports/..%2Fetc`, { headers: auth(KEYS.read) })).status, 404, 'only report folders');

  await page.click('[data-tab=reports]');
  await page.locator('tr[data-report="gascloud-3.4"]').waitFor();
  t.match(await text('tr[data-report="gascloud-3.4"]'), /示例燃气云 GasCloud 3\.4[\s\S]*未通过/);
  t.equal(await text('tr[data-report="gascloud-3.4"] [data-count=fail]'), String(api.data[0]!.summary.fail));
  t.equal(await page.locator('tr[data-report="gascloud-3.4"] [data-testid=integrity]').getAttribute('data-signed'), 'true', 'signed by the lab key');
  await page.getByTestId('open-report').click();
  await page.getByTestId('clauses').waitFor();
  t.equal(await page.locator('[data-testid=clauses] tr[data-clause]').count(), one.results.length, 'every clause');
  const failed = one.results.find((c) => c.status === 'fail')!;
  t.equal(await page.locator(`tr[data-clause="${failed.id}"]`).getAttribute('data-status'), 'fail');
  t.match(await text(`tr[data-clause="${failed.id}"] .msg`), failed.message.slice(0, 40), `${failed.id}'s message`);
  t.equal(await page.locator('[data-testid=clauses] tr[data-clause]').first().getAttribute('data-status'), 'fail', 'failed clauses first');
  await page.click('[data-testid=clause-filter] [data-status=not_applicable]');
  t.ok(await page.locator('[data-testid=clauses] tr[data-status=not_applicable]').count() >= 1 && await page.locator('[data-testid=clauses] tr[data-status=pass]').count() === 0, 'filtered to not applicable');
  await page.click('[data-testid=clause-filter] [data-status=all]');
  await page.screenshot({ path: join(artifacts, 'registry-report.png'), fullPage: true });
});

t.test('a read-only key sees the registry and reports but no write control', async (t) => {
  await logIn(KEYS.read);
  await page.goto(`${base}/console/#registry?tab=points`);
  await page.locator('tr[data-code=WS-001-P9]').waitFor();
  await page.getByTestId('readonly-note').waitFor();
  t.equal(await page.locator('[data-write], [data-testid=new-entity], [data-testid=edit-entity], [data-testid=entity-form]').count(), 0, 'no create or edit control');
  await page.click('[data-tab=sites]');
  await page.locator('tr[data-code=WS-001]').waitFor();
  t.equal(await page.locator('[data-write]').count(), 0);
  await page.getByTestId('lang').click();
  await page.getByRole('heading', { name: 'Registry & certification' }).waitFor();
  t.match(await text('[data-testid=readonly-note]'), /admin scope/);
  await page.click('a[data-nav=map]');
  await page.locator('g[data-site=GS-001]').waitFor();
  t.match(await text('[data-testid=map-legend]'), /online[\s\S]*offline/);
  await page.getByTestId('lang').click();
  t.equal(await page.locator('[data-write]').count(), 0, 'nor on the map');
  t.comment(`whole file ${Date.now() - began} ms`);
});
