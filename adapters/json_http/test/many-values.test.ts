// A validly signed webhook whose devices[1].data is 50,000 numbers instead of objects (found by `npm run fuzz --
// json_http`, fuzz/cases/json_http-oom-data-array.json) used to make one quarantine entry per bad value, each with a
// copy of the 100 KB record: the hub stopped answering /health and died out of heap. Now the body is quarantined once
// with its first 100 failures and their count, the good readings of the same body are stored, and a body with more
// values than a payload may have is refused with MAPPING_TOO_MANY_RECORDS.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { sign } from '../signature.ts';
import { startWebhookHub, KEYS, SECRET } from './helpers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const { url, cleanup } = await startWebhookHub();
t.teardown(cleanup);

const culprit = JSON.parse(readFileSync(new URL('../../../fuzz/cases/json_http-oom-data-array.json', import.meta.url), 'utf8')).culprit as { bodyB64: string; headers: [string, string][] };
const signed = (body: Buffer, headers: [string, string][] = [['Content-Type', 'application/json']]) => {
  const ts = String(Math.floor(Date.now() / 1000));
  return fetch(`${url}/v1/ingest/manholes-signed`, {
    method: 'POST', body,
    headers: [...headers, ['X-Timestamp', ts], ['X-Signature', sign({ algorithm: 'sha256', encoding: 'hex', prefix: '' }, SECRET, body, ts)]],
  });
};
const auth = { authorization: `Bearer ${KEYS.read}` };

t.test('50,000 numbers where data objects belong: one quarantine entry, good readings stored, bounded time and heap', { timeout: 60_000 }, async (t) => {
  const body = Buffer.from(culprit.bodyB64, 'base64');
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();
  // /health keeps answering while the body is mapped (mapping lets the event loop run).
  let slowestHealthMs = 0;
  let done = false;
  const probe = (async () => {
    while (!done) {
      const t0 = Date.now();
      await (await fetch(`${url}/health`)).arrayBuffer();
      slowestHealthMs = Math.max(slowestHealthMs, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const res = await signed(body, culprit.headers);
  const elapsed = Date.now() - started;
  done = true;
  await probe;
  t.equal(res.status, 200);
  const j = await res.json() as Any;
  t.ok(elapsed < 20_000, `answered in ${elapsed} ms`);
  t.ok(slowestHealthMs < 2000, `/health answered within ${slowestHealthMs} ms meanwhile`);
  t.equal(j.failed, 50_000, 'every bad value counted');
  t.equal(j.failures.length, 100, 'the first 100 listed');
  t.match(j.failures[0], { code: 'MAPPING_BAD_VALUE', field: '/values/0/value', record: 1 });
  t.equal(j.rejected, 1, 'the body is quarantined once');
  t.equal(j.results.length, 2, 'MH-0001\'s two values still mapped');
  t.match(j.results[0], { outcome: 'accepted', reading: { key: 'MH-0001', field: 'level' } });

  const q = await (await fetch(`${url}/v1/quarantine?reason=MAPPING_BAD_VALUE`, { headers: auth })).json() as Any;
  t.equal(q.data.length, 1, 'one entry, not 50,000');
  const e = q.data[0];
  t.match(e, { adapter: 'json_http', reason: 'MAPPING_BAD_VALUE', field: undefined, message: /^50000 failures in this payload \(MAPPING_BAD_VALUE ×50000\); the first: record 1: no value/ });
  t.match(e.record, { profile: 'manholes-signed', mapping: 'manholes-signed', failed: 50_000 });
  t.equal(e.record.failures.length, 100);
  t.equal(e.record.input.devices[1].data.length, 50_000, 'the body kept once, whole');
  const grown = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  t.ok(grown < 300, `heap grew ${grown.toFixed(0)} MiB`);
});

t.test('more values than a payload may have: 413 MAPPING_TOO_MANY_RECORDS, nothing stored', { timeout: 60_000 }, async (t) => {
  const body = Buffer.from(JSON.stringify({ msgId: 'm', time: '2026-11-25 10:00:00', devices: [
    { sn: 'MH-0001', data: [{ code: 'level', value: 1, unit: 'cm' }] },
    { sn: 'MH-0002', data: new Array(150_000).fill(1) },
  ] }));
  const before = (await (await fetch(`${url}/v1/quarantine`, { headers: auth })).json() as Any).data.length;
  const started = Date.now();
  const res = await signed(body);
  t.equal(res.status, 413);
  const j = await res.json() as Any;
  t.equal(j.code, 'MAPPING_TOO_MANY_RECORDS');
  t.match(j.message, /more than 100000 values .*\/values\/0\/each/);
  t.ok(Date.now() - started < 20_000, 'refused in bounded time');
  const after = (await (await fetch(`${url}/v1/quarantine`, { headers: auth })).json() as Any).data.length;
  t.equal(after, before, 'nothing quarantined: the sender was told');
});
