// protobufjs loads on first use (schemas/proto/lifeline.ts): a process that loads the hub and never sees a protobuf
// body does not pay for its 45 modules; the first protobuf body loads it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { childEnv } from '../../test/helpers/child-env.ts';

const root = new URL('../..', import.meta.url).pathname;
const script = `
import { createRequire } from 'node:module';
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/protobufjs/'));
await import('./hub/hub.ts');
const before = loaded();
const { decodeIngestBatch, encodeIngestBatch } = await import('./hub/api/protobuf.ts');
const back = decodeIngestBatch(encodeIngestBatch({ records: [{ point: 'P1', time: 1764900000000, value: 1.5 }] }));
console.log(JSON.stringify({ before, after: loaded(), back }));
`;

t.test('loading the hub does not load protobufjs; the first protobuf body does', async (t) => {
  const r = spawnSync(process.execPath, ['--import=./scripts/ts-loader.mjs', '--input-type=module', '-e', script], { cwd: root, env: childEnv(), encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.equal(out.before, false, 'not loaded with the hub');
  t.equal(out.after, true, 'loaded by the first body');
  t.same(out.back, { records: [{ point: 'P1', time: 1764900000000, value: 1.5 }] }, 'and the body round-trips');
});
