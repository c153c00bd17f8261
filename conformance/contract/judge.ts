// Judging one delivery phase of the adapter contract over the whole run: lost (acknowledged, never stored), doubled,
// quarantined (a driver whose registry does not fit), phantoms, never acknowledged, or (without acknowledgements)
// an adapter that stopped ingesting.
import { passed, failed, type Outcome, type Evidence } from '../model.ts';
import type { LogEvent } from '../report/model.ts';
import type { Fault } from './fault.ts';

export interface Phase { clause: string; title: string; faults: Fault[]; slow: boolean; seqs: number[]; notAcked: number[]; events: number[] }

export function judgePhase(ph: Phase, s: { acks: boolean; acked: Map<number, number>; stored: Map<number, { count: number; event: number }>; quarantined: Map<number, string>; phantoms: Array<{ value: unknown; event: number }>; faults: number[]; log: LogEvent[] }): Outcome {
  const ev = (e: number): Evidence => ({ kind: 'note', event: e, text: s.log[e - 1]!.text });
  const lost = s.acks ? ph.seqs.filter((q) => s.acked.has(q) && !s.stored.has(q) && !s.quarantined.has(q)) : [];
  const quarantined = ph.seqs.filter((q) => s.quarantined.has(q));
  const doubled = ph.seqs.filter((q) => (s.stored.get(q)?.count ?? 0) > 1);
  const problems: string[] = [];
  const evidence: Evidence[] = [...ph.events, ...s.faults].map(ev);
  if (lost.length) { problems.push(`acknowledged but never stored: seq ${lost.join(', ')} (an ingest error was swallowed)`); evidence.push(...lost.map((q) => ev(s.acked.get(q)!))); }
  if (doubled.length) { problems.push(`stored more than once: seq ${doubled.join(', ')}`); evidence.push(...doubled.map((q) => ev(s.stored.get(q)!.event))); }
  if (quarantined.length) problems.push(`quarantined instead of stored: seq ${quarantined.map((q) => `${q} (${s.quarantined.get(q)})`).join(', ')} — the driver's registry does not fit the readings the adapter makes`);
  if (s.phantoms.length) { problems.push(`stored readings the source never sent (phantoms), values ${s.phantoms.slice(0, 5).map((p) => JSON.stringify(p.value)).join(', ')}`); evidence.push(...s.phantoms.slice(0, 5).map((p) => ev(p.event))); }
  if (ph.notAcked.length) problems.push(`seq ${ph.notAcked.join(', ')} never acknowledged within 7 s, though the source resent them (an error handled by dropping the data?)`);
  if (!s.acks && !ph.seqs.slice(1).some((q) => s.stored.has(q))) problems.push(`none of the readings after the first (seq ${ph.seqs.slice(1).join(', ')}) was stored: the adapter stopped ingesting`);
  if (problems.length) return failed(problems.join('; '), evidence);
  const storedN = ph.seqs.filter((q) => s.stored.has(q)).length;
  return passed(s.acks
    ? `${ph.seqs.length} readings sent, all acknowledged and stored once`
    : `${ph.seqs.length} readings sent, ${storedN} stored once, no phantom; the adapter acknowledges nothing, so loss at a fault is by design`, evidence);
}
