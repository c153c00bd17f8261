// Where the CPU went during a measured phase: this process, its main thread's event loop, the local
// PostgreSQL server's processes, and everything else on the machine (Linux /proc; other systems: process only).
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const TICKS_PER_S = 100; // USER_HZ; 100 on every Linux distribution this runs on

interface Snapshot {
  t: number;
  proc: NodeJS.CpuUsage;
  elu: EventLoopUtilization;
  machine?: { busy: number; total: number };
  postgres?: number;
}

export interface CpuReport {
  wallS: number;
  cores: number;
  /** this process, all threads (hub + client worker, or the raw driver) */
  processCores: number;
  /** the main thread's event loop busy fraction (0–1): the hub, or the raw loop */
  mainElu: number;
  /** busy cores machine-wide, postgres processes, and the rest */
  machineCores?: number;
  postgresCores?: number;
  otherCores?: number;
}

function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is already in user)
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** utime+stime of every process named postgres (server, backends, walwriter, checkpointer …). */
function postgresTicks(): number | undefined {
  let sum = 0, seen = 0;
  let pids: string[];
  try { pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return undefined; }
  for (const pid of pids) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    const f = stat.slice(close + 2).split(' ');
    sum += Number(f[11]) + Number(f[12]); // fields 14, 15 (utime, stime) counted from after the comm
    seen++;
  }
  return seen ? sum : undefined;
}

export function cpuSnapshot(withPostgres: boolean): Snapshot {
  return { t: performance.now(), proc: process.cpuUsage(), elu: performance.eventLoopUtilization(), machine: machineTicks(), postgres: withPostgres ? postgresTicks() : undefined };
}

export function cpuSince(a: Snapshot, withPostgres: boolean): CpuReport {
  const b = cpuSnapshot(withPostgres);
  const wallS = (b.t - a.t) / 1000;
  const cores = cpus().length;
  const proc = process.cpuUsage(a.proc);
  const r: CpuReport = {
    wallS, cores,
    processCores: (proc.user + proc.system) / 1e6 / wallS,
    mainElu: performance.eventLoopUtilization(b.elu, a.elu).utilization,
  };
  if (a.machine && b.machine && b.machine.total > a.machine.total) {
    r.machineCores = ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * cores;
  }
  // A postgres process that exited meanwhile (a parallel worker, an autovacuum worker, a closed connection) takes its
  // ticks with it: when that makes the sum go down, the split is unknown rather than negative.
  if (a.postgres !== undefined && b.postgres !== undefined && b.postgres >= a.postgres) r.postgresCores = (b.postgres - a.postgres) / TICKS_PER_S / wallS;
  if (r.machineCores !== undefined && (a.postgres === undefined || r.postgresCores !== undefined)) r.otherCores = Math.max(0, r.machineCores - r.processCores - (r.postgresCores ?? 0));
  return r;
}
