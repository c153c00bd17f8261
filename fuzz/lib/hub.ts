// The hub under fuzz: a child process (`lifeline start --config …`, the tests' launcher) on a fresh store,
// restarted after a crash. Its stderr tail is kept, since a crash's stack trace is the finding.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { launchHub } from '../../test/helpers/child-hub.ts';
import { freshDatabase, postgresUp } from '../../test/helpers/services.ts';
import { hashKey } from '../../hub/api/auth.ts';

export type StoreChoice = 'postgres' | 'pglite';

/** One key per scope, plus one with read+ingest; the http target tries each on every route. */
export const KEYS = { read: 'fuzz-key-read', ingest: 'fuzz-key-ingest', admin: 'fuzz-key-admin', all: 'fuzz-key-read-ingest' } as const;
const keyConfig = [
  { name: 'reader', hash: hashKey(KEYS.read), scopes: ['read'] },
  { name: 'ingester', hash: hashKey(KEYS.ingest), scopes: ['ingest'] },
  { name: 'admin', hash: hashKey(KEYS.admin), scopes: ['admin'] },
  { name: 'read-ingest', hash: hashKey(KEYS.all), scopes: ['read', 'ingest'] },
];

const STDERR_TAIL = 64 * 1024;

export async function chooseStore(asked: string | undefined): Promise<StoreChoice> {
  if (asked === 'postgres' || asked === 'pglite') return asked;
  if (asked !== undefined) throw new Error(`--store must be postgres or pglite, not "${asked}"`);
  // PostgreSQL starts in ~2 s against PGlite's 10–50 s: restarts after a crash are what a fuzz run waits on.
  return (await postgresUp()) ? 'postgres' : 'pglite';
}

export class FuzzHub {
  proc?: ChildProcess;
  url = '';
  /** Increments at every (re)start: a verdict from an older generation is void. */
  generation = 0;
  up = false;
  private tail = '';
  private starts = 0;
  private db?: { url: string; drop(): Promise<void> };
  /** Called when the process ends while it was up (a crash, unless stop() asked for it). */
  onExit?: (why: string) => void;
  private stopping = false;

  constructor(private readonly o: { dir: string; store: StoreChoice; config: Record<string, unknown>; env?: NodeJS.ProcessEnv }) {}

  async start(): Promise<void> {
    if (this.o.store === 'postgres') this.db ??= await freshDatabase();
    const n = ++this.starts;
    const file = join(this.o.dir, `hub-${n}.yaml`);
    // PGlite: a fresh data directory per start (a crashed hub leaves its lock behind); PostgreSQL: the same database.
    writeFileSync(file, stringify({
      data_dir: join(this.o.dir, `data-${this.o.store === 'pglite' ? n : 1}`),
      server: { host: '127.0.0.1', port: 0 },
      log: { level: 'warn' },
      api: { keys: keyConfig },
      ...this.o.config,
    }));
    // The hub stops with the fuzzer (killed or orphaned), never left holding a port and a store.
    const env = { ...this.o.env, DATABASE_URL: this.db?.url ?? '', LIFELINE_EXIT_WITH_PARENT: '1' };
    const { proc, url, exited } = await launchHub(file, env, 180_000);
    // The launcher's own stderr listener re-scans everything it ever read: replace it with a bounded tail.
    proc.stderr!.removeAllListeners('data');
    this.tail = '';
    proc.stderr!.on('data', (d: Buffer) => { this.tail = (this.tail + d.toString('utf8')).slice(-STDERR_TAIL); });
    this.proc = proc;
    this.url = url;
    this.up = true;
    this.generation++;
    void exited.then(() => {
      if (this.proc !== proc) return;
      this.up = false;
      if (!this.stopping) this.onExit?.(proc.signalCode ? `signal ${proc.signalCode}` : `exit code ${proc.exitCode}`);
    });
  }

  /**
   * After an input: is the hub still alive? A process that died is seen by its parent a little later (up to a
   * second on a busy machine), so ask /health, and when it does not answer wait for the exit to be reported.
   */
  async settle(): Promise<boolean> {
    if (!this.up) return false;
    const ok = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(3000) }).then(async (r) => { await r.arrayBuffer(); return r.ok; }, () => false);
    if (ok) return this.up;
    for (let i = 0; i < 50 && this.up; i++) await new Promise((r) => setTimeout(r, 100));
    return this.up;
  }

  /** The last bytes the hub wrote on stderr (its crash trace when it died). */
  stderr(): string { return this.tail; }

  /** Resident set size in bytes, from /proc (Linux). 0 when the process is gone. */
  rss(): number {
    if (!this.proc?.pid || !this.up) return 0;
    try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.proc.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024; } catch { return 0; }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
    this.up = false;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await this.db?.drop().catch(() => undefined);
  }

  /** After a crash: start again (same store for PostgreSQL), keeping stop()'s intent cleared. */
  async restart(): Promise<void> {
    this.stopping = false;
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) { this.stopping = true; await this.stop(); this.stopping = false; }
    await this.start();
  }
}
