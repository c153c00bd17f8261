// The HTML report reads as a report in a real browser (headless Chromium via playwright-core): header, verdict,
// clauses with their evidence, integrity; no external request. The screenshot is kept in test-artifacts/.
import t from 'tap';
import { mkdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runAgainstSim } from './fixtures/run-sim.ts';
import { writeReport } from '../cli.ts';
import { verify, type CertReport } from '../report/model.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = new URL('../../test-artifacts/conformance/', import.meta.url).pathname;

// A device that writes DataTime in UTC: the report shows failures with their evidence, signed by a lab key.
const run = await runAgainstSim({ breakMode: 'utc', durationMs: 3500, key: 'lab-key' });
writeReport(dir, run.report, run.evidence);

t.test('report.json, report.md and evidence.ndjson are written and verify', async (t) => {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CertReport;
  t.same(verify(report, readFileSync(join(dir, 'evidence.ndjson')), 'lab-key'), []);
  t.equal(report.integrity.signature?.algorithm, 'HMAC-SM3');
  t.match(readFileSync(join(dir, 'report.md'), 'utf8'), /\*\*FAILED\*\*.*\| HJ212-CP-003 \| MUST \|.*\*\*FAIL\*\*/s);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.notMatch(html, /<(script|link|img|iframe)\b|url\(|@import|https?:\/\//i, 'self-contained: no script, link, image or URL');
});

t.test('the HTML report in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, async (t) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(join(dir, 'report.html')).href;
  await page.goto(url);
  t.same(requests, [url], 'the page loads nothing but itself');
  t.match(await page.title(), /一致性测试报告 Conformance report — lifeline sim hj212 --collector/);
  t.equal((await page.locator('.verdict').innerText()).trim(), '结论 Verdict: 不通过 FAIL');
  const row = page.locator('tr', { has: page.locator('td.cid', { hasText: 'HJ212-CP-003' }) });
  t.match(await row.innerText(), /不通过 fail[\s\S]*it is UTC, not Asia\/Shanghai local time/);
  await row.locator('summary').click();
  t.match(await row.locator('details pre').first().innerText(), /^#\d+ rx .*\n##\d{4}QN=/, 'evidence opens to the frame as received');
  t.equal(await page.locator('table.results tbody tr').count(), run.report.results.length, 'one row per clause');
  t.match(await page.locator('body').innerText(), new RegExp(`HMAC-SM3[\\s\\S]*${run.report.integrity.signature!.value}`));
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, 'hj212-report.png'), fullPage: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(dir, 'hj212-report-top.png') });
  t.ok(statSync(join(dir, 'hj212-report.png')).size > 20_000, 'screenshot kept in test-artifacts/conformance/hj212-report.png');
});
