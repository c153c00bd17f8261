// What the Modbus-device, feed and intermediate-database profiles share: an evidence log (NDJSON, one event per
// request, answer or note) and the sealed report in the same format as the HJ 212 device profile.
import { hubVersion } from '../../hub/version.ts';
import { checkStatement, loadStatement, type CapabilityStatement } from '../capabilities.ts';
import { clauseById, profileById } from '../profiles.ts';
import { countByStatus, missingCapabilities, resultOf, verdictOf, type Evidence, type Outcome } from '../model.ts';
import { KIT_VERSION, REPORT_FORMAT, seal, sha256, type CertReport, type LogEvent, type ReportBody } from '../report/model.ts';

/** The evidence log of one run: numbered events the clauses' evidence points at. */
export class EvidenceLog {
  readonly events: LogEvent[] = [];
  constructor(private readonly now: () => number = Date.now) {}

  add(kind: LogEvent['kind'], text: string, hex?: Uint8Array): number {
    const n = this.events.length + 1;
    this.events.push({ n, t: this.now(), kind, text, ...(hex ? { hex: Buffer.from(hex).toString('hex') } : {}) });
    return n;
  }

  note(text: string): number { return this.add('note', text); }

  /** Evidence pointing at event `n`. */
  static at(n: number, text: string, kind: Evidence['kind'] = 'frame'): Evidence { return { kind, event: n, text }; }

  ndjson(): string { return this.events.map((e) => JSON.stringify(e)).join('\n') + '\n'; }
}

export interface LiveRun { report: CertReport; evidence: string }

/** The product under test: from a capability statement file when given, else from what the command line knows. */
export function productStatement(file: string | undefined, fallback: CapabilityStatement['product']): { statement: CapabilityStatement; file?: string; sha256?: string } {
  if (file) return loadStatement(file);
  return { statement: checkStatement({ product: fallback }, 'product') };
}

export interface SealOptions {
  profile: string;
  subject: ReportBody['subject'];
  statement: { statement: CapabilityStatement; file?: string; sha256?: string };
  /** Capabilities this run declares (from the inputs it was given). */
  declared: Set<string>;
  outcomes: Map<string, Outcome>;
  started: number;
  ended: number;
  log: EvidenceLog;
  key?: { key: Uint8Array | string; id?: string };
  /** Why a capability is missing, in the command's terms (these profiles declare capabilities from their inputs). */
  explain?: Record<string, string>;
}

/** Runs every clause of the profile against the outcomes found, and seals the report. */
export function sealLive(o: SealOptions): LiveRun {
  const profile = profileById(o.profile);
  const results = profile.clauses.map((id) => {
    const spec = clauseById(id);
    const r = resultOf(spec, o.declared, () => o.outcomes.get(id));
    const why = r.status === 'not_applicable' ? missingCapabilities(spec, o.declared).map((c) => o.explain?.[c]).filter(Boolean) : [];
    return why.length ? { ...r, message: why.join('; ') } : r;
  });
  const evidence = o.log.ndjson();
  const counts = countByStatus(results);
  const report = seal({
    format: REPORT_FORMAT,
    kit: { name: 'lifeline conformance kit', version: KIT_VERSION },
    hub: { version: hubVersion },
    subject: o.subject,
    profile: { id: profile.id, title: profile.title, title_zh: profile.title_zh },
    capability_statement: { file: o.statement.file, sha256: o.statement.sha256, declared: [...o.declared].sort(), statement: o.statement.statement },
    started: new Date(o.started).toISOString(),
    ended: new Date(o.ended).toISOString(),
    verdict: verdictOf(results),
    summary: { ...counts, must_not_passed: results.filter((r) => r.level === 'MUST' && r.status !== 'pass' && r.status !== 'not_applicable').map((r) => r.id) },
    results,
    evidence_log: { events: o.log.events.length, sha256: sha256(evidence), file: 'evidence.ndjson' },
  }, o.key);
  return { report, evidence };
}

/** Quantiles of a list of numbers (ms), for response-time messages. */
export function quantile(xs: number[], q: number): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** "a, b, c and 4 more" */
export function listSome(xs: string[], n = 5): string {
  return xs.length <= n ? xs.join(', ') : `${xs.slice(0, n).join(', ')} and ${xs.length - n} more`;
}
