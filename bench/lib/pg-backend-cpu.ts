// CPU time of the PostgreSQL backends serving one database (the hub's pool), read from /proc (Linux, server on this
// machine). Only client backends of that database count: the server's shared processes (WAL writer, checkpointer,
// background writer) and autovacuum work for every database on the server and come and go on their own timing, so
// they are left out, as is the work of a backend that exits between two snapshots (the pool keeps its connections
// while it is busy; `lost` says how many went).
import { readFileSync } from 'node:fs';
import type pg from 'pg';

const TICKS_PER_S = 100; // USER_HZ

export interface BackendSnapshot { ticks: Map<number, number> }

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

  /** undefined: /proc does not show the server's processes (another machine, or another OS). */
  async snapshot(): Promise<BackendSnapshot | undefined> {
    const pids = (await this.admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [this.database])).rows.map((r) => r.pid);
    const ticks = new Map<number, number>();
    for (const pid of pids) { const t = ticksOf(pid); if (t !== undefined) ticks.set(pid, t); }
    return pids.length && !ticks.size ? undefined : { ticks };
  }

  /** CPU seconds of the backends since `a` (a backend that started since counts from zero) and how many exited. */
  async since(a: BackendSnapshot | undefined): Promise<{ s: number; lost: number } | undefined> {
    const b = await this.snapshot();
    if (!a || !b) return undefined;
    let ticks = 0, lost = 0;
    for (const [pid, t] of b.ticks) ticks += t - (a.ticks.get(pid) ?? 0);
    for (const pid of a.ticks.keys()) if (!b.ticks.has(pid)) lost++;
    return { s: ticks / TICKS_PER_S, lost };
  }
}
