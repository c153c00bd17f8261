// The fuzz loop shared by every target: a hub in a child process, N workers that generate an input, send it
// over a real socket and judge the answer, and the watchers of the process (exit = crash, RSS, /health,
// the target's own liveness probe). A crash is written to crashes/, triaged to the input that causes it,
// and the hub is restarted so that one run finds more than one defect.
import { writeFileSync } from 'node:fs';
import { Rng } from './rng.ts';
import { FuzzHub, type StoreChoice } from './hub.ts';
import { crashReport, printable, writeCrashFile, type CrashFile } from './crash.ts';

/** One input: JSON-serialisable (it goes into crash files and is replayed from them); `mut` names how it was made. */
export interface Case { mut: string }

export type Verdict =
  | { kind: 'ok' }
  /** A typed error answer with a 5xx status: allowed, but counted by route (INTERNAL is a finding). */
  | { kind: 'server_error'; route: string; code: string }
  /** An answer that is neither a success nor a typed error (or an HJ 212 reply that does not parse). */
  | { kind: 'untyped'; route: string; why: string }
  /** A typed 4xx whose code is not in the hub's registry (hub/sdk/errors.ts): reported, not a failure. */
  | { kind: 'foreign'; route: string; code: string };

export interface Target<C extends Case = Case> {
  name: string;
  /** Workers sending at once. */
  concurrency: number;
  /** Config blocks for the hub (adapters, registry, publish); server, keys and store are the engine's. */
  hubConfig(): Record<string, unknown>;
  hubEnv?(): NodeJS.ProcessEnv;
  /** The hub (re)started: learn its ports and routes. */
  attach(hub: FuzzHub): Promise<void>;
  /** Input number k of worker `worker` (of `workers`): k * workers + worker numbers the inputs of a run. */
  generate(rng: Rng, k: number, worker: number, workers: number): C;
  send(c: C, hub: FuzzHub): Promise<Verdict>;
  /** One line a person can read (and paste) for a report. */
  show(c: C): string;
  /** A target's own liveness check (e.g. a valid upload still gets its 9014); a string says what failed. */
  probe?(hub: FuzzHub): Promise<string | undefined>;
  close?(): Promise<void>;
}

export interface FuzzOptions {
  seconds: number;
  seed: number;
  store: StoreChoice;
  dir: string;
  crashDir: string;
  /** Mutation names (prefixes of Case.mut) not to send. */
  skip?: string[];
  concurrency?: number;
  log?: (line: string) => void;
  /** Peak RSS above this fails the run (bytes). */
  rssLimit?: number;
}

export interface CrashSummary { id: string; signature: string; headline: string; count: number; files: string[]; culprit?: string; culpritMut?: string }

export interface Summary {
  target: string;
  inputs: number;
  seconds: number;
  crashes: number;
  crashKinds: CrashSummary[];
  untyped: Array<{ key: string; count: number; example: string; routes: string[] }>;
  serverErrors: Array<{ route: string; code: string; count: number; example: string }>;
  foreign: Array<{ code: string; count: number; routes: string[]; example: string }>;
  rss: { start: number; peak: number; end: number; limit: number };
  health: { probes: number; missed: number; maxMs: number; misses: string[] };
  probe: { runs: number; missed: number; misses: string[] };
  /** Generator failures (bugs of the fuzzer itself), by message. */
  harnessErrors: Array<{ message: string; count: number }>;
  failed: boolean;
  line: string;
}

/** 1 GiB: the hub's own RSS budget (bench hj212-ingest, 10,000 connected collectors). A fuzz run holds far fewer
 *  connections and data, so a hub above it holds inputs it should have dropped. */
export const DEFAULT_RSS_LIMIT = 1024 ** 3;
const RING = 256;
const TRIAGE_MS = 30_000;
const SEND_GUARD_MS = 60_000;
const mib = (b: number) => (b / 1024 ** 2).toFixed(0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** p, or `late` after ms; the timer is cleared, so a finished run does not wait on it. */
export function within<T>(p: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((r) => { timer = setTimeout(() => r(late()), ms); })]).finally(() => clearTimeout(timer));
}

interface Entry { seq: number; worker: number; gen: number; inFlight: boolean; c: Case }

export async function runFuzz<C extends Case>(target: Target<C>, o: FuzzOptions): Promise<Summary> {
  const log = o.log ?? ((l: string) => console.log(l));
  const skip = o.skip ?? [];
  const conc = o.concurrency ?? target.concurrency;
  const rssLimit = o.rssLimit ?? DEFAULT_RSS_LIMIT;
  const hub = new FuzzHub({ dir: o.dir, store: o.store, config: target.hubConfig(), env: target.hubEnv?.() });

  let inputs = 0, seq = 0;
  const ring: Entry[] = [];
  const crashKinds = new Map<string, CrashSummary>();
  let crashes = 0;
  const untyped = new Map<string, { count: number; example: string; routes: string[] }>();
  // Untyped answers seen just before a crash are the dying process's (503 while closing, refused connections):
  // they are taken back when the crash is recorded.
  const recentUntyped: Array<{ at: number; gen: number; key: string }> = [];
  const serverErrors = new Map<string, { route: string; code: string; count: number; example: string }>();
  const foreign = new Map<string, { code: string; count: number; routes: string[]; example: string }>();
  const rss = { start: 0, peak: 0, end: 0, limit: rssLimit };
  const harnessErrors = new Map<string, number>();
  const health = { probes: 0, missed: 0, maxMs: 0, misses: [] as string[] };
  const probe = { runs: 0, missed: 0, misses: [] as string[] };

  // Workers wait at this gate while the hub restarts after a crash (and while a crash is triaged).
  let gate: Promise<void> | undefined;
  let triaging = false;
  let triageDied: ((why: string) => void) | undefined;

  const t0 = Date.now();
  log(`fuzz ${target.name}: seed ${o.seed}, ${conc} workers, ${o.seconds} s, store ${o.store}${skip.length ? `, skipping ${skip.join(',')}` : ''}; starting the hub…`);
  await hub.start();
  await target.attach(hub);
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  rss.start = rss.peak = rss.end = hub.rss();
  log(`  hub up in ${((started - t0) / 1000).toFixed(1)} s at ${hub.url} (pid ${hub.proc?.pid}, rss ${mib(rss.start)} MiB)`);

  /** Count a crash, keep its inputs in a crash file, print it. */
  const record = (why: string, stderr: string, inputsNow: CrashFile['inputs'], culprit?: C) => {
    const report = crashReport(stderr, why);
    crashes++;
    const kind = crashKinds.get(report.id) ?? { id: report.id, signature: report.signature, headline: report.headline, count: 0, files: [] };
    kind.count++;
    crashKinds.set(report.id, kind);
    const file: CrashFile = { target: target.name, seed: o.seed, at: new Date().toISOString(), why, signature: report.signature, headline: report.headline, culprit, inputs: inputsNow, stderr: stderr.slice(-16_384) };
    const path = writeCrashFile(o.crashDir, file, crashes);
    if (kind.files.length < 5) kind.files.push(path);
    if (culprit && !kind.culprit) { kind.culprit = target.show(culprit); kind.culpritMut = culprit.mut; kind.files.unshift(path); }
    log(`  CRASH #${crashes} (${why}) [${report.id}] ${report.headline}`);
    log(`    ${report.signature}`);
    if (culprit) log(`    found by triage; this input alone kills a fresh hub: ${target.show(culprit).slice(0, 600)}`);
    else {
      log(`    last inputs (newest first; * = unanswered when it died), saved in ${path}:`);
      for (const e of [...inputsNow].reverse().slice(0, 6)) log(`     ${e.inFlight ? '*' : ' '} ${target.show(e.case as C).slice(0, 400)}`);
    }
    return { report, kind, file, path };
  };

  const onCrash = async (why: string) => {
    const gen = hub.generation;
    let taken = 0;
    for (const r of recentUntyped) {
      if (r.gen !== gen || r.at < Date.now() - 5000) continue;
      const u = untyped.get(r.key);
      if (u && u.count > 0) { u.count--; taken++; if (u.count === 0) untyped.delete(r.key); }
      r.gen = -1;
    }
    if (taken) log(`  (${taken} untyped answers of the last 5 s before this crash are the dying process's: not counted)`);
    const inputsNow = ring.filter((e) => e.gen === gen).map((e) => ({ seq: e.seq, worker: e.worker, inFlight: e.inFlight, case: e.c as unknown }));
    const { report, kind, file, path } = record(why, hub.stderr(), inputsNow);
    await hub.restart();
    await target.attach(hub);
    if (!kind.culprit && Date.now() < deadline) {
      const culprit = await triage(inputsNow.map((e) => ({ inFlight: e.inFlight, c: e.case as C })), report.id);
      if (culprit) {
        kind.culprit = target.show(culprit);
        kind.culpritMut = culprit.mut;
        file.culprit = culprit;
        writeFileSync(path, JSON.stringify(file, null, 1));
        log(`    triage [${report.id}]: this input alone kills a fresh hub: ${kind.culprit.slice(0, 600)}`);
      } else log(`    triage [${report.id}]: no single one of the last inputs reproduced it (an interaction, timing, or out of triage time)`);
    }
  };

  /** Send the suspects one at a time to a fresh hub; the one after which it dies the same way is the culprit.
   *  A suspect that kills it another way is a crash of its own (recorded with its culprit). */
  const triage = async (suspects: Array<{ inFlight: boolean; c: C }>, wantId: string): Promise<C | undefined> => {
    const order = [...suspects.filter((s) => s.inFlight).reverse(), ...suspects.filter((s) => !s.inFlight).reverse()];
    const until = Date.now() + TRIAGE_MS;
    triaging = true;
    try {
      for (const s of order) {
        if (Date.now() > until) return undefined;
        let why = '';
        const died = new Promise<void>((r) => { triageDied = (w) => { why = w; r(); }; });
        await Promise.race([target.send(s.c, hub).catch(() => undefined), died]);
        if (await hub.settle()) continue;
        const stderr = hub.stderr();
        await hub.restart();
        await target.attach(hub);
        if (crashReport(stderr, why).id === wantId) return s.c;
        record(why, stderr, [{ seq: -1, worker: -1, inFlight: true, case: s.c }], s.c);
      }
      return undefined;
    } finally { triaging = false; triageDied = undefined; }
  };

  hub.onExit = (why) => {
    if (triaging) { triageDied?.(why); return; }
    if (gate) return;
    let open!: () => void;
    gate = new Promise<void>((r) => { open = r; });
    void onCrash(why).catch((e: Error) => log(`  could not restart the hub: ${e.message}`)).finally(() => { gate = undefined; open(); });
  };

  const account = (v: Verdict, c: C, gen: number) => {
    if (v.kind === 'server_error') {
      const key = `${v.route} ${v.code}`;
      const s = serverErrors.get(key) ?? { route: v.route, code: v.code, count: 0, example: target.show(c) };
      if (s.count++ === 0) log(`  ${v.code === 'INTERNAL' ? 'INTERNAL' : 'typed 5xx'} ${v.route} ${v.code}\n    input: ${s.example.slice(0, 600)}`);
      serverErrors.set(key, s);
    } else if (v.kind === 'foreign') {
      const f = foreign.get(v.code) ?? { code: v.code, count: 0, routes: [], example: target.show(c) };
      f.count++;
      if (f.routes.length < 8 && !f.routes.includes(v.route)) f.routes.push(v.route);
      foreign.set(v.code, f);
    } else if (v.kind === 'untyped') {
      // Grouped by the answer's shape (digits folded), not by route: one defect usually shows on many routes.
      const key = v.why.replace(/\d+/g, 'N').slice(0, 160);
      const u = untyped.get(key);
      recentUntyped.push({ at: Date.now(), gen, key });
      if (recentUntyped.length > 5000) recentUntyped.shift();
      if (u) { u.count++; if (u.routes.length < 8 && !u.routes.includes(v.route)) u.routes.push(v.route); }
      else {
        untyped.set(key, { count: 1, example: target.show(c), routes: [v.route] });
        log(`  UNTYPED ${v.route}: ${v.why.slice(0, 300)}\n    input: ${target.show(c).slice(0, 600)}`);
      }
    }
  };

  const worker = async (w: number) => {
    const rng = new Rng(o.seed, w);
    for (let k = 0; Date.now() < deadline; k++) {
      while (gate) await gate;
      if (Date.now() >= deadline) break;
      let c: C;
      try { c = target.generate(rng, k, w, conc); } catch (err) {
        // A generator bug is the harness's, not the hub's: say so once per kind and go on.
        const m = (err as Error).message;
        if (!harnessErrors.has(m)) log(`  HARNESS generate failed (worker ${w}, input ${k}): ${(err as Error).stack ?? m}`);
        harnessErrors.set(m, (harnessErrors.get(m) ?? 0) + 1);
        continue;
      }
      if (skip.some((s) => c.mut.startsWith(s))) continue;
      const e: Entry = { seq: seq++, worker: w, gen: hub.generation, inFlight: true, c };
      ring.push(e);
      if (ring.length > RING) ring.shift();
      inputs++;
      let v: Verdict | undefined;
      try {
        v = await within<Verdict>(target.send(c, hub), SEND_GUARD_MS, () => ({ kind: 'untyped', route: target.name, why: `no outcome in ${SEND_GUARD_MS / 1000} s` }));
      } catch (err) {
        v = { kind: 'untyped', route: target.name, why: `harness: ${(err as Error).message}` };
      }
      e.inFlight = false;
      // An answer from a hub that has died since (or a connection it dropped by dying) says nothing.
      if (e.gen !== hub.generation || !hub.up || gate) continue;
      account(v, c, e.gen);
    }
  };

  const watchers: NodeJS.Timeout[] = [];
  watchers.push(setInterval(() => { const r = hub.rss(); if (r) { rss.end = r; rss.peak = Math.max(rss.peak, r); } }, 1000));
  let healthBusy = false;
  watchers.push(setInterval(() => {
    if (healthBusy || gate || !hub.up) return;
    healthBusy = true;
    const gen = hub.generation, t = Date.now();
    void fetch(`${hub.url}/health`, { signal: AbortSignal.timeout(10_000) }).then(async (r) => { await r.arrayBuffer(); if (r.status !== 200) throw new Error(`status ${r.status}`); })
      .then(() => { health.probes++; health.maxMs = Math.max(health.maxMs, Date.now() - t); }, async (err: Error) => {
        // A hub that is dying misses its /health too; its exit is reported later: only a live hub's miss counts.
        await sleep(3000);
        if (gen !== hub.generation || !hub.up || gate) return;
        health.probes++; health.missed++;
        const m = `/health did not answer at +${((t - started) / 1000).toFixed(0)} s: ${err.message}`;
        if (health.misses.length < 10) health.misses.push(m);
        // What was being handled while the event loop did not answer: the likely cause.
        const busy = ring.filter((e) => e.inFlight && e.gen === gen).slice(-5);
        if (health.missed === 1) {
          // The first stall of a run: keep the inputs that preceded it, for `replay --all`.
          const path = writeCrashFile(o.crashDir, { target: target.name, seed: o.seed, at: new Date().toISOString(), why: 'stall: /health did not answer in 10 s', signature: 'stall', headline: m, inputs: ring.filter((e) => e.gen === gen).map((e) => ({ seq: e.seq, worker: e.worker, inFlight: e.inFlight, case: e.c as unknown })), stderr: hub.stderr().slice(-4096) }, 0);
          log(`  (the inputs before this stall are saved in ${path})`);
        }
        log(`  HEALTH ${m}; in flight:${busy.map((e) => `\n     * ${target.show(e.c as C).slice(0, 400)}`).join('')}`);
      }).finally(() => { healthBusy = false; });
  }, 2000));
  let probeBusy = false;
  if (target.probe) watchers.push(setInterval(() => {
    if (probeBusy || gate || !hub.up) return;
    probeBusy = true;
    const gen = hub.generation, t = Date.now();
    void within(target.probe!(hub), 30_000, () => 'no outcome in 30 s').then(async (problem) => {
      if (problem) await sleep(3000); // as for /health: a dying hub's miss is the crash's, not a finding
      if (gen !== hub.generation || !hub.up || gate) return;
      probe.runs++;
      if (problem) {
        probe.missed++;
        const m = `+${((t - started) / 1000).toFixed(0)} s: ${problem}`;
        if (probe.misses.length < 10) probe.misses.push(m);
        log(`  PROBE ${m}`);
      }
    }, () => undefined).finally(() => { probeBusy = false; });
  }, 5000));
  let lastInputs = 0, lastAt = started;
  watchers.push(setInterval(() => {
    const now = Date.now();
    const rate = (inputs - lastInputs) / ((now - lastAt) / 1000);
    lastInputs = inputs; lastAt = now;
    const nUntyped = [...untyped.values()].reduce((a, u) => a + u.count, 0), n5xx = [...serverErrors.values()].reduce((a, s) => a + s.count, 0);
    log(`  ${target.name} +${((now - started) / 1000).toFixed(0)} s: ${inputs} inputs (${rate.toFixed(1)}/s now), ${crashes} crashes, ${nUntyped} untyped, ${n5xx} typed 5xx, rss ${mib(rss.end)} MiB (peak ${mib(rss.peak)}), health ${health.probes - health.missed}/${health.probes}${target.probe ? `, probe ${probe.runs - probe.missed}/${probe.runs}` : ''}${gate ? ' [restarting after a crash]' : ''}`);
  }, 10_000));

  try {
    await Promise.all(Array.from({ length: conc }, (_, w) => worker(w)));
    while (gate) await gate;
  } finally {
    for (const w of watchers) clearInterval(w);
    const r = hub.rss();
    if (r) { rss.end = r; rss.peak = Math.max(rss.peak, r); }
    await target.close?.().catch(() => undefined);
    await hub.dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  const nUntyped = [...untyped.values()].reduce((a, u) => a + u.count, 0);
  const failed = crashes > 0 || nUntyped > 0 || rss.peak > rssLimit || health.missed > 0 || probe.missed > 0;
  const line = `fuzz ${target.name}: ${inputs} inputs in ${seconds.toFixed(0)} s (${(inputs / seconds).toFixed(1)}/s), ${crashes} crashes, ${nUntyped} untyped answers, rss ${mib(rss.start)}→${mib(rss.end)} MiB (peak ${mib(rss.peak)})`;
  return {
    target: target.name, inputs, seconds, crashes, crashKinds: [...crashKinds.values()],
    untyped: [...untyped.entries()].map(([key, u]) => ({ key, ...u })).sort((a, b) => b.count - a.count),
    serverErrors: [...serverErrors.values()].sort((a, b) => b.count - a.count),
    foreign: [...foreign.values()].sort((a, b) => b.count - a.count),
    rss, health, probe, failed, line, harnessErrors: [...harnessErrors].map(([message, count]) => ({ message, count })),
  };
}

/** The summary line, then what a person needs to act on: each crash kind, untyped answers, 5xx by route, watchers. */
export function summaryText(s: Summary): string {
  const out = [s.line];
  for (const k of s.crashKinds) {
    out.push(`  crash ×${k.count} [${k.id}] ${k.headline}`);
    out.push(`    at ${k.signature}`);
    if (k.culprit) out.push(`    input: ${k.culprit.slice(0, 600)}`);
    out.push(`    replay: npm run fuzz -- replay ${k.files[0]}`);
  }
  for (const u of s.untyped) out.push(`  untyped ×${u.count}: ${u.key}\n    routes: ${u.routes.join(', ')}\n    e.g. ${u.example.slice(0, 400)}`);
  if (s.serverErrors.length) out.push(`  typed 5xx by route: ${s.serverErrors.map((e) => `${e.route} ${e.code} ×${e.count}`).join('; ')}`);
  const internal = s.serverErrors.filter((e) => e.code === 'INTERNAL');
  if (internal.length) out.push(`  500 INTERNAL (findings): ${internal.map((e) => `${e.route} ×${e.count}`).join('; ')}`);
  for (const e of s.serverErrors) out.push(`    ${e.route} ${e.code}, e.g. ${e.example.slice(0, 400)}`);
  for (const f of s.foreign) out.push(`  code outside the hub's registry ×${f.count}: ${f.code} on ${f.routes.join(', ')}\n    e.g. ${f.example.slice(0, 300)}`);
  out.push(`  health: ${s.health.probes - s.health.missed}/${s.health.probes} answered (slowest ${s.health.maxMs} ms)${s.health.misses.length ? `; ${s.health.misses.join('; ')}` : ''}`);
  if (s.probe.runs) out.push(`  probe: ${s.probe.runs - s.probe.missed}/${s.probe.runs} passed${s.probe.misses.length ? `; ${s.probe.misses.join('; ')}` : ''}`);
  for (const h of s.harnessErrors) out.push(`  harness error ×${h.count} (a fuzzer bug, not the hub's): ${h.message}`);
  out.push(`  rss: start ${mib(s.rss.start)} MiB, peak ${mib(s.rss.peak)} MiB, end ${mib(s.rss.end)} MiB (limit ${mib(s.rss.limit)} MiB)${s.rss.peak > s.rss.limit ? ' EXCEEDED' : ''}`);
  return printable(out.join('\n'));
}
