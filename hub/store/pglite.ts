import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriver, Queryable } from './driver.ts';
import { LifelineError } from '../sdk/errors.ts';
import { bareClusterDump } from '../pglite-template.ts';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/**
 * PGlite has no lock of its own, and two processes on one data directory corrupt it: take a pid lock file.
 * A lock left by a process that no longer runs (SIGKILL, power loss) is taken over.
 */
function lock(dir: string): () => void {
  const file = join(dir, 'lifeline.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => { try { unlinkSync(file); } catch { /* already gone */ } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && alive(pid)) {
        throw new LifelineError('STORE_UNAVAILABLE', `another hub (pid ${pid}) is using the embedded store in ${dir}; stop it, or give this one its own data_dir`, { retryable: false });
      }
      unlinkSync(file); // stale
    }
  }
  throw new LifelineError('STORE_UNAVAILABLE', `cannot lock ${file}`);
}

export interface PgliteOptions {
  /** A dumped cluster (dumpDataDir's tar) to start from, instead of the cached bare cluster (in-memory stores only). */
  loadDataDir?: Blob;
  /**
   * Where the engine runs. 'main' (default): in this thread. 'worker': in a worker thread of its own
   * (hub/store/pglite-worker.mjs), so the store's work and the caller's run on two cores; every statement's parameters
   * and rows then cross between the threads by structured clone. The hub's embedded store uses 'worker'.
   */
  thread?: 'main' | 'worker';
  /**
   * The engine's page cache (PostgreSQL `shared_buffers`) in MB. PGlite allocates and zeroes it at start, in WASM:
   * about 4 ms of CPU per MB (128 MB: half a second). Default: 128 (PostgreSQL's) on disk, 16 in memory (tests and
   * the conformance kit: small stores, many opens).
   */
  cacheMb?: number;
}

/** What the engine is started with beyond PGlite's own start parameters (defaultStartParams). */
const extraStartParams = (cacheMb: number) => ['-c', `shared_buffers=${cacheMb}MB`];
// On disk, PostgreSQL's own default (as store.embedded_cache_mb's); in memory, small stores opened many times.
const DEFAULT_CACHE_MB = { disk: 128, memory: 16 } as const;

/** The values of LIFELINE_EMBEDDED_JIT (docs/store.md, "Engine compiler"). */
export const ENGINE_JIT = ['optimizing', 'baseline'] as const;
let jitApplied = false;

/**
 * LIFELINE_EMBEDDED_JIT=baseline: V8 compiles PGlite's WASM engine with its baseline compiler only (Liftoff), never
 * optimizing its hot functions. A process's first engine then costs about 1.5 s of CPU less to start, its second
 * about 0.8 s less (the optimizing compiler's work on the functions a start runs hot; later ones share the compiled
 * engine and cost about the same either way), and its queries run slower:
 * for short-lived processes (the test suite: 24 % less CPU; one-shot commands), not for a hub that runs.
 * A V8 flag, so for the whole process, and only before the engine is first compiled: read once, at the first open.
 */
function applyEngineJit(): void {
  if (jitApplied) return;
  const v = process.env.LIFELINE_EMBEDDED_JIT;
  if (v !== undefined && v !== '' && !(ENGINE_JIT as readonly string[]).includes(v)) {
    throw new LifelineError('CONFIG_INVALID', `LIFELINE_EMBEDDED_JIT=${v}: expected ${ENGINE_JIT.join(' or ')} (docs/store.md)`, { details: { variable: 'LIFELINE_EMBEDDED_JIT' }, retryable: false });
  }
  jitApplied = true;
  if (v === 'baseline') setFlagsFromString('--liftoff-only');
}

/**
 * Embedded PostgreSQL (WASM). `dir` undefined → in memory (tests, conformance kit), a bare cluster copied from the
 * cached initdb dump (bareClusterDump); `loadDataDir` (a dumped cluster, dumpDataDir's tar) starts it from that one.
 */
export async function openPglite(dir?: string, o: PgliteOptions = {}): Promise<SqlDriver> {
  applyEngineJit();
  let unlock = () => {};
  if (dir) { mkdirSync(dir, { recursive: true }); unlock = lock(dir); }
  const cached = dir || o.loadDataDir ? undefined : await bareClusterDump();
  const loadDataDir = o.loadDataDir ?? cached;
  const cacheMb = o.cacheMb ?? (dir ? DEFAULT_CACHE_MB.disk : DEFAULT_CACHE_MB.memory);
  if (o.thread === 'worker') {
    try {
      return await openInWorker(dir, loadDataDir && await loadDataDir.arrayBuffer(), extraStartParams(cacheMb), unlock);
    } catch (e) { unlock(); throw e; }
  }
  // Loaded here, not at the top: with the engine in a worker, this thread never loads PGlite at all.
  const { PGlite: Engine } = await import('@electric-sql/pglite');
  let db: PGlite;
  try {
    const params = [...Engine.defaultStartParams, ...extraStartParams(cacheMb)];
    db = await Engine.create({ ...(dir ? { dataDir: dir } : loadDataDir ? { loadDataDir } : {}), startParams: params })
      // A cached dump that does not load (damaged on disk) costs an initdb, not the store.
      .catch((e) => { if (cached) return Engine.create({ startParams: params }); throw e; });
  } catch (e) { unlock(); throw e; }
  const q: Queryable['query'] = async (sql, params) => db.query(sql, params) as never;
  return {
    kind: 'pglite',
    query: q,
    async exec(sql) { await db.exec(sql); },
    transaction: (fn) => db.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) as never })),
    async close() { if (!db.closed) await db.close(); unlock(); },
  };
}

type Reply = { id: number; ok: true; rows?: unknown[] } | { id: number; ok: false; error: Record<string, unknown> & { name: string; message: string } };

/** The engine's error, rebuilt here with its PostgreSQL fields (code, detail, …) and the stack of the call. */
function rebuilt(e: Reply & { ok: false }, site: Error): Error {
  const { name, message, ...fields } = e.error;
  const out = Object.assign(new Error(message), { name }, fields);
  out.stack = `${name}: ${message}${site.stack!.slice(site.stack!.indexOf('\n'))}`;
  return out;
}

/** PGlite's engine: its two WASM modules, compiled, and its file-system bundle (the share/ files), as bytes. */
export interface EngineArtifacts { pglite: WebAssembly.Module; initdb: WebAssembly.Module; fsBundle: Uint8Array }

let artifacts: Promise<EngineArtifacts | undefined> | undefined;
/** Engine threads this process has started. */
let workerOpens = 0;

/**
 * The engine, compiled once per process. Every engine thread is a new isolate: left to itself, PGlite compiles its
 * 9 MB WASM module in each (about 0.8 s of CPU, background tier-up included), where a compiled module handed over
 * shares its code with the thread. A hub opens its store once, and its one engine thread compiles the engine itself
 * as before (holding a second copy of the artifacts here cost it 50–80 MB of RSS in `npm run bench -- modbus`); from
 * a process's second engine thread on (test files that start several hubs), the threads get this one. Undefined when the files
 * are not where PGlite keeps them: PGlite then loads them itself.
 */
export function engineArtifacts(): Promise<EngineArtifacts | undefined> {
  artifacts ??= (async () => {
    try {
      const dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
      const [pglite, initdb, fsBundle] = await Promise.all([
        readFile(join(dir, 'pglite.wasm')).then((b) => WebAssembly.compile(b)),
        readFile(join(dir, 'initdb.wasm')).then((b) => WebAssembly.compile(b)),
        readFile(join(dir, 'pglite.data')),
      ]);
      return { pglite, initdb, fsBundle };
    } catch {
      return undefined;
    }
  })();
  return artifacts;
}

/** The same driver, with PGlite in a worker thread (hub/store/pglite-worker.mjs). */
async function openInWorker(dir: string | undefined, loadDataDir: ArrayBuffer | undefined, extraParams: string[], unlock: () => void): Promise<SqlDriver> {
  const engine = workerOpens++ > 0 ? await engineArtifacts() : undefined;
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    // No execArgv of this process's (a TypeScript loader, --input-type, …): the worker is plain JavaScript.
    workerData: { dataDir: dir, loadDataDir, extraParams, engine }, transferList: loadDataDir ? [loadDataDir] : [], execArgv: [],
  });
  const pending = new Map<number, { resolve: (rows: unknown[] | undefined) => void; reject: (e: Error) => void; site: Error }>();
  let nextId = 1;
  let dead: Error | undefined;
  // The worker keeps the process alive only while a call waits on it, as an in-thread store would.
  const settle = () => { if (!pending.size) worker.unref(); };
  const failAll = (e: Error) => {
    dead ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject, site: new Error() });
  });
  worker.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.rows); else p.reject(rebuilt(m, p.site));
    settle();
  });
  worker.on('error', (e) => failAll(Object.assign(new Error(`the embedded store's thread failed: ${e.message}`), { cause: e })));
  worker.on('exit', (code) => failAll(new Error(`the embedded store's thread ended (exit code ${code})`)));
  const call = (msg: Record<string, unknown>, id = nextId++): Promise<unknown[] | undefined> => {
    if (dead) return Promise.reject(dead);
    const site = new Error(); // where the statement was sent from: the stack an engine error gets
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, site });
      worker.ref();
      worker.postMessage({ ...msg, id });
    });
  };
  await ready;
  settle();
  const query = async <T>(sql: string, params?: unknown[], tx?: number) => ({ rows: (await call({ op: 'query', sql, params, tx })) as T[] });
  let closed = false;
  return {
    kind: 'pglite',
    query: (sql, params) => query(sql, params),
    async exec(sql) { await call({ op: 'exec', sql }); },
    async transaction(fn) {
      const id = nextId++; // the 'begin' request's id names the transaction
      // Not awaited before the first statement: the engine thread queues the transaction's statements and runs the
      // first right after BEGIN, instead of idling (the whole engine held) until this thread hears BEGIN went through
      // and sends it. When BEGIN fails, the statements queued behind it fail with its error.
      const begun = call({ op: 'begin' }, id).then(() => true, (e: Error) => { failedBegin = e; return false; });
      let failedBegin: Error | undefined;
      let out;
      try {
        out = await fn({ query: (sql, params) => query(sql, params, id) });
      } catch (e) {
        if (await begun) await call({ op: 'end', tx: id, commit: false }).catch(() => undefined);
        throw failedBegin ?? e;
      }
      if (!(await begun)) throw failedBegin!;
      await call({ op: 'end', tx: id, commit: true });
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (!dead) await call({ op: 'close' });
      } finally {
        await worker.terminate();
        unlock();
      }
    },
  };
}
