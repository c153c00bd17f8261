// Retry-After from the target is waited out instead of the backoff; the target filter chooses what is sent
// (embedded driver, PGlite).
import t from 'tap';
import { startTarget, until } from './fixtures/target.ts';
import { publishConfig, feed } from './fixtures/suite.ts';
import { startTestHub } from '../../../test/helpers/hub.ts';

t.test('embedded/pglite: a 503 with Retry-After: 2 is waited out (not the 200 ms backoff); filters choose what is sent', async (t) => {
  const target = await startTarget();
  t.teardown(() => target.close());
  const h = await startTestHub('pglite', (c) => publishConfig(c, { store: 'pglite', driver: 'embedded' }, target.url, 'x', { filter: { kinds: ['rtd'], indicators: ['water.pipe_pressure'], sites: ['S1'], domains: ['water'] } }));
  t.teardown(() => h.cleanup());
  const times: number[] = [];
  target.mode = '503';
  target.retryAfterS = 2;
  const before = target.requests;
  await feed(h, 0, 100);
  // When each attempt reached the target.
  let last = before;
  const started = Date.now();
  while (Date.now() - started < 4500) {
    if (target.requests !== last) { last = target.requests; times.push(Date.now()); }
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(times.length >= 2 && times.length <= 3, `${times.length} attempts in 4.5 s`);
  for (let i = 1; i < times.length; i++) t.ok(times[i]! - times[i - 1]! >= 1800, `waited ${times[i]! - times[i - 1]!} ms before retrying`);
  target.mode = 'ok';
  await until('delivered', () => target.accepted.length > 0, 5000);
  // A min-kind reading is not sent to a target that only takes rtd.
  await h.hub.ingest('test', [{ point: 'P1', kind: 'hour', time: Date.UTC(2026, 1, 1), avg: 0.3 }]);
  await feed(h, 100, 10);
  await until('next rtd batch', () => target.accepted.some((d) => d.ids.length === 10), 5000);
  t.equal(target.accepted.reduce((n, d) => n + d.ids.length, 0), 110, 'the hour observation was filtered out');
});
