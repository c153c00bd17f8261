// The adapter-contract profile (docs/certification.md, "Adapter contract") on every built-in adapter, with real peers
// (Mosquitto, PostgreSQL, TCP and HTTP sockets, the Modbus and OPC UA simulators), and on the two sample adapters: the
// broken one (ACK before commit, errors swallowed) fails with exactly those findings; the good one passes through
// `lifeline conformance adapter PATH --out --key-file` with a report that verifies. The runs share one store and run
// side by side: each waits mostly on its source, so together they take about as long as the slowest.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinAdapters } from '../../adapters/index.ts';
import type { AdapterDefinition } from '../../hub/sdk/index.ts';
import { runAdapterContract, openContractHost, type ContractRun } from '../contract/run.ts';
import { adapterCommand } from '../contract/cli.ts';
import { ACKS, OUTAGE } from '../contract/clauses.ts';
import { verify, type CertReport } from '../report/model.ts';
import { needService, postgresUp, PG_ADMIN_URL } from '../../test/helpers/services.ts';
import { mosquittoUp, SYSTEM_BROKER } from '../../adapters/json_mqtt/test/fixtures/broker.ts';
import broken from '../contract/samples/broken-line-adapter.ts';

/** What each built-in is judged with: acknowledging adapters get CONTRACT-001, pollers/subscribers the outage clause. */
const expected: Record<string, { declared: string[]; needs?: 'mqtt' | 'postgres' }> = {
  hj212: { declared: [ACKS] },
  json_http: { declared: [ACKS] },
  json_mqtt: { declared: [ACKS, OUTAGE], needs: 'mqtt' },
  sql_poll: { declared: [ACKS, OUTAGE], needs: 'postgres' },
  modbus_tcp: { declared: [OUTAGE] },
  opc_ua: { declared: [OUTAGE] },
};
t.same(Object.keys(builtinAdapters).sort(), Object.keys(expected).sort(), 'every built-in adapter runs the contract here');

/** When each phase began (ms from the start of the run): where the time went, in the test output. */
const timeline = (evidence: string, t0: number) => evidence.trim().split('\n').map((l) => JSON.parse(l) as { t: number; text: string })
  .filter((e) => /^(adapter .* started|warm-up done|phase|outage: source back|a new instance)/.test(e.text)).map((e) => `${e.text.replace(/^phase (CONTRACT-\d+).*/, '$1').replace(/^adapter .*/, 'started').replace(/ after .*|: source back.*| started$/g, '')} @${e.t - t0}`).join(', ');

const up = { mqtt: await mosquittoUp(), postgres: await postgresUp() };
const host = await openContractHost();
t.teardown(() => host.close());
const services = { mqttUrl: SYSTEM_BROKER, postgresUrl: PG_ADMIN_URL };
const out = mkdtempSync(join(tmpdir(), 'lifeline-contract-cli-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));
writeFileSync(join(out, 'lab.key'), 'lab-secret\n');

// Every adapter and driver module is loaded before the first run starts: loading one (node-opcua above all) holds the
// event loop for a while, which would stretch the other runs' timings.
const defs = new Map<string, AdapterDefinition>();
for (const id of Object.keys(expected)) {
  const def = (await builtinAdapters[id]!()).default as AdapterDefinition;
  await def.manifest.conformance!.driver();
  defs.set(id, def);
}
await broken.manifest.conformance!.driver();
const runs = new Map<string, Promise<ContractRun | undefined>>();
for (const [id, e] of Object.entries(expected)) {
  runs.set(id, e.needs && !up[e.needs] ? Promise.resolve(undefined) : runAdapterContract({ adapter: defs.get(id)!, host, services, vendor: 'lifeline-hub' }));
}
const brokenRun = runAdapterContract({ adapter: broken as unknown as AdapterDefinition, host });
let printed = '';
const cli = adapterCommand([fileURLToPath(new URL('../contract/samples/line-adapter.ts', import.meta.url)), '--out', join(out, 'report'), '--key-file', join(out, 'lab.key'), '--vendor', 'Example Co.'], { host, print: (x) => { printed += x; }, log: () => undefined });

for (const [id, e] of Object.entries(expected)) {
  t.test(`${id} passes the adapter-contract profile`, async (t) => {
    if (e.needs && !needService(t, e.needs === 'mqtt' ? 'Mosquitto' : 'PostgreSQL', up[e.needs])) return;
    const { report, evidence } = (await runs.get(id)!)!;
    t.same(report.capability_statement.declared, [...e.declared].sort(), `judged with: ${e.declared.join(', ')}`);
    for (const r of report.results) t.ok(r.status === 'pass' || r.status === 'not_applicable', `${r.id} ${r.title}: ${r.status} — ${r.message}`);
    t.equal(report.verdict, 'pass');
    t.comment(`${id}: ${Date.parse(report.ended) - Date.parse(report.started)} ms; ${timeline(evidence, Date.parse(report.started))}`);
    if (!evidence.includes('warm-up done')) t.comment(evidence.split('\n').slice(0, 12).join('\n'));
  });
}

t.test('broken_line_tcp fails: acknowledged before commit, swallowed errors lose readings', async (t) => {
  const { report } = await brokenRun;
  t.comment(`broken_line_tcp: ${Date.parse(report.ended) - Date.parse(report.started)} ms`);
  const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
  t.equal(report.verdict, 'fail');
  t.same(report.summary.must_not_passed, ['CONTRACT-001', 'CONTRACT-003', 'CONTRACT-004', 'CONTRACT-005', 'CONTRACT-007'], 'exactly these clauses fail');
  t.match(byId['CONTRACT-001']!.message, /acknowledged before they were committed/);
  for (const id of ['CONTRACT-003', 'CONTRACT-004', 'CONTRACT-005']) t.match(byId[id]!.message, /^acknowledged but never stored: seq [\d, ]+ \(an ingest error was swallowed\)$/, `${id}: the swallowed error`);
  t.match(byId['CONTRACT-007']!.message, /acknowledged but not committed when stop\(\) resolved/);
  t.ok(byId['CONTRACT-001']!.evidence.some((e) => e.event !== undefined && /NOT committed/.test(e.text)), 'the premature acknowledgement is in the evidence');
  t.ok(byId['CONTRACT-003']!.evidence.some((e) => /the kit fails it \(retryable\)/.test(e.text)), 'so is the ingest call the kit failed');
  t.equal(byId['CONTRACT-008']!.status, 'not_applicable', 'a listener has no source to lose');
  for (const id of ['CONTRACT-002', 'CONTRACT-006', 'CONTRACT-009', 'CONTRACT-010']) t.equal(byId[id]!.status, 'pass', `${id} passes: ${byId[id]!.message}`);
});

t.test('line_tcp passes through `lifeline conformance adapter PATH --out --key-file`', async (t) => {
  t.equal(await cli, 0, 'exit code 0');
  t.match(printed, /Profile \*\*adapter-contract\*\*.*\*\*PASSED\*\*/);
  const report = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')) as CertReport;
  t.equal(report.subject.vendor, 'Example Co.');
  t.same(verify(report, readFileSync(join(out, 'report', 'evidence.ndjson')), 'lab-secret'), [], 'digests and HMAC-SM3 signature verify');
  t.match(verify(report, undefined, 'other-key'), [/signature does not match/]);
  t.match(readFileSync(join(out, 'report', 'report.html'), 'utf8'), /CONTRACT-001/);
});

t.test('static checks: an unregistered code, a missing or stale docs page; no driver', async (t) => {
  const { scanCodes, codesProblems, docsProblem } = await import('../contract/static-checks.ts');
  const codes = new Map<string, string>();
  scanCodes({ level: 50, err: { type: 'LifelineError', code: 'STORE_COMMIT_FAILED' } }, 'logged', codes);
  scanCodes({ detail: { last_error: { code: 'ACME_WIRE_BROKEN' } }, device: { code: 'WS-001' } }, 'health', codes);
  scanCodes({ err: { code: 'ERR_SOCKET_CLOSED' } }, 'logged', codes);
  t.same([...codes.keys()].sort(), ['ACME_WIRE_BROKEN', 'ERR_SOCKET_CLOSED', 'STORE_COMMIT_FAILED'], 'UPPER_SNAKE code fields only');
  t.same(codesProblems(codes, []), [{ code: 'ACME_WIRE_BROKEN', where: 'health' }], "Node's ERR_ codes are causes, not the adapter's");
  t.same(codesProblems(codes, ['ACME_WIRE_BROKEN']), [], 'registered by the driver');
  const m = broken.manifest;
  t.match(docsProblem(m).problem, /does not exist/, 'a plugin that names no page has none');
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-contract-docs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const page = join(dir, 'x.md');
  writeFileSync(page, '# x\n\n<!-- config:start -->\n| Key |\n<!-- config:end -->\n');
  t.match(docsProblem(m, page).problem, /does not match manifest.configSchema/);
  writeFileSync(page, '# x\n');
  t.match(docsProblem(m, page).problem, /no generated config table/);
  await t.rejects(runAdapterContract({ adapter: { manifest: { ...m, conformance: undefined }, create: broken.create } as never, host }), { code: 'CONFORMANCE_INVALID', message: /declares no contract driver/ });
});
