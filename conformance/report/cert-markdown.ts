// The certification report as Markdown (same content as the JSON; the HTML page is the one for people).
import type { CertReport } from './model.ts';
import { STATUS_LABEL } from './html.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

export function certToMarkdown(r: CertReport): string {
  const s = r.summary;
  return [
    `# Conformance report: ${r.subject.vendor} ${r.subject.product} ${r.subject.version}`,
    '',
    `Profile **${r.profile.id}** (${r.profile.title_zh}). **${r.verdict === 'pass' ? 'PASSED' : 'FAILED'}**: ${s.pass} pass, ${s.fail} fail, ${s.warning} warning, ${s.not_applicable} not applicable.${s.must_not_passed.length ? ` MUST clauses not passed: ${s.must_not_passed.join(', ')}.` : ''}`,
    '',
    `- ${r.subject.identity ?? ''}${r.subject.model ? `, model ${r.subject.model}` : ''}; ${r.subject.endpoint ?? ''}`,
    `- capability statement ${r.capability_statement.file ?? '(inline)'}${r.capability_statement.sha256 ? ` (SHA-256 ${r.capability_statement.sha256})` : ''}: ${r.capability_statement.declared.join(', ')}`,
    `- ${r.kit.name} ${r.kit.version}, lifeline-hub ${r.hub.version}; ${r.started} → ${r.ended}`,
    `- report SHA-256 ${r.integrity.report_sha256}; evidence log ${r.evidence_log.file} SHA-256 ${r.integrity.evidence_sha256}${r.integrity.signature ? `; ${r.integrity.signature.algorithm} ${r.integrity.signature.value}` : '; not signed'}`,
    '',
    '| Clause | Level | Title | Result | Finding |',
    '|---|---|---|---|---|',
    ...r.results.map((c) => `| ${c.id} | ${c.level} | ${cell(c.title)} | ${c.status === 'fail' ? '**FAIL**' : STATUS_LABEL[c.status].en} | ${cell(c.message)}${c.evidence.length ? ` (evidence: ${c.evidence.filter((e) => e.event !== undefined).slice(0, 5).map((e) => `#${e.event}`).join(' ') || c.evidence.length})` : ''} |`),
    '',
  ].join('\n');
}
