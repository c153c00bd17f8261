// A smoke run of the four fuzz targets (fuzz/, docs/fuzzing.md) at once, each against its own hub process:
// FUZZ_SECONDS each (4 s). The real runs are CI's own step (`npm run fuzz -- all --seconds 60`, before the tests)
// and the long ones in docs/fuzzing.md. Fails on a crash, an untyped answer, a missed /health or probe, or RSS past
// the limit: the summary printed says which input did it (crash files under crashes/).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { summaryText } from '../fuzz/lib/engine.ts';
import { ALL_TARGETS, fuzzAll, mosquittoUp } from '../fuzz/lib/all.ts';
import { chooseStore } from '../fuzz/lib/hub.ts';
import { loadTarget } from '../fuzz/run.ts';

const seconds = Number(process.env.FUZZ_SECONDS ?? 4);
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
// Hub starts (four at once on two cores), the run, the last in-flight inputs and the teardown.
t.setTimeout((seconds + 120) * 1000);

t.test(`fuzz every target for ${seconds} s (seed ${seed})`, async (t) => {
  const store = await chooseStore(undefined);
  const mqtt = await mosquittoUp();
  const names = ALL_TARGETS.filter((n) => n !== 'mqtt' || mqtt);
  if (!mqtt && process.env.CI === 'true') t.fail('Mosquitto (127.0.0.1:1883) is required in CI but not reachable');
  else if (!mqtt) t.comment('Mosquitto not reachable: the mqtt target is skipped');
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-fuzz-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const results = await fuzzAll(names, { seconds, seed, store, dir, crashDir: resolve('crashes'), log: () => undefined }, loadTarget);
  for (const s of results) {
    t.comment(summaryText(s));
    t.match(s.line, /, 0 crashes,/, `${s.target}: the hub process stays up (${s.inputs} inputs)`);
    t.equal(s.untyped.reduce((a, u) => a + u.count, 0), 0, `${s.target}: every answer is a success or a typed error`);
    t.equal(s.health.missed, 0, `${s.target}: /health answers throughout`);
    t.equal(s.probe.missed, 0, `${s.target}: a valid input is still served`);
    t.ok(s.rss.peak <= s.rss.limit, `${s.target}: RSS stays under ${s.rss.limit / 1024 ** 2} MiB (peak ${(s.rss.peak / 1024 ** 2).toFixed(0)} MiB)`);
    t.ok(s.inputs > 0, `${s.target}: inputs were sent`);
  }
});
