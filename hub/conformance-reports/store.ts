// Conformance reports the hub keeps (docs/certification.md#reports-on-the-hub): a folder, one sub-folder per report as
// the kit writes it with `--out` (report.json and its evidence log). The folder is the store: a lab copies a report in,
// or runs the kit with --out pointing there; nothing to import, and what the hub lists is what is on disk.
// Each report is checked as it is read: its SHA-256 and its evidence log's (the signature needs the lab's key, which
// the hub does not hold: it says whether there is one).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verify, type CertReport } from '../../conformance/report/model.ts';
import type { ConformanceReport } from '../../schemas/generated/types.ts';
import { LifelineError } from '../sdk/errors.ts';

/** Folder names that are report ids: no path separators, no dot-files. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

const notFound = (id: string) => new LifelineError('CONFORMANCE_REPORT_NOT_FOUND', `no conformance report "${id.slice(0, 80)}" (GET /v1/conformance/reports lists them)`);

/** One report as listed (and, with `results`, as shown whole); null when the folder holds no readable report. */
function load(dir: string, id: string, withResults: boolean): ConformanceReport | null {
  let report: CertReport;
  try { report = JSON.parse(readFileSync(join(dir, id, 'report.json'), 'utf8')) as CertReport; } catch { return null; }
  if (!report || typeof report !== 'object' || typeof report.format !== 'string' || !report.format.startsWith('lifeline-conformance-report/')) return null;
  let evidence: Buffer | undefined;
  const evidenceFile = typeof report.evidence_log?.file === 'string' && ID.test(report.evidence_log.file) ? report.evidence_log.file : 'evidence.ndjson';
  try { evidence = readFileSync(join(dir, id, evidenceFile)); } catch { /* checked below: the log is missing */ }
  const problems = verify(report, evidence);
  if (!evidence) problems.push(`the evidence log ${evidenceFile} is missing`);
  const sig = report.integrity?.signature;
  const s = report.summary ?? ({} as CertReport['summary']);
  return {
    id, format: report.format, kit_version: report.kit?.version, hub_version: report.hub?.version,
    verdict: report.verdict, subject: report.subject, profile: report.profile, started: report.started, ended: report.ended,
    summary: { pass: s.pass ?? 0, fail: s.fail ?? 0, warning: s.warning ?? 0, not_applicable: s.not_applicable ?? 0, must_not_passed: s.must_not_passed ?? [] },
    integrity: {
      intact: problems.length === 0, problems, report_sha256: report.integrity?.report_sha256, signed: !!sig?.value,
      ...(sig?.value ? { algorithm: sig.algorithm, ...(sig.key_id ? { key_id: sig.key_id } : {}) } : {}),
    },
    ...(withResults ? { results: report.results ?? [] } : {}),
  };
}

/** Every report in `dir`, newest run first (a missing folder: none yet). */
export function listReports(dir: string): ConformanceReport[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  const out: ConformanceReport[] = [];
  for (const n of names) {
    if (!ID.test(n)) continue;
    try { if (!statSync(join(dir, n)).isDirectory()) continue; } catch { continue; }
    const r = load(dir, n, false);
    if (r) out.push(r);
  }
  return out.sort((a, b) => (b.ended ?? '').localeCompare(a.ended ?? '') || a.id.localeCompare(b.id));
}

/** One report with every clause's result; CONFORMANCE_REPORT_NOT_FOUND when there is none by that id. */
export function readReport(dir: string, id: string): ConformanceReport {
  if (!ID.test(id)) throw notFound(id);
  const r = load(dir, id, true);
  if (!r) throw notFound(id);
  return r;
}
