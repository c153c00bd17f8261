// CPU time of the PostgreSQL backends serving one database (the hub's pool), read from /proc (Linux, server on this
// machine). Only client backends of that database count: the server's shared processes (WAL writer, checkpointer,
// background writer) and autovacuum work for every database on the server and come and go on their own timing, so
// they are left out. Between a snapshot and since() the backends are sampled every 200 ms, so a backend that exits
// meanwhile (a pool closing an idle connection) counts up to its last sample: at most its last 200 ms are missed
// (`lost` says how many went).
import { readFileSync } from 'node:fs';
import type pg from 'pg';

const TICKS_PER_S = 100; // USER_HZ

export interface BackendSnapshot {
  ticks: Map<number, number>;
  /** Each backend's ticks when last seen since the snapshot (sampled). */
  latest: Map<number, number>;
  stop(): Promise<void>;
}

/** utime + stime of a process, in USER_HZ ticks (Linux /proc); undefined when it is gone or not visible. */
export function ticksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

/** Reads the backends of `database` through `admin` (a connection to another database: not counted itself). */
export class BackendCpu {
  constructor(private readonly admin: pg.Client, private readonly database: string) {}

  private async read(): Promise<{ pids: number[]; ticks: Map<number, number> }> {
    const pids = (await this.admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [this.database])).rows.map((r) => r.pid);
    const ticks = new Map<number, number>();
    for (const pid of pids) { const t = ticksOf(pid); if (t !== undefined) ticks.set(pid, t); }
    return { pids, ticks };
  }

  /** undefined: /proc does not show the server's processes (another machine, or another OS). */
  async snapshot(): Promise<BackendSnapshot | undefined> {
    const { pids, ticks } = await this.read();
    if (pids.length && !ticks.size) return undefined;
    const latest = new Map(ticks);
    let sampling: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(async () => { for (const [pid, t] of (await this.read()).ticks) latest.set(pid, t); }).catch(() => undefined);
    }, 200);
    return { ticks, latest, stop: async () => { clearInterval(timer); await sampling; } };
  }

  /** CPU seconds of the backends since `a` (a backend that started since counts from zero) and how many exited. */
  async since(a: BackendSnapshot | undefined): Promise<{ s: number; lost: number } | undefined> {
    if (!a) return undefined;
    await a.stop();
    const { ticks: now } = await this.read();
    for (const [pid, t] of now) a.latest.set(pid, t);
    let ticks = 0, lost = 0;
    for (const [pid, t] of a.latest) { ticks += t - (a.ticks.get(pid) ?? 0); if (!now.has(pid)) lost++; }
    return { s: ticks / TICKS_PER_S, lost };
  }
}
