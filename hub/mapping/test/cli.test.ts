// `lifeline mapping test` as a user runs it: a real process, its output and exit code.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const lifeline = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, ['bin/lifeline.js', ...args], { cwd: root, input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'lifeline-mapping-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('success: the readings, exit 0', async (t) => {
  const r = lifeline(['mapping', 'test', 'flat-reading', 'hub/mapping/profiles/flat-reading.example.json']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /profile flat-reading \(hub\/mapping\/profiles\/flat-reading\.yaml\): 2 reading\(s\), 0 failure\(s\)/);
  t.match(r.out, /1\s+json_http:GD-001\s+methane\s+2026-11-25T02:00:00\.000Z\s+1\.2\s+%\{LEL\}\s+flag N\s+msg m-0001/);
  t.match(r.out, /2\s+json_http:GD-001\s+temperature\s+2026-11-25T02:00:00\.000Z\s+23\.5\s+Cel/);
});

t.test('failures: each with its field, exit 1', async (t) => {
  const payload = join(dir, 'bad.json');
  writeFileSync(payload, JSON.stringify({ devices: [{ sn: 'MH-1', data: [{ code: 'level', value: 'high', unit: 'cm' }] }, { data: [] }], time: '2026-11-25 10:00:00' }));
  const r = lifeline(['mapping', 'test', 'device-array', payload]);
  t.equal(r.code, 1);
  t.match(r.err, /0 reading\(s\), 2 failure\(s\)/);
  t.match(r.err, /FAILED MAPPING_BAD_VALUE at \/values\/0\/value: record 0: value "high" is not a number/);
  t.match(r.err, /FAILED MAPPING_NO_DEVICE at \/identity\/key: record 1: no device key/);
});

t.test('--json, --vars, stdin, your own profile file', async (t) => {
  const profile = join(dir, 'topic.yaml');
  writeFileSync(profile, "identity: { protocol: json_mqtt, key: $vars.device }\ntime: { expr: ts, format: 'YYYYMMDDHHmmss' }\nvalues:\n  - { field: p, value: p, unit: kPa }\n");
  const r = lifeline(['mapping', 'test', profile, '-', '--vars', 'device=PT-9,site=HT-001', '--json'], '{"ts":"20261125100000","p":"101.3"}');
  t.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  t.same(j.readings, [{ identity: { protocol: 'json_mqtt', key: 'PT-9' }, time: Date.parse('2026-11-25T02:00:00Z'), field: 'p', value: 101.3, unit: 'kPa' }]);
  t.same(j.failures, []);
});

t.test('usage and profile errors (in process: the same function the command runs)', async (t) => {
  const { mappingCommand } = await import('../cli.ts');
  const u = await mappingCommand([]);
  t.notOk(u.ok);
  t.match(u.output, /lifeline mapping test PROFILE PAYLOAD/);
  const bad = join(dir, 'broken.yaml');
  writeFileSync(bad, 'device: id\nvalues:\n  - { field: a, value: "a +" }\n');
  await t.rejects(mappingCommand(['test', bad, 'hub/mapping/profiles/flat-reading.example.json']), { code: 'MAPPING_INVALID', message: /broken\.yaml: \/values\/0\/value: / });
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{"a":');
  const nj = await mappingCommand(['test', 'flat-reading', notJson]);
  t.notOk(nj.ok);
  t.match(nj.output, /not valid JSON/);
  const l = await mappingCommand(['list']);
  t.match(l.output, /device-array[\s\S]*flat-reading[\s\S]*name-keyed[\s\S]*senml/);
  const { main } = await import('../../cli/main.ts');
  const logged: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { logged.push(a.join(' ')); };
  try { await main(['--help']); } finally { console.log = log; }
  t.match(logged.join('\n'), /lifeline mapping test PROFILE PAYLOAD\.json/, 'in the usage');
});

t.test('table profiles: CSV (GBK detected) and XLSX files, in process', async (t) => {
  const { mappingCommand } = await import('../cli.ts');
  const g = await mappingCommand(['test', 'gbk-export', 'hub/mapping/profiles/gbk-export.example.csv']);
  t.notOk(g.ok, 'a failure: exit 1');
  t.match(g.output, /profile gbk-export \(hub\/mapping\/profiles\/gbk-export\.yaml\): CSV, gbk \(by content\), 5 data row\(s\), 4 reading\(s\), 1 failure\(s\)/);
  t.match(g.output, /device HT-ST-01\s+供水温度\s+2026-11-25T02:00:00\.000Z\s+65\.2\s+Cel/);
  t.match(g.output, /FAILED MAPPING_BAD_VALUE at 监测值: row 6: "故障" is not a number/);
  const x = await mappingCommand(['test', 'xlsx-sheets', 'hub/mapping/profiles/xlsx-sheets.example.xlsx', '--json']);
  const j = JSON.parse(x.output);
  t.match(j, { profile: 'xlsx-sheets', format: 'xlsx', rows: 4, readingCount: 6, failed: 1, failures: [{ code: 'MAPPING_BAD_VALUE', row: 3, sheet: 'GS-PT-002', column: '压力' }] });
  await t.rejects(mappingCommand(['test', 'long-csv', join(dir, 'missing.csv')]), /ENOENT|no such file/);
});
