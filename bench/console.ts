// The console's Devices page with 10,000 devices in Chromium: click → interactive (target < 1 s), → every status, and a jump in the list drawn (median target < 100 ms).
//
// One in-process hub on a fresh PostgreSQL database with the sample registry and N more devices (test/helpers/
// console-fleet.ts, the same fleet test/console-pages.test.ts uses), 9 of 10 with a latest value; Debian's Chromium
// headless through playwright-core. The page is opened `rounds` times from another page (Overview), each time from a
// fresh start of its data (the page fetches the registry and the latest values anew): the first open (nothing warmed
// up, as after a hub start) and the median of the later ones are the figures.
// Times are taken in the page's own clock, from the click on 设备 to: the rows in view drawn with their values, the
// list scrolled to its end and its last device drawn (interactive); every device's status counted (complete).
// The hub and Chromium share the machine's cores: on a busy machine the figures grow with the load.
import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { startHub } from '../hub/hub.ts';
import { testConfig, KEYS, auth } from '../test/helpers/hub.ts';
import { freshDatabase } from '../test/helpers/services.ts';
import { CHROMIUM, logIn } from '../test/helpers/console-page.ts';
import { fleetReadings, openDevicesTimed, scrollJumpsTimed, seedFleetRegistry } from '../test/helpers/console-fleet.ts';
// @ts-expect-error plain JavaScript without declarations (it runs at install, before anything is compiled)
import { build } from '../scripts/build.js';
// @ts-expect-error plain JavaScript without declarations
import { buildState } from '../bin/build-state.js';
import { BenchUsageError } from './lib/errors.ts';

const TARGET = { interactiveMs: 1000, jumpMs: 100 };

const HELP = `usage: npm run bench -- console [options]

  --devices N     devices besides the sample registry's six (default 10000)
  --rounds N      opens of the Devices page: the first, and the median of the others (default 6)
`;

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };

export async function run(args: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { devices: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '6' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const n = Number(values.devices), rounds = Number(values.rounds);
  if (!Number.isInteger(n) || n < 100 || n > 99_999) throw new BenchUsageError(`--devices: an integer from 100 to 99999\n\n${HELP}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new BenchUsageError(`--rounds: a positive integer\n\n${HELP}`);
  if (!existsSync(CHROMIUM)) throw new BenchUsageError(`${CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk`);
  const root = new URL('..', import.meta.url).pathname;
  if (!buildState({ root }).fresh || !existsSync(join(root, 'dist/console/app.js'))) { console.log('building the console (dist/ is missing or stale)…'); await build({ root }); }

  const load = loadavg()[0]!;
  console.log(`console Devices page: ${n + 6} devices, ${rounds} opens (the first, then the median of the others); node ${process.version}, ${cpus().length} cores, load average ${load.toFixed(2)}${load > cpus().length / 2 ? '  (a busy machine: figures are inflated)' : ''}`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-console-'));
  const db = await freshDatabase();
  const hub = await startHub(testConfig(dir, (c) => { c.store.url = db.url; }), { listen: true, logger: pino({ level: 'silent' }), env: {} });
  let browser: Browser | undefined;
  try {
    await seedFleetRegistry(hub, n);
    const res = await fetch(`${hub.url}/v1/observations`, { method: 'POST', headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' }, body: JSON.stringify({ records: fleetReadings(n, Date.now()) }) });
    if (!res.ok) throw new Error(`seeding the latest values: ${res.status} ${await res.text()}`);
    await Promise.all([hub.rollups.catchUp(), hub.alarms?.catchUp()]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' })).newPage();
    await logIn(page, hub.url!, KEYS.read);
    const opens: { interactive: number; complete: number; jump: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      // From another page, so the Devices page starts from nothing each time.
      await page.click('a[data-nav=overview]');
      await page.waitForFunction(`!document.querySelector('[data-testid=device-list]')`);
      const open = await openDevicesTimed(page, 'WS-001-PT');
      const jumps = await scrollJumpsTimed(page);
      opens.push({ ...open, jump: median(jumps.frames) });
      console.log(`  open ${i + 1}: interactive ${open.interactive.toFixed(0)} ms, every status ${open.complete.toFixed(0)} ms, jump ${median(jumps.frames).toFixed(1)} ms (median of 20)`);
    }
    // The first open is the one an operator meets after a hub start: nothing of the hub's routes or the page's code
    // warmed up yet. It holds the target as well as the later ones do.
    const later = opens.length > 1 ? opens.slice(1) : opens;
    const first = opens[0]!.interactive, interactive = median(later.map((o) => o.interactive)), complete = median(later.map((o) => o.complete)), jump = median(opens.map((o) => o.jump));
    const okI = first < TARGET.interactiveMs && interactive < TARGET.interactiveMs, okJ = jump < TARGET.jumpMs;
    console.log(`interactive (click → rows with values, scrolled to the end): first open ${first.toFixed(0)} ms, later opens ${interactive.toFixed(0)} ms (median)   target < ${TARGET.interactiveMs} ms  ${okI ? 'PASS' : 'FAIL'}`);
    console.log(`every device's status: first open ${opens[0]!.complete.toFixed(0)} ms, later opens ${complete.toFixed(0)} ms (median)   (no target)`);
    console.log(`a jump in the list drawn: ${jump.toFixed(1)} ms (median)   target < ${TARGET.jumpMs} ms  ${okJ ? 'PASS' : 'FAIL'}`);
    if (!okI || !okJ) process.exitCode = 1;
  } finally {
    await browser?.close();
    await hub.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
