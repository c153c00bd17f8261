// The console's Alarms and Delivery pages (docs/console.md) in a real browser: Debian's Chromium driven by
// playwright-core against one in-process hub on PostgreSQL. An alarm raised by real ingest (gas at 60 %LEL over
// POST /v1/observations) appears on the board live (the alarm stream), with the seed's columns; it is opened and
// taken through the handling loop with the page's buttons (acknowledged, assessed, dispatched, resolved; the steps the
// hub refuses explained in plain words), each step checked through the API. Delivery: a target that is down shows its
// backlog and retrying, pause and resume through the buttons change the API's state, and a dead letter (a target that
// answered 400) is replayed once the target accepts. A read-only key sees no action buttons on either page.
// One hub, one browser. Screenshots: test-artifacts/console/ (docs/console/alarms.png, alarm.png, delivery.png).
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHub } from '../hub/hub.ts';
import { testConfig, KEYS, auth } from './helpers/hub.ts';
import { freshDatabase, needService, postgresUp } from './helpers/services.ts';
import { pagePrerequisites, artifacts, CHROMIUM, logIn as logInAt } from './helpers/console-page.ts';
import { alarmsQuery, nextAction, parseSse, refusalWords, UNFINISHED } from '../console/src/alarms-model.ts';
import { deadLetterSummary } from '../console/src/delivery-model.ts';

// Callbacks of waitForFunction run in the page (this file is type-checked without the DOM library).
declare const document: { querySelector(s: string): { textContent: string | null; getAttribute(a: string): string | null } | null };

t.test('the pages\' arithmetic: SSE parsing, the list query, the next step, refusals in words', async (t) => {
  const p = parseSse(': hello\n\nid: 7\nevent: alarm\ndata: {"a":1}\n\nid: 8\nevent: ala');
  t.same(p.events, [{ id: '7', event: 'alarm', data: '{"a":1}' }], 'comments skipped, one complete event');
  t.equal(p.rest, 'id: 8\nevent: ala', 'the incomplete event waits for the rest');
  t.same(parseSse('data: a\r\ndata: b\r\n\r\n').events, [{ id: undefined, event: 'message', data: 'a\nb' }], 'CRLF, multi-line data');
  t.equal(alarmsQuery({ state: 'unfinished', level: '1', enterprise: '', site: 'GS-001' }, 50), `state=${encodeURIComponent(UNFINISHED.join(','))}&level=1&site=GS-001&limit=50`);
  t.equal(alarmsQuery({ state: 'all', level: '', enterprise: '示范', site: '' }, 5), `enterprise=${encodeURIComponent('示范')}&limit=5`);
  t.same(UNFINISHED, ['open', 'acknowledged', 'assessed', 'dispatched'], 'states from the alarm schema');
  t.same(['open', 'acknowledged', 'assessed', 'dispatched', 'resolved', 'archived'].map(nextAction), ['ack', 'assess', 'dispatch', 'resolve', 'archive', undefined]);
  const refused = { status: 409, code: 'ALARM_TRANSITION_INVALID', message: 'alarm 4 is acknowledged: ack needs it open', details: { state: 'acknowledged', action: 'ack', needs: 'open' } };
  t.match(refusalWords(refused, 'ack', 'zh'), /无法接警：此报警当前为“已接警”，接警需要它处于“待接警”/);
  t.match(refusalWords(refused, 'ack', 'en'), /the alarm is now acknowledged, and this step needs it open/);
  t.match(refusalWords({ ...refused, details: { state: 'resolved', action: 'archive', active: true } }, 'archive', 'zh'), /尚未解除/);
  t.same(deadLetterSummary({ response: { status: 400, body: 'x'.repeat(200) } } as never, 10), { status: 400, body: `${'x'.repeat(10)}…` });
});

if (!(await pagePrerequisites(t))) process.exit();
if (!needService(t, 'PostgreSQL', await postgresUp())) process.exit();

const began = Date.now();
// The upstream platform: answers 400 (a permanent refusal: dead-lettered at once) until it is told to accept.
let accepting = false;
const received: string[] = [];
const platform: Server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (accepting) received.push(String(req.headers['idempotency-key']));
    res.writeHead(accepting ? 200 : 400, { 'content-type': 'application/json' }).end(accepting ? '{"ok":true}' : '{"error":"station code not registered on the platform"}');
  });
});
await new Promise<void>((ok) => platform.listen(0, '127.0.0.1', ok));
const platformUrl = `http://127.0.0.1:${(platform.address() as { port: number }).port}/ingest`;

// A port nothing listens on (taken, then let go).
const closedPort = await new Promise<number>((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => ok(p)); }); });
const dir = mkdtempSync(join(tmpdir(), 'lifeline-console-ops-'));
const db = await freshDatabase();
const loaded = testConfig(dir, (c) => {
  c.store.url = db.url;
  (c as unknown as { publish: unknown }).publish = {
    targets: {
      // Nothing listens there: the platform is down, batches are retried, the backlog grows.
      province: { type: 'http_push', batch: { max_size: 50, max_wait_ms: 100 }, config: { url: `http://127.0.0.1:${closedPort}/never` } },
      city: { type: 'http_push', batch: { max_size: 50, max_wait_ms: 100 }, config: { url: platformUrl } },
    },
  };
});
const setupStart = Date.now();
const [hub, browser] = await Promise.all([
  startHub(loaded, { listen: true, logger: pino({ level: 'silent' }), env: {} }),
  chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }) as Promise<Browser>,
]);
const base = hub.url!;
t.comment(`hub and browser up in ${Date.now() - setupStart} ms`);
t.teardown(async () => {
  await browser.close(); await hub.stop(); await db.drop(); rmSync(dir, { recursive: true, force: true });
  await new Promise((ok) => platform.close(ok));
});

async function api<T>(path: string, key: string = KEYS.admin): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: auth(key) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}
async function post(records: object[]) {
  const res = await fetch(`${base}/v1/observations`, { method: 'POST', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
  if (!res.ok) throw new Error(`ingest ${res.status}: ${await res.text()}`);
}
interface ApiAlarm { id: string; count: number; state: string; point: string; level: number; active: boolean; events?: Array<{ type: string; by: string | null; note: string | null; assignee: string | null }> }
interface ApiTarget { name: string; state: string; backlog: number; dead_letters: number }
const target = async (name: string) => (await api<{ data: ApiTarget[] }>('/v1/publish/targets')).data.find((x) => x.name === name)!;

const page: Page = await browser.newPage({ viewport: { width: 1440, height: 900 }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' });
const requests: string[] = [];
page.on('request', (r) => requests.push(r.url()));
const logIn = (key: string, hash: string) => logInAt(page, base, key, hash);
const text = async (sel: string) => ((await page.locator(sel).first().textContent()) ?? '').trim();
let gasAlarm = '';

t.test('Alarms: raised by real ingest, on the board live with the seed\'s columns; filters', async (t) => {
  const started = Date.now();
  await logIn(KEYS.admin, '#alarms');
  await page.getByTestId('alarms-empty').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=live]')?.getAttribute('data-live') === 'true');
  t.pass('the board follows the alarm stream');
  const loggedIn = Date.now();
  const now = Date.now();
  // Gas rising to 60 %LEL (GB/T 50493 through the catalogue's rule: level 2 at 25, level 1 at 50 %LEL, 2 readings
  // each: raised at 45, escalated at 62) and water pressure at 0.12 MPa three times (the 0.14 MPa low-pressure rule,
  // level 3): two alarms, raised by the evaluator from committed readings.
  await post([
    ...[12, 20, 30, 45, 60, 62].map((value, i) => ({ point: 'GS-001-C1', time: new Date(now - 180_000 + i * 30_000).toISOString(), value, unit: '%{LEL}' })),
    ...[4000, 3000, 2000].map((ago) => ({ point: 'WS-001-P1', time: new Date(now - ago).toISOString(), value: 0.12 })),
  ]);
  // No reload: the stream's events bring both rows.
  await page.waitForFunction(() => document.querySelector('[data-testid=alarm-count]')?.textContent?.startsWith('共 2 条') ?? false, undefined, { timeout: 10_000 });
  t.comment(`logged in and the board open in ${loggedIn - started} ms; from the POST to both alarms on the board, live: ${Date.now() - now} ms`);
  const alarms = (await api<{ data: ApiAlarm[] }>('/v1/alarms')).data;
  const gas = alarms.find((a) => a.point === 'GS-001-C1')!;
  gasAlarm = gas.id;
  t.same(alarms.map((a) => [a.point, a.level, a.state]).sort(), [['GS-001-C1', 1, 'open'], ['WS-001-P1', 3, 'open']], 'two open alarms in the API');
  t.same(await page.locator('[data-testid=alarm-board] thead th').allTextContents(),
    ['站名', '所属企业', '站址', '报警设备', '报警时间', '最新报警时间', '报警次数', '报警类型', '级别', '处置状态'], 'the seed\'s columns, then level and state');
  const row = `tr[data-alarm="${gasAlarm}"]`;
  const cells = await page.locator(`${row} td`).allTextContents();
  t.equal(cells[0], '中山路燃气中压管网', '站名');
  t.equal(cells[1], '示范市燃气有限公司', '所属企业');
  t.equal(cells[2], '示范市中山路 88 号', '站址');
  t.equal(cells[3], '地下空间可燃气体探测器', '报警设备');
  t.match(cells[4], /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/, '报警时间');
  t.equal(cells[6], String(gas.count), '报警次数');
  t.equal(gas.count, 3, 'the readings at an alarm level from the raise on: 45, 60, 62 %LEL');
  t.equal(cells[7], '超上限', '报警类型');
  t.equal(cells[8], '一级', 'level by its configured name');
  t.equal(await page.locator(`${row} .lvl`).evaluate((el) => (el as unknown as { style: { background: string } }).style.background), 'rgb(217, 48, 37)', 'in its colour (red)');
  t.match(cells[9], /待接警.*报警中/, 'open, and still active');
  t.equal(await text(`tr[data-alarm]:not(${row}) [data-col=type]`), '超下限', 'the low-pressure alarm');
  await page.screenshot({ path: join(artifacts, 'alarms.png') });

  await page.selectOption('[data-filter=level]', '1');
  await page.waitForFunction(() => document.querySelector('[data-testid=alarm-count]')?.textContent?.startsWith('共 1 条') ?? false);
  t.equal(await page.locator(`${row}`).count(), 1, 'level 1: the gas alarm only');
  t.match(page.url(), /level=1/, 'the filters are in the address');
  await page.selectOption('[data-filter=level]', '');
  await page.selectOption('[data-filter=enterprise]', '示范市自来水有限公司');
  await page.waitForFunction(() => document.querySelector('[data-testid=alarm-count]')?.textContent?.startsWith('共 1 条') ?? false);
  t.equal(await text('tr[data-alarm] [data-col=site]'), '湖滨路供水主干管', 'an enterprise: its sites\' alarms');
  await page.selectOption('[data-filter=enterprise]', '');
  await page.selectOption('[data-filter=site]', 'GS-001');
  await page.waitForFunction(() => document.querySelector('[data-testid=alarm-count]')?.textContent?.startsWith('共 1 条') ?? false);
  t.equal(await page.locator(row).count(), 1, 'a site: its alarms');
});

t.test('one alarm: its readings and history; acknowledged and handled with the buttons, refusals in plain words', async (t) => {
  await page.click(`tr[data-alarm="${gasAlarm}"]`);
  await page.getByTestId('alarm-chart').waitFor();
  t.match(page.url(), new RegExp(`#alarms/${gasAlarm}$`));
  // The registry's names come with the point's context, a moment after the alarm itself.
  await page.locator('[data-testid=alarm-facts] [data-col=address]:has-text("示范市中山路 88 号")').waitFor();
  t.match(await text('[data-testid=alarm-facts] [data-col=enterprise]'), /示范市燃气有限公司/);
  t.ok(await page.locator('[data-testid=alarm-readings] tbody tr').count() >= 2, 'the readings that raised it');
  t.equal(await page.locator('[data-testid=alarm-readings] tr.in-alarm').count(), 3, 'the readings from the raise on marked as in alarm');
  t.equal(await page.locator('[data-testid=alarm-chart] [data-band]').count(), 2, 'the rule\'s two levels as bands on the chart');
  t.same(await page.locator('[data-testid=alarm-events] tbody tr td.name').allTextContents(), ['报警', '升级'], 'history: raised at level 2, escalated to 1');

  await page.fill('[data-testid=note]', '值班员已接警');
  await page.click('[data-testid=do-ack]');
  await page.locator('[data-testid=alarm-page][data-state=acknowledged]').waitFor();
  t.match(await text('[data-testid=step-result]'), /已接警/);
  t.same(await page.locator('[data-testid=loop] li.done').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { state: string } }).dataset.state)), ['open', 'acknowledged'], 'the loop: raised and acknowledged done');
  let a = await api<ApiAlarm>(`/v1/alarms/${gasAlarm}`);
  t.equal(a.state, 'acknowledged', 'the API says acknowledged');
  t.match(a.events!.at(-1), { type: 'acknowledged', by: 'admin', note: '值班员已接警' }, 'by the key\'s name, with the note');
  t.equal(await text('[data-testid=alarm-events] tr[data-event=acknowledged] td.name'), '接警', 'the page\'s history shows it');

  await page.click('[data-testid=do-assess]');
  await page.locator('[data-testid=alarm-page][data-state=assessed]').waitFor();
  await page.click('[data-testid=do-dispatch]');
  await page.getByTestId('step-error').waitFor();
  t.equal(await text('[data-testid=step-error]'), '派单需要填写处置人或单位。', 'a dispatch without an assignee: the hub\'s refusal in words');
  await page.fill('[data-testid=assignee]', '燃气抢修一队');
  await page.click('[data-testid=do-dispatch]');
  await page.locator('[data-testid=alarm-page][data-state=dispatched]').waitFor();
  t.equal(await text('[data-testid=alarm-facts] [data-col=assignee] .fvalue'), '燃气抢修一队');
  await page.screenshot({ path: join(artifacts, 'alarm.png'), fullPage: true });
  await page.fill('[data-testid=note]', '已关阀，通风后浓度下降');
  await page.click('[data-testid=do-resolve]');
  await page.locator('[data-testid=alarm-page][data-state=resolved]').waitFor();
  // Still active (no reading has cleared it): archiving is refused, and the page says why.
  await page.click('[data-testid=do-archive]');
  await page.getByTestId('step-error').waitFor();
  t.match(await text('[data-testid=step-error]'), /无法归档：报警条件仍然存在（尚未解除）/, 'archiving an active alarm: refused, in plain words');
  a = await api<ApiAlarm>(`/v1/alarms/${gasAlarm}`);
  t.same([a.state, a.active, a.events!.map((e) => e.type)], ['resolved', true, ['raised', 'escalated', 'acknowledged', 'assessed', 'dispatched', 'resolved']], 'the API: every step once');

  // Another operator (the API) acknowledges the water alarm while this page shows it open: the page follows.
  const water = (await api<{ data: ApiAlarm[] }>('/v1/alarms?point=WS-001-P1')).data[0]!;
  await page.goto(`${base}/console/#alarms/${water.id}`);
  await page.locator('[data-testid=alarm-page][data-state=open]').waitFor();
  await fetch(`${base}/v1/alarms/${water.id}/ack`, { method: 'POST', headers: { ...auth(KEYS.admin), 'content-type': 'application/json' }, body: '{}' });
  await page.locator('[data-testid=alarm-page][data-state=acknowledged]').waitFor({ timeout: 10_000 });
  t.pass('a step taken elsewhere shows without a reload');
});

t.test('Delivery: a target that is down, pause and resume, a dead letter replayed', async (t) => {
  await page.click('a[data-nav=delivery]');
  await page.locator('tr[data-target=province][data-state=retrying]').waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => Number(document.querySelector('tr[data-target=city] td[data-col=dead]')?.textContent) > 0, undefined, { timeout: 10_000 });
  t.ok(Number(await text('tr[data-target=province] td[data-col=backlog]')) > 0, 'the target that is down: backlog');
  t.match(await text('tr[data-target=province] td[data-col=error]'), /ECONNREFUSED|connect|fetch failed/i, 'and why');
  t.match(await text('tr[data-target=province] td[data-col=state]'), /重试中.*第 \d+ 次尝试/, 'retrying, with its attempts');

  await page.click('tr[data-target=province] button[data-write]:has-text("暂停")');
  await page.locator('tr[data-target=province][data-state=paused]').waitFor();
  t.equal((await target('province')).state, 'paused', 'the API says paused');
  await page.click('tr[data-target=province] button[data-write]:has-text("恢复")');
  await page.locator('tr[data-target=province]:not([data-state=paused])').waitFor();
  t.not((await target('province')).state, 'paused', 'resumed');

  await page.click('tr[data-target=city] [data-testid=show-dead]');
  await page.getByTestId('dead-list').waitFor();
  t.match(page.url(), /#delivery\/city$/);
  t.match(await text('[data-testid=dead-list] [data-col=answer]'), /HTTP 400.*not registered/, 'the platform\'s answer');
  await page.screenshot({ path: join(artifacts, 'delivery.png'), fullPage: true });
  const dead = (await api<{ data: Array<{ id: string; idempotency_key: string }> }>('/v1/publish/targets/city/dead-letters')).data;
  const first = dead[0]!;
  accepting = true;
  await page.click(`tr[data-dead="${first.id}"] button[data-write]`);
  await page.getByTestId('dead-result').waitFor();
  t.match(await text('[data-testid=dead-result]'), /已重放 1 批/);
  await page.locator(`tr[data-dead="${first.id}"]`).waitFor({ state: 'detached' });
  const deadline = Date.now() + 10_000;
  while (!received.includes(first.idempotency_key) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
  t.ok(received.includes(first.idempotency_key), 'the replayed batch reached the platform, with its idempotency key');
  t.equal((await target('city')).dead_letters, dead.length - 1, 'one dead letter fewer in the API');
});

t.test('a read-only key: the same pages, no action buttons', async (t) => {
  await logIn(KEYS.read, `#alarms/${gasAlarm}`);
  await page.getByTestId('readonly-note').waitFor();
  t.equal(await page.locator('[data-write], [data-testid=step-form]').count(), 0, 'no handling step on the alarm');
  await page.click('a[data-nav=delivery]');
  await page.locator('tr[data-target=province]').waitFor();
  await page.click('tr[data-target=city] [data-testid=show-dead]');
  await page.getByTestId('dead-letters').waitFor();
  await page.locator('[data-testid=dead-list], [data-testid=dead-empty]').first().waitFor();
  t.equal(await page.locator('[data-write]').count(), 0, 'no pause, resume or replay');
  await page.click('a[data-nav=alarms]');
  await page.getByTestId('alarm-board').waitFor();
  t.equal(await page.locator('[data-write]').count(), 0, 'none on the board');
  await page.getByTestId('lang').click();
  await page.getByRole('heading', { name: 'Real-time alarms' }).waitFor();
  t.equal(await text('[data-testid=alarm-board] thead th'), 'Site', 'English');
  await page.getByTestId('lang').click();
  t.same(requests.filter((u) => !u.startsWith(`${base}/`)), [], 'no request leaves the hub');
  t.comment(`whole file ${Date.now() - began} ms`);
});
