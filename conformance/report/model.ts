// The certification report every profile produces: header (product, capability statement, profile, kit and hub
// versions, start and end), per-clause status with evidence, the verdict, and integrity (SHA-256 of the report and
// of its evidence log; HMAC-SM3 with a lab's key). JSON is the record; HTML and Markdown are views of it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ClauseResult, Status } from '../model.ts';
import type { CapabilityStatement } from '../capabilities.ts';

/** One evidence-log event: bytes received or sent, a framing error, a connection, or a note. */
export interface LogEvent {
  n: number;
  /** Epoch ms. */
  t: number;
  kind: 'rx' | 'tx' | 'rx_error' | 'conn' | 'note';
  conn?: number;
  /** The frame as text (CR, LF and control bytes escaped), or the note. */
  text: string;
  /** Hex of the bytes when they are not printable ASCII. */
  hex?: string;
}

/** Version of the kit (clauses, profiles, report format); bumps when a clause's meaning changes. */
export const KIT_VERSION = '0.2.0';
export const REPORT_FORMAT = 'lifeline-conformance-report/1';

export interface ReportBody {
  format: typeof REPORT_FORMAT;
  kit: { name: 'lifeline conformance kit'; version: string };
  hub: { version: string };
  subject: { kind: string; vendor: string; product: string; model?: string; version: string; identity?: string; endpoint?: string };
  profile: { id: string; title: string; title_zh: string };
  capability_statement: { file?: string; sha256?: string; declared: string[]; statement: CapabilityStatement };
  started: string;
  ended: string;
  verdict: 'pass' | 'fail';
  summary: Record<Status, number> & { must_not_passed: string[] };
  results: ClauseResult[];
  evidence_log: { events: number; sha256: string; file: string };
}

export interface Integrity {
  /** SHA-256 (hex) of the canonical JSON of the report body (every field but `integrity`). */
  report_sha256: string;
  /** SHA-256 (hex) of the evidence log file (NDJSON), as in the body. */
  evidence_sha256: string;
  /** HMAC-SM3 (hex) of the same canonical JSON, with the lab's key (GB/T 32905 SM3, RFC 2104 HMAC). */
  signature?: { algorithm: 'HMAC-SM3'; value: string; key_id?: string };
}

export type CertReport = ReportBody & { integrity: Integrity };

/** JSON with object keys sorted at every level: the bytes the digest and signature cover. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
export const hmacSm3 = (key: Uint8Array | string, data: string) => createHmac('sm3', key).update(data).digest('hex');

/** The report with its integrity block; signed when a key is given. */
export function seal(body: ReportBody, key?: { key: Uint8Array | string; id?: string }): CertReport {
  const canon = canonicalJson(body);
  const integrity: Integrity = { report_sha256: sha256(canon), evidence_sha256: body.evidence_log.sha256 };
  if (key) integrity.signature = { algorithm: 'HMAC-SM3', value: hmacSm3(key.key, canon), ...(key.id ? { key_id: key.id } : {}) };
  return { ...body, integrity };
}

/** Checks a report (and its evidence log bytes, and the signature when a key is given); returns the problems found. */
export function verify(report: CertReport, evidence?: Uint8Array, key?: Uint8Array | string): string[] {
  const { integrity, ...body } = report;
  const problems: string[] = [];
  const canon = canonicalJson(body);
  if (sha256(canon) !== integrity?.report_sha256) problems.push('the report was changed after it was sealed (report_sha256 does not match)');
  if (integrity?.evidence_sha256 !== body.evidence_log?.sha256) problems.push('integrity.evidence_sha256 differs from evidence_log.sha256');
  if (evidence && sha256(evidence) !== body.evidence_log?.sha256) problems.push('the evidence log does not match evidence_log.sha256');
  if (key !== undefined) {
    const sig = integrity?.signature?.value;
    if (!sig) problems.push('the report is not signed');
    else {
      const want = Buffer.from(hmacSm3(key, canon), 'hex');
      const got = Buffer.from(sig, 'hex');
      if (got.length !== want.length || !timingSafeEqual(got, want)) problems.push('the HMAC-SM3 signature does not match (wrong key, or the report was changed)');
    }
  }
  return problems;
}
