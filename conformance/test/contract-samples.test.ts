// The adapter-contract profile on the two sample adapters: the broken one (ACK before commit, errors swallowed) fails
// with exactly those findings; the good one passes through the CLI, with a signed report that verifies.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAdapterContract } from '../index.ts';
import { verify, type CertReport } from '../report/model.ts';
import broken from '../contract/samples/broken-line-adapter.ts';

t.test('broken_line_tcp fails: acknowledged before commit, swallowed errors lose readings', async (t) => {
  const { report } = await runAdapterContract({ adapter: broken as never });
  const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
  t.equal(report.verdict, 'fail');
  t.same(report.summary.must_not_passed, ['CONTRACT-001', 'CONTRACT-003', 'CONTRACT-004', 'CONTRACT-005', 'CONTRACT-007'], 'exactly these clauses fail');
  t.match(byId['CONTRACT-001']!.message, /acknowledged before they were committed/);
  for (const id of ['CONTRACT-003', 'CONTRACT-004', 'CONTRACT-005']) t.match(byId[id]!.message, /acknowledged but never stored: seq \d+.*swallowed/, `${id}: the swallowed error`);
  t.match(byId['CONTRACT-007']!.message, /acknowledged but not committed when stop\(\) resolved/);
  t.ok(byId['CONTRACT-001']!.evidence.some((e) => e.event !== undefined && /NOT committed/.test(e.text)), 'the premature acknowledgement is in the evidence');
  t.equal(byId['CONTRACT-008']!.status, 'not_applicable', 'a listener has no source to lose');
  for (const id of ['CONTRACT-002', 'CONTRACT-006', 'CONTRACT-009', 'CONTRACT-010']) t.equal(byId[id]!.status, 'pass', `${id} passes: ${byId[id]!.message}`);
});

t.test('line_tcp passes through `lifeline conformance adapter PATH --out --key-file`', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-contract-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'lab.key'), 'lab-secret\n');
  const bin = fileURLToPath(new URL('../../bin/lifeline.js', import.meta.url));
  const sample = fileURLToPath(new URL('../contract/samples/line-adapter.ts', import.meta.url));
  const r = spawnSync(process.execPath, [bin, 'conformance', 'adapter', sample, '--out', join(dir, 'out'), '--key-file', join(dir, 'lab.key'), '--vendor', 'Example Co.'], { encoding: 'utf8', env: { ...process.env, LIFELINE_RUN: 'ts' } });
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr.slice(-400)})`);
  t.match(r.stdout, /Profile \*\*adapter-contract\*\*.*\*\*PASSED\*\*/);
  const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as CertReport;
  t.equal(report.subject.vendor, 'Example Co.');
  t.same(verify(report, readFileSync(join(dir, 'out', 'evidence.ndjson')), 'lab-secret'), [], 'digests and HMAC-SM3 signature verify');
  t.match(verify(report, undefined, 'other-key'), [/signature does not match/]);
  t.match(readFileSync(join(dir, 'out', 'report.html'), 'utf8'), /CONTRACT-001/);
});

t.test('static checks: an unregistered code, a missing or stale docs page; no driver', async (t) => {
  const { scanCodes, codesProblems, docsProblem } = await import('../contract/static-checks.ts');
  const codes = new Map<string, string>();
  scanCodes({ level: 50, err: { type: 'LifelineError', code: 'STORE_COMMIT_FAILED' } }, 'logged', codes);
  scanCodes({ detail: { last_error: { code: 'ACME_WIRE_BROKEN' } }, device: { code: 'WS-001' } }, 'health', codes);
  scanCodes({ err: { code: 'ERR_SOCKET_CLOSED' } }, 'logged', codes);
  t.same([...codes.keys()].sort(), ['ACME_WIRE_BROKEN', 'ERR_SOCKET_CLOSED', 'STORE_COMMIT_FAILED'], 'UPPER_SNAKE code fields only');
  t.same(codesProblems(codes, []), [{ code: 'ACME_WIRE_BROKEN', where: 'health' }]);
  t.same(codesProblems(codes, ['ACME_WIRE_BROKEN']), [], 'registered by the driver');
  const m = broken.manifest;
  t.equal(docsProblem(m).problem?.includes('does not exist'), true, 'a plugin without a page names none');
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-contract-docs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const page = join(dir, 'x.md');
  writeFileSync(page, '# x\n\n<!-- config:start -->\n| Key |\n<!-- config:end -->\n');
  t.match(docsProblem(m, page).problem, /does not match manifest.configSchema/);
  writeFileSync(page, '# x\n');
  t.match(docsProblem(m, page).problem, /no generated config table/);
  const { manifest } = broken;
  await t.rejects(runAdapterContract({ adapter: { manifest: { ...manifest, conformance: undefined }, create: broken.create } as never }), { code: 'CONFORMANCE_INVALID', message: /declares no contract driver/ });
});
