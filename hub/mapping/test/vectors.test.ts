// Golden vectors: each shipped profile maps its example payload(s) to exactly these readings and failures.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { fileURLToPath } from 'node:url';
import { loadProfile, shippedProfiles, isTableProfile } from '../index.ts';
import { tryFile } from '../../uploads/try-file.ts';

const dir = new URL('../vectors/', import.meta.url);
const profiles = new URL('../profiles/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

interface Vector {
  id: string; profile: string; source: string; payload?: unknown; payload_file?: string; vars?: Record<string, string>; received_at?: string;
  expect: { readings: Record<string, unknown>[]; failures: { code: string; field?: string; record?: number; row?: number; sheet?: string; column?: string }[]; format?: string; encoding?: string | null; rows?: number };
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
    if (isTableProfile(v.profile)) {
      // A table profile (CSV/XLSX): the file is read as an upload reads it, encoding detection included.
      const r = await tryFile(v.profile, fileURLToPath(new URL(v.payload_file!, profiles)), { timezone: 'Asia/Shanghai' });
      t.same({ format: r.format, encoding: r.encoding, rows: r.rows }, { format: v.expect.format, encoding: v.expect.encoding, rows: v.expect.rows }, 'format, encoding, data rows');
      t.same(r.readings.map((x) => ({ ...x, time: new Date(x.time as number).toISOString() })), v.expect.readings, 'readings');
      t.same(r.failures.map((x) => ({ code: x.code, row: x.row, sheet: x.sheet, column: x.column })), v.expect.failures.map((x) => ({ code: x.code, row: x.row, sheet: x.sheet, column: x.column })), 'failures');
      for (const x of r.failures) t.match(x.message, new RegExp(`^row ${x.row}\\b`), 'failure message names the row');
      return;
    }
    const payload = v.payload_file ? JSON.parse(readFileSync(new URL(v.payload_file, profiles), 'utf8')) : v.payload;
    const profile = loadProfile(v.profile, undefined, { protocol: 'json_http', timezone: 'Asia/Shanghai' });
    const r = await profile.map({ payload, vars: v.vars, receivedAt: Date.parse(v.received_at ?? '2026-11-25T02:00:00Z') });
    t.same(r.readings.map((x) => ({ ...x, time: new Date(x.time as number).toISOString() })), v.expect.readings, 'readings');
    t.same(r.failures.map((x) => ({ code: x.code, field: x.field, record: x.record })), v.expect.failures.map((x) => ({ code: x.code, field: x.field, record: x.record })), 'failures');
    for (const x of r.failures) t.match(x.message, /\S/, 'failure has a message');
  });
}
