// `lifeline conformance device hj212`: the kit plays the platform to a live HJ 212 collector for a while, runs the
// profile's clauses (passive checks on every frame, active probes), and returns the sealed report and its evidence log.
import { LifelineError } from '../../../hub/sdk/errors.ts';
import { hubVersion } from '../../../hub/version.ts';
import { capabilitiesOf, type CapabilityStatement } from '../../capabilities.ts';
import { profileById, clauseById } from '../../profiles.ts';
import { resultOf, verdictOf, countByStatus, warned, type Outcome } from '../../model.ts';
import { seal, sha256, KIT_VERSION, REPORT_FORMAT, type CertReport } from '../../report/model.ts';
import { KitPlatform } from './platform.ts';
import { Hj212Session } from './probes.ts';
import { analyse } from './analyse.ts';
import { declaredOf } from './declared.ts';

export interface DeviceRunOptions {
  host: string;
  port: number;
  statement: CapabilityStatement;
  statementFile?: string;
  statementSha256?: string;
  mn?: string;
  pw?: string;
  durationMs: number;
  profile?: string;
  /** DataTime/SystemTime tolerance against the kit's clock (default 60 s). */
  toleranceS?: number;
  /** Sign the report with HMAC-SM3. */
  key?: { key: Uint8Array | string; id?: string };
  /** Told the address once listening (port 0 picks one). */
  onListening?: (a: { host: string; port: number }) => void;
  log?: (line: string) => void;
}

export interface DeviceRun { report: CertReport; evidence: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runHj212Device(o: DeviceRunOptions): Promise<DeviceRun> {
  const profile = profileById(o.profile ?? o.statement.profile ?? 'hj212-collector-full');
  if (!profile.id.startsWith('hj212-')) throw new LifelineError('CONFORMANCE_INVALID', `profile ${profile.id} does not certify an HJ 212 device; use hj212-collector-basic or hj212-collector-full`);
  if (!o.statement.hj212) throw new LifelineError('CONFORMANCE_INVALID', 'the capability statement has no hj212 section');
  const d = declaredOf(o.statement, { mn: o.mn, pw: o.pw });
  if (!d.mn) throw new LifelineError('CONFORMANCE_INVALID', 'no MN: give --mn or hj212.mn in the capability statement');
  const declared = capabilitiesOf({ ...o.statement, hj212: { ...o.statement.hj212 } });
  const tolMs = (o.toleranceS ?? 60) * 1000;

  let session!: Hj212Session;
  const platform = new KitPlatform({ host: o.host, port: o.port, intercept: (rx) => session.intercept(rx) });
  session = new Hj212Session(platform, d, tolMs);
  let addr: { host: string; port: number };
  try { addr = await platform.listen(); } catch (e) { throw new LifelineError('CONFORMANCE_INVALID', `cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`); }
  o.onListening?.(addr);
  const started = Date.now();
  const end = started + o.durationMs;
  platform.note(`kit listening on ${addr.host}:${addr.port}; profile ${profile.id}; MN ${d.mn}; run ${o.durationMs / 1000} s`);
  o.log?.(`kit: listening on ${addr.host}:${addr.port} for ${o.durationMs / 1000} s (profile ${profile.id}, MN ${d.mn})`);

  const probes: Promise<unknown>[] = [];
  const first = await platform.next((r) => r.frame?.mn === d.mn && !r.frame.cn.startsWith('90'), end - Date.now());
  if (first) {
    o.log?.(`kit: first frame from ${d.mn} (CN ${first.frame!.cn}); running the probes`);
    const wanted = (id: string) => profile.clauses.includes(id);
    if (d.retx && wanted('HJ212-RETX-001')) {
      // Claimed in this order (one upload each); each must be claimed early enough to finish inside the run.
      const hi = 1.5 * session.otMs + 500;
      probes.push(
        session.withholdAll(end - ((d.retx.reCount + 1) * hi + 1000)),
        session.answerFirstResend(end - (hi + 2 * session.otMs + 1500)),
        session.falseAck('HJ212-NEG-001', end - hi - 500),
        session.falseAck('HJ212-NEG-002', end - hi - 500),
      );
    }
    probes.push((async () => {
      if (d.commands.includes('1011') && wanted('HJ212-CMD-001')) await session.getTime();
      if (d.commands.includes('1012') && d.uploads['2011'] !== undefined && wanted('HJ212-CMD-002')) await session.setTime();
      if (d.history.length && wanted('HJ212-CMD-003')) await session.history();
    })());
  }
  await Promise.all([sleep(end - Date.now()), ...probes]);
  await platform.close();
  const ended = Date.now();
  o.log?.(`kit: run ended; ${platform.rx.length} frames received, ${platform.log.filter((e) => e.kind === 'tx').length} sent`);

  const outcomes = new Map<string, Outcome>([...session.outcomes]);
  for (const [id, oc] of analyse(platform.rx, platform.log, session, d)) if (!outcomes.has(id) || oc.status === 'fail') outcomes.set(id, oc);
  // A false 9014 "accepted" only means something when the device resends at all.
  const retx = outcomes.get('HJ212-RETX-001');
  for (const id of session.pendingNeg) {
    if (retx?.status !== 'pass') outcomes.set(id, warned(`inconclusive: the device does not resend unanswered uploads (HJ212-RETX-001), so a resend cannot show that it ignored the false 9014. ${outcomes.get(id)!.message}`, outcomes.get(id)!.evidence));
  }
  const results = profile.clauses.map((id) => resultOf(clauseById(id), declared, () => outcomes.get(id)));

  const evidence = platform.log.map((e) => JSON.stringify(e)).join('\n') + '\n';
  const p = o.statement.product;
  const counts = countByStatus(results);
  const report = seal({
    format: REPORT_FORMAT,
    kit: { name: 'lifeline conformance kit', version: KIT_VERSION },
    hub: { version: hubVersion },
    subject: { kind: 'hj212-device', vendor: p.vendor, product: p.name, model: p.model, version: p.version, identity: `MN ${d.mn}`, endpoint: `kit listened on ${addr.host}:${addr.port}` },
    profile: { id: profile.id, title: profile.title, title_zh: profile.title_zh },
    capability_statement: { file: o.statementFile, sha256: o.statementSha256, declared: [...declared].sort(), statement: o.statement },
    started: new Date(started).toISOString(),
    ended: new Date(ended).toISOString(),
    verdict: verdictOf(results),
    summary: { ...counts, must_not_passed: results.filter((r) => r.level === 'MUST' && r.status !== 'pass' && r.status !== 'not_applicable').map((r) => r.id) },
    results,
    evidence_log: { events: platform.log.length, sha256: sha256(evidence), file: 'evidence.ndjson' },
  }, o.key);
  return { report, evidence };
}
