// The certification report as one self-contained HTML page (inline CSS, no script, no external asset), in
// Chinese and English: header, verdict, summary, one row per clause with its evidence, integrity block.
import type { CertReport, LogEvent } from './model.ts';
import type { Status } from '../model.ts';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
export const STATUS_LABEL: Record<Status, { zh: string; en: string }> = {
  pass: { zh: '通过', en: 'pass' }, fail: { zh: '不通过', en: 'fail' }, warning: { zh: '警告', en: 'warning' }, not_applicable: { zh: '不适用', en: 'not applicable' },
};
const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');

const CSS = `
body{font:14px/1.45 system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#1b1f24;background:#f4f5f7}
main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub{color:#57606a;margin:0 0 16px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
.head td:first-child{width:28%;color:#57606a}
.verdict{display:inline-block;font-size:18px;font-weight:700;padding:6px 14px;border-radius:6px;margin:8px 0}
.v-pass{background:#dafbe1;color:#116329}.v-fail{background:#ffebe9;color:#a40e26}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.s-pass{background:#dafbe1;color:#116329}.s-fail{background:#ffebe9;color:#a40e26}.s-warning{background:#fff8c5;color:#7d4e00}.s-not_applicable{background:#eaeef2;color:#57606a}
.lvl-MUST{font-weight:700}
.zh{color:#57606a;display:block}
details{margin-top:4px}summary{cursor:pointer;color:#0969da}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:6px;margin:4px 0;font:12px/1.4 ui-monospace,Consolas,monospace}
.mono{font-family:ui-monospace,Consolas,monospace;font-size:12px;word-break:break-all}
.counts span{margin-right:14px}
.cid{white-space:nowrap;word-break:normal}
footer{margin-top:28px;color:#57606a;font-size:12px}
`;

export function toHtml(r: CertReport, events: LogEvent[] = []): string {
  const byN = new Map(events.map((e) => [e.n, e]));
  const s = r.summary;
  const row = (zh: string, en: string, v: string) => `<tr><td>${esc(zh)} / ${esc(en)}</td><td>${v}</td></tr>`;
  const ev = (x: CertReport['results'][number]['evidence'][number]) => {
    const e = x.event !== undefined ? byN.get(x.event) : undefined;
    const frame = e ? `<pre>#${e.n} ${esc(e.kind)} ${esc(time(e.t))}\n${esc(e.text.length > 600 ? `${e.text.slice(0, 600)}…` : e.text)}</pre>` : '';
    return `<li>${x.event !== undefined ? `<b>#${x.event}</b> ` : ''}[${esc(x.kind)}] ${esc(x.text)}${frame}</li>`;
  };
  const clauseRows = r.results.map((c) => `<tr>
<td class="mono cid">${esc(c.id)}</td><td class="lvl-${esc(c.level)}">${esc(c.level)}</td>
<td>${esc(c.title)}<span class="zh">${esc(c.title_zh)}</span><span class="zh">${esc(c.traces)}</span></td>
<td><span class="badge s-${esc(c.status)}">${esc(STATUS_LABEL[c.status].zh)} ${esc(STATUS_LABEL[c.status].en)}</span></td>
<td>${esc(c.message)}${c.evidence.length ? `<details><summary>证据 / evidence (${c.evidence.length})</summary><ul>${c.evidence.map(ev).join('')}</ul></details>` : ''}</td></tr>`).join('\n');
  const sig = r.integrity.signature;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>一致性测试报告 Conformance report — ${esc(r.subject.product)} ${esc(r.subject.version)}</title>
<style>${CSS}</style></head>
<body><main>
<h1>一致性测试报告 · Conformance test report</h1>
<p class="sub">${esc(r.profile.title_zh)} · ${esc(r.profile.title)} (<span class="mono">${esc(r.profile.id)}</span>)</p>
<div class="verdict v-${esc(r.verdict)}">结论 Verdict: ${r.verdict === 'pass' ? '通过 PASS' : '不通过 FAIL'}</div>
<p class="counts"><span>通过 pass <b>${s.pass}</b></span><span>不通过 fail <b>${s.fail}</b></span><span>警告 warning <b>${s.warning}</b></span><span>不适用 not applicable <b>${s.not_applicable}</b></span></p>
${s.must_not_passed.length ? `<p>未通过的“应”条款 MUST clauses not passed: <span class="mono">${esc(s.must_not_passed.join(', '))}</span></p>` : '<p>所有适用的“应”条款均通过 · Every applicable MUST clause passed.</p>'}
<h2>被测产品与测试条件 · Product and test conditions</h2>
<table class="head">
${row('厂商', 'Vendor', esc(r.subject.vendor))}
${row('产品', 'Product', `${esc(r.subject.product)}${r.subject.model ? ` (${esc(r.subject.model)})` : ''}`)}
${row('版本', 'Version', esc(r.subject.version))}
${r.subject.identity ? row('标识', 'Identity', `<span class="mono">${esc(r.subject.identity)}</span>`) : ''}
${r.subject.endpoint ? row('连接', 'Connection', esc(r.subject.endpoint)) : ''}
${row('测试规范', 'Profile', `${esc(r.profile.title_zh)} / ${esc(r.profile.title)} <span class="mono">${esc(r.profile.id)}</span>`)}
${row('能力声明', 'Capability statement', `${esc(r.capability_statement.file ?? '(inline)')}${r.capability_statement.sha256 ? `<br><span class="mono">SHA-256 ${esc(r.capability_statement.sha256)}</span>` : ''}<br><span class="mono">${esc(r.capability_statement.declared.join(', '))}</span>`)}
${row('测试工具', 'Kit', `${esc(r.kit.name)} ${esc(r.kit.version)}; lifeline-hub ${esc(r.hub.version)}`)}
${row('开始', 'Started', esc(r.started))}
${row('结束', 'Ended', esc(r.ended))}
</table>
<h2>条款结果 · Results by clause</h2>
<table class="results"><thead><tr><th>条款 Clause</th><th>等级 Level</th><th>标题 Title · 依据 Traces to</th><th>结果 Result</th><th>说明与证据 Finding and evidence</th></tr></thead>
<tbody>
${clauseRows}
</tbody></table>
<h2>完整性 · Integrity</h2>
<table class="head">
${row('报告摘要', 'Report SHA-256', `<span class="mono">${esc(r.integrity.report_sha256)}</span>`)}
${row('证据日志', 'Evidence log', `${esc(r.evidence_log.file)} · ${r.evidence_log.events} events<br><span class="mono">SHA-256 ${esc(r.integrity.evidence_sha256)}</span>`)}
${row('签名', 'Signature', sig ? `${esc(sig.algorithm)}${sig.key_id ? ` (key ${esc(sig.key_id)})` : ''}<br><span class="mono">${esc(sig.value)}</span>` : '未签名 not signed')}
</table>
<footer>摘要覆盖 report.json 中除 integrity 以外的全部内容（键排序的规范 JSON）· The digest covers every field of report.json except integrity (canonical JSON, sorted keys). 验证 Verify: <span class="mono">lifeline conformance verify DIR [--key-file FILE]</span></footer>
</main></body></html>
`;
}
