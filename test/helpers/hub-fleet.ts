// Several hub processes (`lifeline start --config FILE`) on one PostgreSQL and one Redis: each its own config file,
// HTTP port and HJ 212 port, the same registry and the same http_push target. Used by test/multi-hub.test.ts and
// `npm run bench -- multi-hub`. Each process's stdout (pino JSON) is read for error and fatal lines, so a hub that
// logs a failure (a deadlock, a roller retry) is seen, not only one that exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { childEnv } from './child-env.ts';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;

export interface FleetOptions {
  /** how many hub processes */
  n: number;
  /** a directory for the config files (one sub-directory per hub) */
  dir: string;
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ key prefix (publish.key_prefix), unique to the run */
  keyPrefix: string;
  /** the http_push target's URL */
  targetUrl: string;
  /** registry block of the config (sites, devices, points), the same for every hub */
  registry: unknown;
  /** API key accepted by every hub (LIFELINE_API_KEY) */
  apiKey: string;
  /** store.pool_size per hub (default 8) */
  poolSize?: number;
  /** batch.max_size of the target (default 1000) */
  batchSize?: number;
  /** log level of the hubs (default warn) */
  logLevel?: string;
  startTimeoutMs?: number;
}

export interface FleetHub {
  index: number;
  proc: ChildProcess;
  pid: number;
  /** http://127.0.0.1:port */
  api: string;
  /** the HJ 212 listener's port */
  hj212Port: number;
  /** pino lines at level error (50) or fatal (60), as logged */
  errors: string[];
  /** count of pino lines at level warn (40) */
  warnings: number;
  /** stderr, for a failure message */
  stderr(): string;
  exited: Promise<number | null>;
}

export interface Fleet {
  hubs: FleetHub[];
  /** GET a JSON resource of hub i with the API key */
  get<T>(i: number, path: string): Promise<T>;
  /** SIGTERM every hub, SIGKILL those still running after `graceMs`; resolves when all have exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export function hubConfig(o: FleetOptions, i: number): Record<string, unknown> {
  return {
    data_dir: join(o.dir, `hub${i}`),
    server: { host: '127.0.0.1', port: 0 },
    log: { level: o.logLevel ?? 'warn' },
    store: { pool_size: o.poolSize ?? 8 },
    adapters: { hj212: { host: '127.0.0.1', port: 0, max_connections: 20_000, max_connections_per_ip: 20_000, idle_timeout_s: 3600 } },
    publish: {
      driver: 'bullmq', key_prefix: o.keyPrefix, poll_ms: 100,
      targets: { up: { type: 'http_push', batch: { max_size: o.batchSize ?? 1000, max_wait_ms: 200 }, retry: { initial_ms: 200, max_ms: 2000 }, config: { url: o.targetUrl } } },
    },
    registry: o.registry,
  };
}

function launch(o: FleetOptions, i: number): Promise<FleetHub> {
  const dir = join(o.dir, `hub${i}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'hub.yaml');
  writeFileSync(file, stringify(hubConfig(o, i)));
  const proc = spawn(process.execPath, [bin, 'start', '--config', file], {
    env: childEnv({ DATABASE_URL: o.databaseUrl, REDIS_URL: o.redisUrl, LIFELINE_API_KEY: o.apiKey, LOG_LEVEL: o.logLevel ?? 'warn', LIFELINE_EXIT_WITH_PARENT: '1', PORT: '', HOST: '' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  let err = '';
  const hub: FleetHub = { index: i, proc, pid: proc.pid!, api: '', hj212Port: 0, errors: [], warnings: 0, stderr: () => err, exited };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const m = /"level":(\d+)/.exec(line);
    if (!m) return;
    const level = Number(m[1]);
    if (level >= 50) { if (hub.errors.length < 100) hub.errors.push(line.slice(0, 2000)); } else if (level >= 40) hub.warnings++;
  });
  proc.stderr!.on('data', (d) => { err = (err + d).slice(-20_000); });
  const timeoutMs = o.startTimeoutMs ?? 120_000;
  return new Promise<FleetHub>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`hub ${i} did not start in ${timeoutMs / 1000} s:\n${err}`)); }, timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (!m) return;
      clearTimeout(timer);
      proc.stderr!.off('data', onData);
      hub.api = m[1]!;
      adapterPort(hub.api, o.apiKey).then((port) => { hub.hj212Port = port; resolve(hub); }, reject);
    };
    proc.stderr!.on('data', onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`hub ${i} exited ${code} while starting:\n${err}`)); });
  });
}

async function adapterPort(api: string, key: string): Promise<number> {
  const res = await fetch(`${api}/v1/adapters`, { headers: { authorization: `Bearer ${key}` } });
  const list = (await res.json()) as { data: Array<{ name: string; health: { detail: { port: number } } }> };
  const port = list.data.find((a) => a.name === 'hj212')?.health.detail.port;
  if (!port) throw new Error(`${api}: no hj212 adapter port in /v1/adapters`);
  return port;
}

/** Start `o.n` hubs at the same time (as an orchestrator does), so migrations, registry upserts and partition upkeep meet. */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const started = await Promise.allSettled(Array.from({ length: o.n }, (_, i) => launch(o, i)));
  const hubs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  let stopping: Promise<void> | undefined;
  const fleet: Fleet = {
    hubs,
    async get<T>(i: number, path: string): Promise<T> {
      const res = await fetch(`${hubs[i]!.api}${path}`, { headers: { authorization: `Bearer ${o.apiKey}` } });
      if (!res.ok) throw new Error(`GET ${path} on hub ${i}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    stop(graceMs = 15_000) {
      stopping ??= Promise.all(hubs.map(async (h) => {
        if (h.proc.exitCode !== null || h.proc.signalCode !== null) return;
        h.proc.kill('SIGTERM');
        const timer = setTimeout(() => h.proc.kill('SIGKILL'), graceMs);
        await h.exited;
        clearTimeout(timer);
      })).then(() => undefined);
      return stopping;
    },
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) { await fleet.stop(2000); throw failed.reason; }
  return fleet;
}
