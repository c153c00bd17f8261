// The vendor-feed profile: every shipped mapping profile's examples pass it; zone-less times are reported; with the
// json_http example's points, a sample with an unknown device, an incompatible unit and a time eight hours ahead
// fails exactly those clauses; the CLI writes a report that `conformance verify` accepts.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { shippedProfiles } from '../../hub/mapping/load.ts';
import { runFeed } from '../feed/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'confdevice-feed-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const hubYaml = fileURLToPath(new URL('../../adapters/json_http/examples/hub.yaml', import.meta.url));
const NOW = Date.UTC(2026, 10, 25, 3, 0, 0); // 11:00 Beijing time, an hour after the examples
const status = (r: Awaited<ReturnType<typeof runFeed>>, s: string) => r.report.results.filter((x) => x.status === s).map((x) => x.id);

t.test('each shipped mapping profile passes with its own examples', async (t) => {
  const names = shippedProfiles();
  t.ok(names.length >= 8);
  const runs = await Promise.all(names.map((profile) => runFeed({ profile, now: NOW })));
  runs.forEach((r, i) => {
    t.same(status(r, 'fail'), [], `${names[i]}: no clause fails`);
    t.equal(r.report.verdict, 'pass', `${names[i]}: verdict pass`);
  });
  const by = Object.fromEntries(names.map((n, i) => [n, runs[i]!.report]));
  // Zone-less wall-clock times (no offset, no time.zone in the profile) are reported; epoch times and pinned zones are not.
  for (const n of ['device-array', 'name-keyed', 'wide-csv']) t.same(by[n]!.results.filter((x) => x.status === 'warning').map((x) => x.id).filter((id: string) => id === 'FEED-TIME-003'), ['FEED-TIME-003'], `${n}: zone-less times reported`);
  for (const n of ['flat-reading', 'senml', 'long-csv', 'gbk-export', 'xlsx-sheets']) t.equal(by[n]!.results.find((x) => x.id === 'FEED-TIME-003')!.status, 'pass', `${n}: times carry or pin their zone`);
  t.match(by['device-array']!.results.find((x) => x.id === 'FEED-TIME-003')!.message, /4 reading\(s\) in 1 sample\(s\) have zone-less times \(device-array\.example\.json\): read as Asia\/Shanghai/);
  // The table examples carry deliberate bad rows: reported (SHOULD), not hidden.
  t.match(by['long-csv']!.results.find((x) => x.id === 'FEED-MAP-003')!.message, /2 row\(s\) in 1 file\(s\) do not map: long-csv\.example\.csv row 5 column value: MAPPING_BAD_VALUE/);
  t.equal(by['flat-reading']!.results.find((x) => x.id === 'FEED-MAP-003')!.status, 'not_applicable', 'row clause only for file exports');
  t.equal(by['flat-reading']!.results.find((x) => x.id === 'FEED-RANGE-001')!.status, 'not_applicable', 'ranges need declared points');
  t.match(by['flat-reading']!.results.find((x) => x.id === 'FEED-RANGE-001')!.message, /^no points declared \(give the hub config that registers them with --config\)$/);
});

t.test('with declared points: unknown device, incompatible unit and a time 8 h ahead fail their clauses', async (t) => {
  const samples = join(dir, 'samples');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(samples);
  const base = { deviceId: 'GD-001', ts: NOW - 60_000, msgId: 'm-1', methane: 1.2, unit: '%LEL', status: 'normal' };
  writeFileSync(join(samples, '1-good.json'), JSON.stringify(base));
  writeFileSync(join(samples, '2-unknown.json'), JSON.stringify({ ...base, deviceId: 'GD-999' }));
  writeFileSync(join(samples, '3-unit.json'), JSON.stringify({ ...base, unit: 'bar' }));
  writeFileSync(join(samples, '4-ahead.json'), JSON.stringify({ ...base, ts: NOW + 8 * 3_600_000 }));
  const r = await runFeed({ profile: 'flat-reading', samples, config: hubYaml, now: NOW });
  t.same(status(r, 'fail'), ['FEED-MAP-002', 'FEED-UNIT-002', 'FEED-TIME-002']);
  t.equal(r.report.verdict, 'fail');
  const msg = (id: string) => r.report.results.find((x) => x.id === id)!.message;
  t.match(msg('FEED-MAP-002'), /1 of 4 reading\(s\) resolve to no declared point: UNKNOWN_DEVICE: no device has json_http identity "GD-999"/);
  t.match(msg('FEED-UNIT-002'), /cannot convert "bar"/);
  t.match(msg('FEED-TIME-002'), /4-ahead\.json methane 2026-11-25T11:00:00\.000Z \(8\.0 h ahead\)/);
  t.match(msg('FEED-COV-002'), /1\/3 declared point\(s\) covered; no sample for MH-0001-L, MH-0002-L/);
  t.equal(r.report.results.find((x) => x.id === 'FEED-RANGE-001')!.status, 'pass');
  t.ok(r.report.capability_statement.declared.includes('feed.points'));
});

t.test('CLI: lifeline conformance feed writes a signed report that verify accepts', async (t) => {
  const bin = fileURLToPath(new URL('../../bin/lifeline.js', import.meta.url));
  const key = join(dir, 'lab.key');
  writeFileSync(key, 'lab-secret\n');
  const out = join(dir, 'report');
  const r = await promisify(execFile)(process.execPath, [bin, 'conformance', 'feed', '--profile', 'senml', '--out', out, '--key-file', key, '--vendor', '示例厂商', '--product', 'SenML cloud', '--version', '2.1']);
  t.match(r.stdout, /Profile \*\*vendor-feed\*\*.*\*\*PASSED\*\*/);
  t.equal(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).subject.vendor, '示例厂商');
  const v = await promisify(execFile)(process.execPath, [bin, 'conformance', 'verify', out, '--key-file', key]);
  t.match(v.stdout, /verify: OK .*HMAC-SM3 signature valid; verdict pass/);
});
