// `lifeline conformance adapter`: the adapter-contract profile. The adapter runs against a real embedded store and
// pipeline; its driver (manifest.conformance.driver) makes the source send numbered readings and reports what the
// source got acknowledged; the kit injects faults at the ingest boundary (fault.ts) and judges each phase.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { AdapterDefinition, AdapterInstance, AdapterHttpRoute, AdapterContext } from '../../hub/sdk/index.ts';
import type { ContractDriver, ContractDriverEnv, ContractDriverFactory } from '../../hub/sdk/contract.ts';
import { LifelineError } from '../../hub/sdk/errors.ts';
import { createAdapterContext } from '../../hub/adapters/context.ts';
import { openContractStore } from './store.ts';
import { judgePhase, type Phase } from './judge.ts';
import { RegistryService } from '../../hub/registry/service.ts';
import { catalogueByCode } from '../../hub/registry/catalogue.ts';
import { createIngest, type Ingest } from '../../hub/pipeline/ingest.ts';
import type { SqlDriver } from '../../hub/store/driver.ts';
import { createMetrics } from '../../hub/metrics.ts';
import { createAjv, fieldErrors } from '../../hub/schemas.ts';
import { hubVersion } from '../../hub/version.ts';
import { profileById, clauseById } from '../profiles.ts';
import { resultOf, verdictOf, countByStatus, passed, failed, type Outcome, type Evidence } from '../model.ts';
import { seal, sha256, KIT_VERSION, REPORT_FORMAT, type CertReport, type LogEvent } from '../report/model.ts';
import { ACKS, OUTAGE } from './clauses.ts';
import { FaultyIngest, type Fault } from './fault.ts';
import { openRelay } from './relay.ts';
import { serveRoutes } from './routes.ts';
import { codesProblems, docsProblem, scanCodes } from './static-checks.ts';

export interface ContractRunOptions {
  adapter: AdapterDefinition;
  /** Default: the adapter's manifest.conformance.driver. */
  driver?: ContractDriverFactory;
  services?: Partial<ContractDriverEnv['services']>;
  /** Readings per phase (default 3). */
  n?: number;
  /** Subject header: who makes it (default: lifeline-hub for a built-in). */
  vendor?: string;
  /** Share a store with other runs (default: a fresh one for this run). */
  host?: ContractHost;
  /** Where it was loaded from (report header). */
  source?: string;
  key?: { key: Uint8Array | string; id?: string };
  log?: (line: string) => void;
}

export interface ContractRun { report: CertReport; evidence: string }

/** A store, registry and pipeline that several runs may share (each run registers its own devices). */
export interface ContractHost {
  db: SqlDriver; registry: RegistryService; metrics: ReturnType<typeof createMetrics>; ingest: Ingest;
  /** Register a run's devices; one at a time (concurrent reloads could leave an older snapshot in memory). */
  apply(docs: Parameters<RegistryService['apply']>[0]): Promise<void>;
  close(): Promise<void>;
}

export async function openContractHost(): Promise<ContractHost> {
  const db = await openContractStore();
  const registry = new RegistryService(db, catalogueByCode());
  await registry.reload();
  const metrics = createMetrics();
  const ingest = createIngest({ db, registry: () => registry.registry, metrics, clock: { now: Date.now }, timezone: 'Asia/Shanghai', futureToleranceMs: 300_000, lateAfterMs: 86_400_000 });
  let queue: Promise<unknown> = Promise.resolve();
  const apply = (docs: Parameters<RegistryService['apply']>[0]) => {
    const next = queue.then(() => registry.apply(docs));
    queue = next.catch(() => undefined);
    return next;
  };
  return { db, registry, metrics, ingest, apply, close: () => db.close() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function within<T>(ms: number, what: string, p: Promise<T> | T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([Promise.resolve(p), new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms); })]);
  } finally { clearTimeout(timer); }
}


/** Runs the adapter-contract profile; never throws for a finding, only when the run cannot start. */
export async function runAdapterContract(o: ContractRunOptions): Promise<ContractRun> {
  const { adapter } = o;
  const m = adapter.manifest;
  const factory = o.driver ?? (m.conformance?.driver ? (await m.conformance.driver()).default : undefined);
  if (typeof factory !== 'function') throw new LifelineError('CONFORMANCE_INVALID', `adapter ${m.id} declares no contract driver (manifest.conformance.driver): see docs/certification.md, "Adapter contract"`);
  const profile = profileById('adapter-contract');
  const log: LogEvent[] = [];
  const note = (text: string) => { const ev: LogEvent = { n: log.length + 1, t: Date.now(), kind: 'note', text }; log.push(ev); return ev.n; };
  const started = Date.now();
  const n = o.n ?? 3;

  const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-contract-'));
  const own = o.host ? undefined : await openContractHost();
  const host = (o.host ?? own)!;
  const { db, registry, metrics, ingest: real } = host;
  const codes = new Map<string, string>();
  const sink = { write: (line: string) => { try { scanCodes(JSON.parse(line), 'logged', codes); } catch { /* not JSON */ } } };
  const logger = pino({ level: 'debug' }, sink);

  const routes: AdapterHttpRoute[] = [];
  const routeServer = await serveRoutes(routes);
  const relays: Array<{ close(): Promise<void> }> = [];
  let driver: ContractDriver | undefined;
  const faulty = new FaultyIngest(real, note, codes);
  let generation = 0;
  const aborts: AbortController[] = [];
  let probeCtx: AdapterContext | undefined;
  const newContext = () => {
    const a = new AbortController();
    aborts.push(a);
    const gen = ++generation;
    const hubRoutes: { adapter: string; route: AdapterHttpRoute }[] = [];
    const ctx = createAdapterContext(m.id, { db, registry, ingest: faulty.forGeneration(gen), metrics, logger, signal: a.signal, clock: { now: Date.now }, timezone: 'Asia/Shanghai', dataDir, configDir: process.cwd(), routes: hubRoutes });
    return { ctx, gen, abort: a, hubRoutes };
  };
  probeCtx = newContext().ctx;
  const env: ContractDriverEnv = {
    prefix: `lt_${m.id}_${process.pid}_${randomBytes(3).toString('hex')}`.toLowerCase(),
    services: {
      mqttUrl: o.services?.mqttUrl ?? process.env.CONTRACT_MQTT_URL ?? 'mqtt://127.0.0.1:1883',
      postgresUrl: o.services?.postgresUrl ?? process.env.CONTRACT_PG_URL ?? process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
    httpUrl: routeServer.url,
    checkpoint: (key) => probeCtx!.checkpoint(key),
    relay: async (target, tap) => { const r = await openRelay(target, tap); relays.push(r); return r; },
    note: (t) => { note(`driver: ${t}`); },
  };

  const outcomes = new Map<string, Outcome>();
  const phases: Phase[] = [];
  let instance: AdapterInstance | undefined;
  let current: ReturnType<typeof newContext> | undefined;
  const declared = new Set<string>();
  let ackTimer: NodeJS.Timeout | undefined;
  const acked = new Map<number, number>(); // seq → event of the first time it was seen acknowledged
  const early = new Map<number, number>(); // seq → event: acknowledged while not committed

  const startInstance = async () => {
    current = newContext();
    const validate = createAjv({ useDefaults: true }).compile({ ...m.configSchema, $id: undefined });
    const config = structuredClone(driver!.config);
    if (!validate(config)) throw new LifelineError('CONFORMANCE_INVALID', `the driver's config for ${m.id} is invalid: ${fieldErrors(validate.errors).map((e) => `${e.path} ${e.message}`).join('; ')}`);
    try {
      instance = await within(10_000, 'create()', adapter.create(config as never, current.ctx));
      routes.splice(0, routes.length, ...current.hubRoutes.map((r) => r.route));
      await within(10_000, 'start()', instance.start());
    } catch (e) { scanCodes(e, 'thrown', codes); throw e; }
    await driver!.attach?.();
  };

  const pollAcks = () => {
    const seen = driver?.acknowledged?.();
    if (!seen) return;
    for (const s of seen) {
      if (acked.has(s) || faulty.committing.has(s)) continue; // judged once its commit returned
      const committed = faulty.committed(s);
      const ev = note(`source saw seq ${s} acknowledged${committed ? '' : ' — NOT committed at this moment'}`);
      acked.set(s, ev);
      if (!committed && !early.has(s)) early.set(s, ev);
    }
  };
  faulty.onBeforeCommit = pollAcks;

  /** Sent readings settle: acknowledged and stored (or, without acks, the last one stored); or stuck (quiet). */
  const settle = async (seqs: number[], timeoutMs = declared.has(ACKS) ? 7000 : 4000) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      await sleep(25);
      pollAcks();
      const quiet = Date.now() - faulty.lastCallAt > 400;
      if (declared.has(ACKS)) {
        const allAcked = seqs.every((s) => acked.has(s));
        if (allAcked && (seqs.every((s) => faulty.committed(s)) || quiet)) return true;
      } else if (faulty.stored.has(seqs[seqs.length - 1]!)) return true; // (else: until the timeout; a poll can miss one)
    }
    return false;
  };

  let next = 1;
  const take = (k: number) => Array.from({ length: k }, () => { faulty.sent.add(next); return next++; });

  const runPhase = async (clause: string, title: string, faults: Fault[], slow: boolean, batches = 1) => {
    const seqs: number[] = [];
    const phase: Phase = { clause, title, faults, slow, seqs, notAcked: [], events: [] };
    phases.push(phase);
    phase.events.push(note(`phase ${clause} (${title}): ${faults.length ? `faults ${faults.join(', ')} on the first ingest calls` : 'no faults'}${slow ? '; commits held 300 ms' : ''}`));
    // With batches, fault b goes to batch b's first ingest call (an adapter that backs off after a failure starts afresh).
    faulty.arm(clause, batches > 1 ? faults.slice(0, 1) : faults, slow, seqs);
    for (let b = 0; b < batches; b++) {
      if (b > 0 && faults[b]) faulty.arm(clause, [faults[b]!], slow, seqs);
      const part = take(b === batches - 1 ? n - Math.floor(n / batches) * (batches - 1) : Math.floor(n / batches) || 1);
      seqs.push(...part);
      await driver!.send(part);
      if (batches > 1) await settle(part, 3500);
    }
    const ok = await settle(seqs);
    if (!ok && declared.has(ACKS)) phase.notAcked = seqs.filter((s) => !acked.has(s));
    faulty.disarm();
    return phase;
  };

  try {
    driver = await factory(env);
    await host.apply({ sites: driver.registry.sites ?? [], devices: driver.registry.devices ?? [], points: driver.registry.points ?? [] });
    if (m.capabilities?.acknowledges && driver.acknowledged) declared.add(ACKS);
    if (driver.outage) declared.add(OUTAGE);
    faulty.seqOf = driver.seqOf ?? ((r) => (typeof r.value === 'number' ? r.value : null));
    await startInstance();
    ackTimer = setInterval(pollAcks, 20);
    note(`adapter ${m.id} ${m.version} started; declared: ${[...declared].join(', ') || 'none'}`);

    // Warm-up, not judged: the first reading through shows the adapter and its source are connected (a session, a
    // subscription, a first poll), so the judged phases time the contract, not the start.
    {
      const seqs: number[] = [];
      const ev = note('warm-up, not judged: waiting up to 30 s for a first reading to be stored');
      faulty.arm('warm-up', [], false, seqs);
      let ok = false;
      // A source that resends (acknowledging adapters) gets one reading; one that does not (a register, a variable)
      // gets a new one every 3 s until one is stored.
      for (let i = 0; !ok && Date.now() - log[ev - 1]!.t < 30_000 && (i === 0 || !declared.has(ACKS)); i++) {
        const one = take(1);
        seqs.push(...one);
        await driver.send(one);
        ok = await settle(one, declared.has(ACKS) ? 30_000 : 3000);
      }
      faulty.disarm();
      note(ok ? `warm-up done after ${Date.now() - log[ev - 1]!.t} ms` : 'warm-up: no reading was stored within 30 s; the phases run anyway');
    }

    await runPhase('CONTRACT-002', 'success', [], false);
    await runPhase('CONTRACT-003', 'retryable errors', ['retryable'], false);
    await runPhase('CONTRACT-004', 'permanent errors', ['permanent'], false);
    await runPhase('CONTRACT-005', 'mixed errors', ['retryable', 'permanent'], false, 2);
    await runPhase('CONTRACT-006', 'slow commits', [], true);

    if (driver.outage) {
      const health = async () => { try { const h = await within(5000, 'health()', instance!.health()); scanCodes(h.detail, 'health', codes); return h.status; } catch (e) { return `error: ${(e as Error).message}`; } };
      const waitFor = async (want: (s: string) => boolean, ms: number) => {
        const end = Date.now() + ms;
        let s = await health();
        while (!want(s) && Date.now() < end) { await sleep(50); s = await health(); }
        return s;
      };
      const before = await health();
      const t0 = Date.now();
      const ev = [note(`outage: health before ${before}; taking the source away`)];
      await driver.outage.down();
      const during = await waitFor((s) => s === 'degraded' || s === 'down', 8000);
      ev.push(note(`outage: health ${during} after ${Date.now() - t0} ms`));
      const t1 = Date.now();
      await driver.outage.up();
      const after = await waitFor((s) => s === 'ok', 10_000);
      ev.push(note(`outage: source back; health ${after} after ${Date.now() - t1} ms`));
      const evidence = ev.map((e): Evidence => ({ kind: 'note', event: e, text: log[e - 1]!.text }));
      if (during !== 'degraded' && during !== 'down') outcomes.set('CONTRACT-008', failed(`health stayed "${during}" for 8 s with the source gone`, evidence));
      else if (after !== 'ok') outcomes.set('CONTRACT-008', failed(`health went ${during} with the source gone, but was still "${after}" 10 s after it returned`, evidence));
      else outcomes.set('CONTRACT-008', passed(`${during} ${t1 - t0} ms after the source went away, ok ${Date.now() - t1} ms after it returned`, evidence));
    }

    // Stop while an ingest is in flight, then (acknowledging adapters) a new instance delivers what was left.
    {
      const seqs = take(n);
      const ev: number[] = [note('phase CONTRACT-007 (stop during in-flight ingest): commits held 300 ms')];
      faulty.arm('CONTRACT-007', [], true, seqs);
      const inflight = faulty.nextCall();
      await driver.send(seqs);
      const got = await Promise.race([inflight.then(() => true), sleep(5000).then(() => false)]);
      const gen = current!.gen;
      const t0 = Date.now();
      ev.push(note(got ? 'an ingest is in flight: calling stop()' : 'no ingest call within 5 s: calling stop() anyway'));
      let stopProblem: string | undefined;
      current!.abort.abort(); // as the hub does: the signal first, then stop()
      try { await within(10_000, 'stop()', instance!.stop()); } catch (e) { stopProblem = (e as Error).message; scanCodes(e, 'thrown', codes); }
      faulty.close(gen);
      ev.push(note(`stop() ${stopProblem ?? `resolved after ${Date.now() - t0} ms`}; the store counts as closed for this instance`));
      await sleep(150);
      pollAcks();
      let notDelivered: number[] = [];
      if (declared.has(ACKS) && !stopProblem) {
        faulty.arm('CONTRACT-007', [], false, seqs);
        await startInstance();
        ev.push(note('a new instance started'));
        if (!(await settle(seqs))) notDelivered = seqs.filter((s) => !acked.has(s));
      }
      faulty.disarm();
      // Judged after the restart too: an acknowledgement still on its way when stop() resolved counts, and the source
      // does not send an acknowledged reading again, so one the old instance never committed stays lost.
      const lost = seqs.filter((s) => acked.has(s) && !faulty.committed(s));
      const evidence = [...ev, ...lost.map((s) => acked.get(s)!)].map((e): Evidence => ({ kind: 'note', event: e, text: log[e - 1]!.text }));
      if (stopProblem) outcomes.set('CONTRACT-007', failed(`stop() with an ingest in flight: ${stopProblem}`, evidence));
      else if (lost.length) outcomes.set('CONTRACT-007', failed(`acknowledged but not committed when stop() resolved, so never stored: seq ${lost.join(', ')} (lost on a real shutdown)`, evidence));
      else if (notDelivered.length) outcomes.set('CONTRACT-007', failed(`after a restart, seq ${notDelivered.join(', ')} were never acknowledged`, evidence));
      else if (seqs.some((s) => (faulty.stored.get(s)?.count ?? 0) > 1)) outcomes.set('CONTRACT-007', failed(`stored more than once across the restart: seq ${seqs.filter((s) => (faulty.stored.get(s)?.count ?? 0) > 1).join(', ')}`, evidence));
      else outcomes.set('CONTRACT-007', passed(declared.has(ACKS) ? `stop() with an ingest in flight lost nothing acknowledged, and a new instance delivered the ${seqs.length} readings` : 'stop() returned with an ingest in flight; the adapter acknowledges nothing, so nothing acknowledged could be lost', evidence));
    }
    await sleep(100);
    pollAcks();

    // Judge the delivery phases over the whole run (a reading stored in a later phase was still not lost).
    for (const ph of phases) outcomes.set(ph.clause, judgePhase(ph, { acks: declared.has(ACKS), acked, stored: faulty.stored, quarantined: faulty.quarantined, phantoms: faulty.phantomsIn(ph.clause), faults: faulty.faultEvents.filter((f) => f.phase === ph.clause).map((f) => f.event), log }));
    if (declared.has(ACKS)) {
      const ev = [...early.values()].slice(0, 10).map((e): Evidence => ({ kind: 'note', event: e, text: log[e - 1]!.text }));
      outcomes.set('CONTRACT-001', early.size
        ? failed(`${early.size} reading(s) acknowledged before they were committed: seq ${[...early.keys()].slice(0, 10).join(', ')}`, ev)
        : passed(`${acked.size} acknowledgements, each after its commit`));
    }
  } catch (e) {
    const msg = `the run stopped: ${(e as Error).message}`;
    note(msg);
    for (const id of profile.clauses) if (!outcomes.has(id)) outcomes.set(id, failed(msg));
  } finally {
    clearInterval(ackTimer);
    await instance?.stop().catch((e) => scanCodes(e, 'thrown', codes));
    for (const a of aborts) a.abort();
    await driver?.close().catch(() => undefined);
    for (const r of relays) await r.close().catch(() => undefined);
    await routeServer.close();
    await own?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const unregistered = codesProblems(codes, driver?.errorCodes ?? []);
  outcomes.set('CONTRACT-009', unregistered.length
    ? failed(`not registered: ${unregistered.map((u) => `${u.code} (${u.where})`).join(', ')}`)
    : passed(`${codes.size} code(s) seen, all registered${codes.size ? `: ${[...codes.keys()].sort().join(', ')}` : ''}`));
  const docs = docsProblem(m, driver?.docs);
  outcomes.set('CONTRACT-010', docs.problem ? failed(docs.problem) : passed(`${docs.page}: config table up to date`));

  const ended = Date.now();
  const why: Record<string, string> = {
    [ACKS]: 'the adapter acknowledges nothing to its source (manifest.capabilities.acknowledges, and a driver with acknowledged())',
    [OUTAGE]: 'the driver offers no source outage (a listening adapter has no source to lose)',
  };
  const results = profile.clauses.map((id) => {
    const spec = clauseById(id);
    const r = resultOf(spec, declared, () => outcomes.get(id));
    return r.status === 'not_applicable' ? { ...r, message: `not applicable: ${spec.needs.filter((c) => !declared.has(c)).map((c) => why[c] ?? c).join('; ')}` } : r;
  });
  const evidence = log.map((e) => JSON.stringify(e)).join('\n') + '\n';
  const counts = countByStatus(results);
  const vendor = o.vendor ?? 'unknown vendor';
  const report = seal({
    format: REPORT_FORMAT,
    kit: { name: 'lifeline conformance kit', version: KIT_VERSION },
    hub: { version: hubVersion },
    subject: { kind: 'adapter', vendor, product: `${m.title} (${m.id})`, version: m.version, identity: `adapter ${m.id}`, endpoint: o.source ?? `adapter ${m.id}` },
    profile: { id: profile.id, title: profile.title, title_zh: profile.title_zh },
    capability_statement: { declared: [...declared].sort(), statement: { product: { vendor, name: m.id, version: m.version } } },
    started: new Date(started).toISOString(),
    ended: new Date(ended).toISOString(),
    verdict: verdictOf(results),
    summary: { ...counts, must_not_passed: results.filter((r) => r.level === 'MUST' && r.status !== 'pass' && r.status !== 'not_applicable').map((r) => r.id) },
    results,
    evidence_log: { events: log.length, sha256: sha256(evidence), file: 'evidence.ndjson' },
  }, o.key);
  return { report, evidence };
}
