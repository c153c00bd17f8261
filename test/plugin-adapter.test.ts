// A third-party adapter loaded by path: config validated against its own schema, ingest resolves after
// commit with per-record outcomes, the checkpoint is committed with the batch, stop() is idempotent.
import t from 'tap';
import { startTestHub, auth, KEYS } from './helpers/hub.ts';
import { acked } from './fixtures/echo-adapter/index.ts';
import { resolveAdapters, validateAdapterConfigs, assertAdapter } from '../hub/adapters/loader.ts';
import { readCheckpoint } from '../hub/store/observations.ts';
import { runConformance } from '../conformance/index.ts';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fixtureDir = new URL('./fixtures/', import.meta.url).pathname;
const readings = [
  { device: 'WS-001-PT', field: 'e01201', time: '2026-11-25 09:00:00', value: 0.31 },
  { device: 'WS-001-PT', field: 'e01201', time: '2026-11-25 09:01:00', value: 0.32 },
  { device: 'WS-001-PT', field: 'nope', time: '2026-11-25 09:02:00', value: 0.33 },
  { identity: { protocol: 'hj212', key: '88888880000001' }, field: 'e01201', time: '2026-11-25 09:03:00', value: 0.34 },
  { device: 'WS-001-PT', field: 'e01201', time: 'around nine-ish', value: 1 },
];

t.test('config errors point into adapters.<id>', async (t) => {
  const defs = await resolveAdapters(['echo_feed'], ['./echo-adapter/index.ts'], fixtureDir);
  const errors = validateAdapterConfigs(defs, { echo_feed: { readings: [], batch: 0 } });
  t.same(errors.map((e) => e.path), ['/adapters/echo_feed/batch']);
  await t.rejects(resolveAdapters(['nope'], [], fixtureDir), { code: 'ADAPTER_NOT_FOUND' });
  await t.rejects(resolveAdapters([], ['./missing.ts'], fixtureDir), { code: 'ADAPTER_NOT_FOUND' });
  t.throws(() => assertAdapter({ default: { manifest: { id: 'Bad-Id', version: 'x' } } }, 'x'), { code: 'ADAPTER_INVALID', message: /snake_case.*semver/ });
});

t.test('adapter ingests through ctx, acks after commit, checkpoint in the same transaction', async (t) => {
  const { hub, cleanup } = await startTestHub('pglite', (c) => {
    c.plugins = [`${fixtureDir}echo-adapter/index.ts`];
    c.adapters = { echo_feed: { readings } };
  });
  t.teardown(cleanup);
  const inst = hub; // started: the adapter runs on start()
  for (let i = 0; i < 50 && acked.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(acked.length, 3, 'three batches of 2, 2, 1');
  t.same(acked.map((a) => a.result.results.map((r) => r.outcome)), [['accepted', 'accepted'], ['quarantined', 'accepted'], ['quarantined']]);
  t.match(acked[1]!.result.results[0], { reason: 'UNKNOWN_POINT', field: '/field' });
  t.match(acked[2]!.result.results[0], { reason: 'INVALID_TIME' });
  t.equal(await readCheckpoint(inst.db, 'echo_feed', 'position'), 5, 'position committed');
  const stored = (await hub.app.inject({ url: '/v1/observations?point=WS-001-P1', headers: auth(KEYS.read) })).json().data;
  t.same(stored.map((o: { value: number; source: { adapter: string } }) => [o.value, o.source.adapter]), [[0.31, 'echo_feed'], [0.32, 'echo_feed'], [0.34, 'echo_feed']]);
  t.same((await hub.app.inject({ url: '/ready' })).json(), { status: 'ready' }, '/ready is the bare verdict');
  const status = (await hub.app.inject({ url: '/v1/status', headers: auth(KEYS.read) })).json();
  t.match(status, { status: 'ready', store: 'ok', adapters: { echo_feed: { status: 'ok' } } });
  const q = (await hub.app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) })).json().data;
  t.same(q.map((e: { adapter: string; reason: string }) => [e.adapter, e.reason]), [['echo_feed', 'UNKNOWN_POINT'], ['echo_feed', 'INVALID_TIME']]);
  await hub.stop();
  await hub.stop(); // idempotent
});

t.test('a plugin given by npm package name loads the same way', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lifeline-npm-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const pkg = join(base, 'node_modules', 'lifeline-adapter-tick');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'lifeline-adapter-tick', version: '0.1.0', type: 'module', main: 'index.js' }));
  // Plain JavaScript, as a vendor would publish it; defineAdapter is only a typed identity, so a literal works too.
  writeFileSync(join(pkg, 'index.js'), `export default {
    manifest: { id: 'tick', version: '0.1.0', title: 'Tick', description: 'Test package.', direction: 'poll', stability: 'development',
      configSchema: { $id: 'lifeline:adapter/tick', type: 'object', properties: { every_ms: { type: 'integer', default: 1000, description: 'Period.', examples: [1000] } } } },
    create(config, ctx) { return { async start() {}, async stop() {}, health: () => ({ status: 'ok', detail: { every_ms: config.every_ms } }) }; },
  };\n`);
  const defs = await resolveAdapters(['tick'], ['lifeline-adapter-tick'], base);
  t.equal(defs.get('tick')!.manifest.title, 'Tick');
  t.same(validateAdapterConfigs(defs, { tick: {} }), [], 'defaults fill the block');
  const report = await runConformance(defs.get('tick')!);
  t.equal(report.failed, 0, 'and it passes the conformance kit');
});

t.test('an invalid record from an adapter is quarantined, not a crash', async (t) => {
  const { hub, cleanup } = await startTestHub('pglite');
  t.teardown(cleanup);
  const res = await hub.ingest('custom', [{ point: 'WS-001-P1', time: '2026-11-25T00:00:00Z', value: 'x' } as never, { point: 'WS-001-P1', time: '2026-11-25T00:00:00Z', value: 0.2 }]);
  t.match(res, { accepted: 1, quarantined: 1 });
  t.match(res.results[0], { outcome: 'quarantined', reason: 'INVALID_RECORD', field: '/value' });
});
