// The table and notes `npm run bench -- multi-hub` prints from its steps' results (bench/multi-hub.ts).
import type { CpuReport } from './cpu.ts';

export interface Options { adminUrl: string; redisUrl: string; stations: number; seconds: number; warmup: number; batch: number; pool: number; drainTimeoutS: number; rounds: number; killAt: number }

export interface StepResult {
  n: number; stations: number[]; windowS: number; committed: number; rate: number; ackedRate: number;
  p50: number; p99: number; stored: number; outboxSum: number; quarantined: number;
  delivered: number; duplicates: number; missing: number; unknown: number; resentSameKey: number; drainS: number | null;
  backlogPeak: number; lagPeak: number; rollupLagEnd: number | null; hubCores: number[]; cpu: CpuReport;
  /** CPU µs per committed observation: all hub processes; the hub database's PostgreSQL backends (WAL writer, checkpointer not included) */
  hubUsPerObs: number; pgUsPerObs: number;
  crashed: number[]; errorLines: string[]; warnings: number;
  /** the hub SIGKILLed on purpose (--kill-at) */
  killed?: number;
  /** outbox rows = committed ingest transactions */
  commits: number;
  /** average active backends per wait state over the window */
  waiting: Array<{ w: string; avg: number }>;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

/** Prints the results table, per-step details, the exactly-once verdict and the scaling summary; false on FAIL. */
export function printReport(results: StepResult[], o: Options, cores: number): boolean {
  const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length ? (v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2) : Number.NaN; };
  const ns = [...new Set(results.map((r) => r.n))];
  const of = (n: number) => { const all = results.filter((r) => r.n === n), whole = all.filter((r) => r.killed === undefined); return whole.length ? whole : all; };
  const one = median(of(ns.includes(1) ? 1 : ns[0]!).map((r) => r.rate));
  console.log(`\nmulti-hub: committed observations/s (counted in the store over the window); CPU per committed observation; delivery checked id by id at the target`);
  console.log('processes  stations/process  committed_obs_s  ratio_to_1  hub_cpu_us/obs  pg_cpu_us/obs  9014_p50/p99_ms       stored    delivered  duplicates  missing  unknown  drain_s  result');
  let fail = false;
  for (const r of results) {
    const ok = r.missing === 0 && r.duplicates === 0 && r.unknown === 0 && r.drainS !== null && r.crashed.length === 0 && r.stored === r.outboxSum && r.quarantined === 0;
    fail ||= !ok;
    console.log([
      `${r.killed !== undefined ? 'k' : ''}${r.n}`.padStart(9), r.stations.join('/').padStart(16), fmt(r.rate).padStart(15), `${(r.rate / one).toFixed(2)}×`.padStart(10),
      r.hubUsPerObs.toFixed(1).padStart(14), r.pgUsPerObs.toFixed(1).padStart(13), `${r.p50.toFixed(0)}/${r.p99.toFixed(0)}`.padStart(15),
      fmt(r.stored).padStart(11), fmt(r.delivered).padStart(11), String(r.duplicates).padStart(10),
      String(r.missing).padStart(7), String(r.unknown).padStart(7), (r.drainS?.toFixed(1) ?? 'never').padStart(7), ok ? '  PASS' : '  FAIL',
    ].join('  '));
  }
  console.log('\nper step:');
  for (const r of results) {
    const c = r.cpu, hubs = r.hubCores.reduce((a, b) => a + b, 0);
    if (r.killed !== undefined) console.log(`  ${r.n} processes, hub ${r.killed} SIGKILLed ${o.killAt} s into the window (its stations moved to the others): the rate is not comparable; exactly-once is the point`);
    console.log(`  ${r.n} process${r.n > 1 ? 'es' : ''}: hubs ${r.hubCores.map((x) => x.toFixed(2)).join(' + ')} cores, postgres (all) ${c.postgresCores?.toFixed(2) ?? '? (sessions ended in the window)'}, bench (stations + target) ${c.processCores.toFixed(2)}, everything else ${c.machineCores !== undefined && c.postgresCores !== undefined ? Math.max(0, c.machineCores - hubs - c.postgresCores - c.processCores).toFixed(2) : '?'}; machine busy ${c.machineCores?.toFixed(2) ?? '?'} of ${c.cores}`);
    console.log(`    acknowledged ${fmt(r.ackedRate)} obs/s in the window; delivery during the load: backlog peak ${fmt(r.backlogPeak)}, lag peak ${r.lagPeak} s; drained ${r.drainS?.toFixed(1) ?? 'never'} s after the load stopped; re-sends under the same key ${r.resentSameKey}; rollup lag at the end of the load ${r.rollupLagEnd ?? '?'} s`);
    console.log(`    store: ${fmt(r.stored)} observations = outbox ${fmt(r.outboxSum)} ${r.stored === r.outboxSum ? '✓' : '✗'} in ${fmt(r.commits)} commits (${(r.stored / Math.max(1, r.commits)).toFixed(0)} per commit); quarantined ${r.quarantined}; hub warnings logged ${r.warnings}; errors logged ${r.errorLines.length}${r.crashed.length ? `; CRASHED: hub ${r.crashed.join(', ')}` : ''}`);
    console.log(`    PostgreSQL backends of the hub database, average active during the window: ${r.waiting.map((x) => `${x.w} ${x.avg.toFixed(1)}`).join('; ')}`);
    for (const e of r.errorLines.slice(0, 5)) console.log(`      ${e.slice(0, 300)}`);
  }
  console.log(`\ntargets: exactly once — every committed observation delivered, none twice, none unknown, no hub crashed → ${fail ? 'FAIL' : 'PASS'}`);
  console.log(`scaling (median over ${o.rounds} round${o.rounds > 1 ? 's' : ''}): ${ns.map((n) => `${n} → ${fmt(median(of(n).map((r) => r.rate)))} obs/s = ${(median(of(n).map((r) => r.rate)) / one).toFixed(2)}×, hub ${median(of(n).map((r) => r.hubUsPerObs)).toFixed(1)} + PostgreSQL ${median(of(n).map((r) => r.pgUsPerObs)).toFixed(1)} µs CPU/obs`).join('; ')}`);
  if (cores <= 2) {
    console.log(`  This machine has ${cores} cores shared by the hubs, PostgreSQL, this bench's stations and target, and whatever else runs`);
    console.log('  ("everything else" above): a process beyond the free cores cannot add CPU, so the rate ratio shows contention, not the');
    console.log('  scaling one gets with a core (or a machine) per process; CPU per observation is the figure that carries over. Linear');
    console.log('  scaling is not asserted; exactly-once is.');
  }
  return !fail;
}
