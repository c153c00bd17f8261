import type { ConformanceReport } from '../runner.ts';

/** The certification report a vendor hands in (the JSON form is the same object). */
export function toMarkdown(r: ConformanceReport): string {
  const lines = [
    `# Conformance report: ${r.adapter} ${r.version}`,
    '',
    `lifeline-hub ${r.hub}, ${r.at}. **${r.failed === 0 ? 'PASSED' : 'FAILED'}**: ${r.passed} passed, ${r.failed} failed.`,
    '',
    '| Clause | Title | Result | Detail |',
    '|---|---|---|---|',
    ...r.results.map((x) => `| ${x.id} | ${x.title} | ${x.status === 'pass' ? 'pass' : '**FAIL**'} | ${x.message.replace(/\|/g, '\\|')} |`),
    '',
  ];
  return lines.join('\n');
}
