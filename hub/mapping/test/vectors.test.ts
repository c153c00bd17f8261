// Golden vectors: each shipped profile maps its example payload(s) to exactly these readings and failures.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { loadProfile, shippedProfiles } from '../index.ts';

const dir = new URL('../vectors/', import.meta.url);
const profiles = new URL('../profiles/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

interface Vector {
  id: string; profile: string; source: string; payload?: unknown; payload_file?: string; vars?: Record<string, string>; received_at?: string;
  expect: { readings: Record<string, unknown>[]; failures: { code: string; field?: string; record?: number }[] };
}

t.ok(files.length >= 8, `${files.length} vectors`);
for (const p of shippedProfiles()) {
  t.ok(files.some((f) => f.startsWith(`${p}-`)), `shipped profile ${p} has a golden vector`);
  const doc = parse(readFileSync(new URL(`${p}.yaml`, profiles), 'utf8')) as { examples?: string[] };
  for (const ex of doc.examples ?? []) t.ok(files.some((f) => readFileSync(new URL(f, dir), 'utf8').includes(`payload_file: ${ex}`)), `${p}: example ${ex} is covered by a vector`);
}

for (const f of files) {
  t.test(f, async (t) => {
    const v = parse(readFileSync(new URL(f, dir), 'utf8')) as Vector;
    t.ok(v.id && v.source, 'vector has id and source');
    const payload = v.payload_file ? JSON.parse(readFileSync(new URL(v.payload_file, profiles), 'utf8')) : v.payload;
    const profile = loadProfile(v.profile, undefined, { protocol: 'json_http', timezone: 'Asia/Shanghai' });
    const r = await profile.map({ payload, vars: v.vars, receivedAt: Date.parse(v.received_at ?? '2026-11-25T02:00:00Z') });
    t.same(r.readings.map((x) => ({ ...x, time: new Date(x.time as number).toISOString() })), v.expect.readings, 'readings');
    t.same(r.failures.map((x) => ({ code: x.code, field: x.field, record: x.record })), v.expect.failures.map((x) => ({ code: x.code, field: x.field, record: x.record })), 'failures');
    for (const x of r.failures) t.match(x.message, /\S/, 'failure has a message');
  });
}
