// The certification model, shared by every profile: clauses as data (id, title, traced clause, level, the
// capabilities they need), results with evidence, and profiles that group clauses. Adapter packaging, HJ 212
// devices and (next) Modbus devices, feeds and intermediate databases all report in these terms.

/** RFC 2119 keywords, as the standards' own "应" / "宜" / "可". */
export type Level = 'MUST' | 'SHOULD' | 'MAY';

/** A clause that was run: pass, fail, warning (deviation or inconclusive), or not applicable (capability not declared). */
export type Status = 'pass' | 'fail' | 'warning' | 'not_applicable';

/** One clause of the catalogue: data only, readable without running anything (the docs page is generated from it). */
export interface ClauseSpec {
  /** Stable id: AREA-NNN for the SDK contract (MANIFEST-001), PROTOCOL-AREA-NNN for protocols (HJ212-FRAME-003). */
  id: string;
  title: string;
  /** Chinese title for the bilingual report. */
  title_zh: string;
  /** What it traces to: a clause of a standard (HJ 212-2017 §6.3, Appendix A; GB/T 19582) or the hub's SDK contract. */
  traces: string;
  level: Level;
  /** Capabilities the subject must declare for the clause to apply (all of them); none: always applies. */
  needs: string[];
  /** How the kit checks it, in one or two sentences (goes in the catalogue). */
  method: string;
}

/** One piece of evidence: a frame (by its number in the evidence log), a value, a timing or a note. */
export interface Evidence {
  kind: 'frame' | 'value' | 'timing' | 'note';
  /** Evidence-log event number, when it points at a frame received or sent. */
  event?: number;
  text: string;
}

export interface ClauseResult {
  id: string;
  title: string;
  title_zh: string;
  traces: string;
  level: Level;
  status: Status;
  /** One line a person can act on. */
  message: string;
  evidence: Evidence[];
}

/** A profile: what a product of one kind must show. */
export interface Profile {
  id: string;
  title: string;
  title_zh: string;
  /** The subject it certifies, e.g. an HJ 212 data collector (数采仪). */
  subject: string;
  clauses: string[];
}

/** The outcome a check hands back before the spec's fields are attached. */
export interface Outcome { status: Status; message: string; evidence?: Evidence[] }

export const passed = (message = 'ok', evidence: Evidence[] = []): Outcome => ({ status: 'pass', message, evidence });
export const failed = (message: string, evidence: Evidence[] = []): Outcome => ({ status: 'fail', message, evidence });
export const warned = (message: string, evidence: Evidence[] = []): Outcome => ({ status: 'warning', message, evidence });

/** The capabilities a clause needs that the statement does not declare (empty: the clause applies). */
export function missingCapabilities(spec: ClauseSpec, declared: ReadonlySet<string>): string[] {
  return spec.needs.filter((c) => !declared.has(c));
}

/** Result of `spec` given an outcome; a clause whose capability is not declared is "not applicable", never "pass". */
export function resultOf(spec: ClauseSpec, declared: ReadonlySet<string>, outcome: () => Outcome | undefined): ClauseResult {
  const base = { id: spec.id, title: spec.title, title_zh: spec.title_zh, traces: spec.traces, level: spec.level };
  const missing = missingCapabilities(spec, declared);
  if (missing.length) return { ...base, status: 'not_applicable', message: `not declared in the capability statement: ${missing.join(', ')}`, evidence: [] };
  const o = outcome() ?? { status: 'warning' as const, message: 'the kit produced no finding for this clause (not exercised in this run)' };
  // A broken SHOULD (or MAY) is a warning: reported with its evidence, never blocking the verdict.
  if (o.status === 'fail' && spec.level !== 'MUST') return { ...base, status: 'warning', message: `${spec.level} not met: ${o.message}`, evidence: o.evidence ?? [] };
  return { ...base, status: o.status, message: o.message, evidence: o.evidence ?? [] };
}

/** Verdict: pass only when every MUST clause that applies passed (warning and fail on a MUST both block). */
export function verdictOf(results: ClauseResult[]): 'pass' | 'fail' {
  return results.every((r) => r.level !== 'MUST' || r.status === 'pass' || r.status === 'not_applicable') ? 'pass' : 'fail';
}

export function countByStatus(results: ClauseResult[]): Record<Status, number> {
  const out: Record<Status, number> = { pass: 0, fail: 0, warning: 0, not_applicable: 0 };
  for (const r of results) out[r.status]++;
  return out;
}
