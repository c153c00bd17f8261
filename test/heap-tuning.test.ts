// hub/heap-tuning.ts: with the hub's tuning V8 makes no pretenuring decision, where the same burst makes one by
// default (the control: without it this test could not fail). V8's own trace says what it decided.
import { test } from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/pretenure-burst.ts', import.meta.url));

/** V8's pretenuring trace lines printed after the child's MARK line. */
async function decisionsAfterMark(mode: 'default' | 'tuned' | 'hub'): Promise<{ lines: string[]; out: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import=./scripts/ts-loader.mjs', '--expose-gc', '--max-semi-space-size=32', '--trace-pretenuring', '--trace-pretenuring-statistics', child, mode,
  ], { cwd: root, maxBuffer: 64 << 20, timeout: 60_000 });
  const after = stdout.slice(stdout.indexOf('MARK\n'));
  if (!stdout.includes('MARK\n') || !/^END 3000$/m.test(after)) throw new Error(`the child did not run to its end:\n${stdout.slice(-2000)}`);
  return { lines: after.split('\n').filter((l) => l.includes('pretenuring:')), out: after };
}

// The three children at once: the hub's start dominates.
const runs = { default: decisionsAfterMark('default'), tuned: decisionsAfterMark('tuned'), hub: decisionsAfterMark('hub') };

test('V8 as it comes tenures a literal after a burst at the young generation\'s full size (the control)', async (t) => {
  const { lines } = await runs.default;
  t.ok(lines.some((l) => /=> (maybe )?tenure$/.test(l)), `a tenure decision among:\n${lines.join('\n')}`);
});

test('tuneHeap(): the same burst, no pretenuring decision', async (t) => {
  const { lines } = await runs.tuned;
  t.same(lines, []);
});

test('a started hub has tuned the heap', async (t) => {
  const { lines } = await runs.hub;
  t.same(lines, []);
});
