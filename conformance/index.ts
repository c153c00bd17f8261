/**
 * The lifeline-hub conformance kit: the same clauses certify built-in and third-party adapters.
 * `runConformance(moduleOrDefinition, options)` returns a report; `conformanceSuite(t, …)` runs it inside tap.
 * @packageDocumentation
 */
import type { Test } from 'tap';
import type { AdapterDefinition } from '../hub/sdk/index.ts';
import { runConformance, type ConformanceOptions } from './runner.ts';

export { runConformance, allClauses, type ConformanceReport, type ConformanceOptions } from './runner.ts';
export { toMarkdown } from './report/markdown.ts';

/** One tap assertion per clause (MQTT.js abstractTest style): call it from an adapter's own tests. */
export async function conformanceSuite(t: Test, target: string | AdapterDefinition<never>, opts: ConformanceOptions = {}) {
  const report = await runConformance(target, opts);
  for (const r of report.results) t.equal(r.status, 'pass', `${r.id} ${r.title}: ${r.message}`);
  return report;
}

// Certification model, profiles and live-device runs (docs/certification.md).
export { clauseCatalogue, profiles, profileById, clauseById } from './profiles.ts';
export { resultOf, verdictOf, type ClauseSpec, type ClauseResult as CertClauseResult, type Profile, type Status, type Level, type Evidence } from './model.ts';
export { loadStatement, checkStatement, capabilitiesOf, type CapabilityStatement } from './capabilities.ts';
export { runHj212Device, type DeviceRunOptions, type DeviceRun } from './device/hj212/run.ts';
export { seal, verify, canonicalJson, type CertReport } from './report/model.ts';
export { toHtml } from './report/html.ts';
export { certToMarkdown } from './report/cert-markdown.ts';
// Modbus devices, vendor feeds and intermediate databases (docs/certification.md).
export { runModbusDevice, type ModbusRunOptions } from './device/modbus/run.ts';
export { runFeed, type FeedRunOptions } from './feed/run.ts';
export { runSqldb, type SqldbRunOptions } from './sqldb/run.ts';

// The adapter-contract profile (conformance/contract/; docs/certification.md, "Adapter contract").
export { runAdapterContract, type ContractRunOptions, type ContractRun } from './contract/run.ts';

/**
 * The adapter-contract profile inside tap: one assertion per clause (pass, or not applicable for a capability the
 * adapter does not have), and the capabilities it was judged with (`declared`), so a test cannot pass by skipping.
 */
export async function contractSuite(t: Test, adapter: AdapterDefinition<never>, declared: string[], opts: Omit<import('./contract/run.ts').ContractRunOptions, 'adapter'> = {}) {
  const { runAdapterContract } = await import('./contract/run.ts');
  const { report } = await runAdapterContract({ ...opts, adapter: adapter as AdapterDefinition });
  t.same(report.capability_statement.declared, [...declared].sort(), `judged with capabilities: ${declared.join(', ') || 'none'}`);
  for (const r of report.results) t.ok(r.status === 'pass' || r.status === 'not_applicable', `${r.id} ${r.title}: ${r.status} — ${r.message}`);
  t.equal(report.verdict, 'pass', `verdict (${report.started} → ${report.ended})`);
  return report;
}
