// What the console's page tests need before they start a hub: Debian's Chromium, a console build that matches the
// sources, and a folder for their screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
// @ts-expect-error plain JavaScript without declarations (it runs at install, before anything is compiled)
import { build } from '../../scripts/build.js';
// @ts-expect-error plain JavaScript without declarations
import { buildState } from '../../bin/build-state.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const artifacts = join(root, 'test-artifacts/console');
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium there (missing: a failure under CI=true, which .ci/run installs it for, else a skip) and dist/console
 * built (when the checkout's build is missing or stale). False: the file must end here.
 */
export async function pagePrerequisites(t: Tap.Test): Promise<boolean> {
  mkdirSync(artifacts, { recursive: true });
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) t.fail(`${CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)`);
    else t.plan(0, `${CHROMIUM} is missing`);
    return false;
  }
  if (!buildState({ root }).fresh || !existsSync(join(root, 'dist/console/app.js'))) await build({ root });
  return true;
}

/** Log in to the console at `hash` with `key`, logging out first when a key is already in (the pages share one tab). */
export async function logIn(page: Page, base: string, key: string, hash = '#overview'): Promise<void> {
  await page.goto(`${base}/console/${hash}`);
  await page.locator('#key, [data-testid=who]').first().waitFor();
  if (await page.getByTestId('who').isVisible()) await page.getByRole('button', { name: '退出' }).click();
  await page.fill('#key', key);
  await page.click('button[type=submit]');
  await page.getByTestId('who').waitFor();
}
