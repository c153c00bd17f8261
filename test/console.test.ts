// The operator console (docs/console.md) in a real browser: Debian's Chromium driven by playwright-core, against an
// in-process hub on 127.0.0.1 fed by readings over POST /v1/observations and by simulated HJ 212 stations over TCP
// (the `lifeline sim hj212` code). Log in (a wrong key refused with a clear
// message), see the Overview's numbers change live, switch to English; no request leaves the hub; the initial load
// stays under 300 KB of JS+CSS gzipped; the built files name no external URL. Screenshots: test-artifacts/console/.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer } from 'node:net';
import { startHub } from '../hub/hub.ts';
import { runSim } from '../adapters/hj212/sim/run.ts';
import { simRegistry, simStations } from '../adapters/hj212/sim/stations.ts';
import { testConfig, KEYS } from './helpers/hub.ts';
import { freshDatabase, needService, postgresUp } from './helpers/services.ts';
import { pagePrerequisites, root, artifacts, CHROMIUM } from './helpers/console-page.ts';

// The callbacks of waitForFunction run in the page (this file is type-checked without the DOM library).
declare const document: { querySelector(s: string): { textContent: string | null } | null };

if (!(await pagePrerequisites(t))) process.exit();

// PostgreSQL (a fresh database): its migrations take a fraction of PGlite's, which keeps this file near 15 s.
if (!needService(t, 'PostgreSQL', await postgresUp())) process.exit();
const dir = mkdtempSync(join(tmpdir(), 'lifeline-console-'));
const began = Date.now();
const db = await freshDatabase();
const hjPort = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});
const loaded = testConfig(dir, (c) => {
  c.store.url = db.url;
  // Two simulated HJ 212 stations (`lifeline sim hj212 --devices 2`) and the adapter they send to.
  const sim = simRegistry(simStations(2));
  c.registry.sites.push(...(sim.sites as typeof c.registry.sites));
  c.registry.devices.push(...(sim.devices as typeof c.registry.devices));
  c.registry.points.push(...(sim.points as typeof c.registry.points));
  (c.adapters as Record<string, unknown>).hj212 = { host: '127.0.0.1', port: hjPort };
  // A target that never answers (port 9, discard): its backlog and lag grow, as when the platform is down.
  (c as unknown as { publish: unknown }).publish = { targets: { province: { type: 'http_push', batch: { max_size: 50, max_wait_ms: 200 }, config: { url: 'http://127.0.0.1:9/never' } } } };
});
const [hub, browser] = await Promise.all([
  startHub(loaded, { listen: true, logger: pino({ level: 'silent' }), env: {} }),
  chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }) as Promise<Browser>,
]);
const base = hub.url!;
t.comment(`hub and browser up in ${Date.now() - began} ms`);
t.teardown(async () => { await browser.close(); await hub.stop(); await db.drop(); rmSync(dir, { recursive: true, force: true }); });

// Readings: one a second per point, now; every fifth to an unknown point (quarantined); gas at 60 %LEL (an alarm).
let seq = 0;
async function feed(n: number) {
  const now = Date.now();
  const records = Array.from({ length: n }, (_v, i) => {
    const k = seq++;
    const time = new Date(now - 60_000 + (k % 60_000)).toISOString();
    if (k % 5 === 4) return { point: 'XX-404-P9', time, value: 1 };
    return k % 2 ? { point: 'WS-001-P1', time: new Date(now - k).toISOString(), value: 0.3 } : { point: 'GS-001-C1', time: new Date(now - k).toISOString(), value: 60 };
  });
  const res = await fetch(`${base}/v1/observations`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.ingest}`, 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
  if (!res.ok) throw new Error(`ingest ${res.status}: ${await res.text()}`);
}

async function cell(page: Page, sel: string) { return (await page.locator(sel).textContent())?.trim() ?? ''; }
const num = (s: string) => Number(s.replace(/[,%]/g, ''));

t.test('served with default-src \'self\', and the bundle names no external URL', async (t) => {
  const res = await fetch(`${base}/console/`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-security-policy'), /^default-src 'self'/);
  t.equal((await fetch(`${base}/console`, { redirect: 'manual' })).headers.get('location'), '/console/', '/console → /console/');
  t.equal((await fetch(`${base}/console/..%2Fpackage.json`)).status, 404, 'only built files');
  t.equal((await fetch(`${base}/console/nope.js`)).status, 404);
  // Namespace identifiers Preact passes to createElementNS: names, never fetched.
  const namespaces = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xhtml', 'http://www.w3.org/1998/Math/MathML', 'http://www.w3.org/1999/xlink']);
  const files = readdirSync(join(root, 'dist/console'));
  t.ok(files.includes('app.js') && files.includes('app.css') && files.includes('index.html'));
  const external: string[] = [];
  for (const f of files) {
    for (const m of readFileSync(join(root, 'dist/console', f), 'utf8').matchAll(/https?:\/\/[^\s"'`)<>\\]*/g)) {
      if (!namespaces.has(m[0]) && !/^https?:\/\/(127\.0\.0\.1|localhost)([:/]|$)/.test(m[0])) external.push(`${f}: ${m[0]}`);
    }
  }
  t.same(external, [], 'no external URL in dist/console/');
});

t.test('in the browser: log in, live Overview, language switch, nothing leaves the hub', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  const requests: string[] = [];
  const loadedBytes: Record<string, number> = {};
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', async (r) => {
    const type = r.headers()['content-type'] ?? '';
    if (/javascript|css/.test(type)) loadedBytes[r.url()] = gzipSync(await r.body()).length;
  });
  const cspErrors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') cspErrors.push(m.text()); });

  await page.goto(`${base}/console`);
  await page.getByRole('button', { name: '登录' }).waitFor();
  t.match(await page.locator('header .brand').textContent(), /运行控制台/, 'Chinese by default');
  const js = Object.values(loadedBytes).reduce((a, b) => a + b, 0);
  t.ok(js > 1000 && js <= 300 * 1024, `initial load ${(js / 1024).toFixed(1)} KB of JS+CSS gzipped (≤ 300 KB)`);

  await page.fill('#key', 'not-a-key');
  await page.click('button[type=submit]');
  t.match(await page.getByTestId('login-error').textContent(), /密钥无效.*api\.keys/, 'a wrong key is refused, saying why');
  await page.screenshot({ path: join(artifacts, 'login-wrong-key.png') });
  await page.fill('#key', KEYS.ingest);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => /read/.test(document.querySelector('[data-testid=login-error]')?.textContent ?? ''));
  t.match(await page.getByTestId('login-error').textContent(), /没有“读取”权限（read）/, 'an ingest-only key is refused: it may not read');

  await feed(40);
  await page.fill('#key', KEYS.read);
  await page.click('button[type=submit]');
  await page.locator('tr[data-adapter=http]').waitFor();
  t.match(await page.getByTestId('who').textContent(), /reader.*只读/, 'the key\'s name, and read-only');
  t.equal(await page.getByTestId('who').getAttribute('data-scopes'), 'read');
  t.equal(await page.locator('button:not(.link):not([type=submit]), [data-write]').count(), 0, 'a read-only key sees no action buttons');

  // Live: keep feeding; the totals and rates move without a reload.
  const row = 'tr[data-adapter=http]';
  const before = num(await cell(page, `${row} td[data-col=total]`));
  let feeding = true;
  const feeder = (async () => { while (feeding) { await feed(20); await new Promise((r) => setTimeout(r, 250)); } })();
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.textContent?.replace(/,/g, '')) > (n as number) + 50, [`${row} td[data-col=total]`, before] as const, { timeout: 10_000 });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.textContent) > 0, `${row} td[data-col=in]`, { timeout: 10_000 });
  await page.waitForFunction(() => Number(document.querySelector('tr[data-target=province] td[data-col=backlog]')?.textContent?.replace(/,/g, '')) > 0, undefined, { timeout: 10_000 });
  await page.waitForFunction(() => !!document.querySelector('[data-testid=alarm-levels] [data-level]'), undefined, { timeout: 10_000 });
  feeding = false;
  await feeder;
  const after = num(await cell(page, `${row} td[data-col=total]`));
  t.ok(after > before, `total in went ${before} → ${after} without a reload`);
  t.ok(num(await cell(page, `${row} td[data-col=in]`)) > 0, 'readings/s in');
  const q = num(await cell(page, `${row} td[data-col=quarantine]`));
  t.ok(q > 10 && q < 30, `quarantine rate ${q}% (one in five is an unknown point)`);
  t.ok(num(await cell(page, 'tr[data-target=province] td[data-col=backlog]')) > 0, 'backlog of the target that never answers');
  t.match(await cell(page, 'tr[data-target=province] td[data-col=lag]'), /秒|分/, 'its lag');
  t.ok(num(await cell(page, '[data-testid=alarm-levels] [data-level] .count')) >= 1, 'open alarms by level');
  await page.screenshot({ path: join(artifacts, 'overview-zh.png') });

  await page.getByTestId('lang').click();
  await page.getByRole('heading', { name: 'Adapters (ingest)' }).waitFor();
  t.match(await page.getByTestId('who').textContent(), /read-only/, 'English');
  await page.screenshot({ path: join(artifacts, 'overview-en.png') });
  await page.reload();
  await page.getByRole('heading', { name: 'Delivery upstream' }).waitFor();
  t.pass('after a reload: still logged in (sessionStorage) and still English');
  await page.getByTestId('lang').click();
  await page.getByRole('heading', { name: '上行投递' }).waitFor();

  // An admin key is told it can act (the mechanism the write buttons of later pages use).
  await page.getByRole('button', { name: '退出' }).click();
  await page.fill('#key', KEYS.admin);
  await page.click('button[type=submit]');
  await page.getByTestId('who').waitFor();
  t.match(await page.getByTestId('who').textContent(), /admin.*可操作/);
  t.equal(await page.getByTestId('who').getAttribute('data-scopes'), 'admin');

  const outside = requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('data:'));
  t.same(outside, [], `all ${requests.length} requests went to ${base}`);
  t.same(cspErrors.filter((e) => /Content Security Policy/i.test(e)), [], 'no CSP violation');
  await page.close();
});

t.test('fed by `lifeline sim hj212`: the adapter\'s row counts up and a device\'s latest value changes live', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  await page.goto(`${base}/console#devices`);
  await page.fill('#key', KEYS.read);
  await page.click('button[type=submit]');
  // The Overview's "in" column is a rate between two snapshots: the sim runs until that has been seen (a busy
  // machine can take longer than any fixed duration to get there), bounded at 60 s.
  const simStop = new AbortController();
  const simStart = Date.now();
  const sim = runSim({ devices: 2, intervalS: 0.5, durationS: 60, host: '127.0.0.1', port: hjPort, flagEvery: 0, segmentEvery: 0, signal: simStop.signal });
  try {
    await page.getByTestId('device-search').fill('SIM-00001');
    // Heating pressure moves 0.1 kPa about every 1.2 s in the simulator's curve: a new value shows without a reload.
    const chip = '[data-point="SIM-00001-e04101"] [data-col=value]';
    await page.locator(chip).waitFor({ timeout: 15_000 });
    const first = await cell(page, chip);
    await page.waitForFunction(([sel, v]) => { const now = document.querySelector(sel as string)?.textContent?.trim(); return !!now && now !== v; }, [chip, first] as const, { timeout: 15_000 });
    t.not(await cell(page, chip), first, `SIM-00001's heating pressure changed from ${first} without a reload`);
    t.equal(await page.locator('[data-device=SIM-00001]').getAttribute('data-status'), 'online');
    await page.screenshot({ path: join(artifacts, 'devices-sim.png') });
    await page.goto(`${base}/console#overview`);
    await page.waitForFunction(() => Number(document.querySelector('tr[data-adapter=hj212] td[data-col=in]')?.textContent) > 0, undefined, { timeout: 15_000 });
    t.ok(num(await cell(page, 'tr[data-adapter=hj212] td[data-col=total]')) > 0, 'the hj212 adapter\'s readings on the Overview');
  } finally {
    simStop.abort();
  }
  const st = await sim;
  t.ok(st.sent > 0 && st.acked === st.sent, `every simulated upload acknowledged (${st.acked}/${st.sent})`);
  // Two stations every 0.5 s: at most one frame per station per interval (it once sent a burst each second).
  const intervals = (Date.now() - simStart) / 500;
  t.ok(st.sent <= 2 * (intervals + 1), `the sim kept its interval: ${st.sent} frames in ${intervals.toFixed(1)} intervals of 2 stations`);
  await page.close();
});
