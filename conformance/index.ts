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
