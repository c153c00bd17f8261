// @ts-check
// The embedded store's engine thread (hub/store/pglite.ts, `thread: 'worker'`): PGlite runs here, so the hub's own
// work (HTTP, JSON, validation, the pipeline) and the store's run on two cores instead of taking turns on one.
// Plain JavaScript, read at runtime from the source tree by the sources and the build alike (no TypeScript loader
// needed in a worker).
//
// Messages in: { id, op: 'query' | 'exec', sql, params?, tx? } · { id, op: 'begin' } · { id, op: 'end', tx, commit }
// · { id, op: 'close' }. Out: { id, ok: true, rows? } or { id, ok: false, error }, where error carries the
// PostgreSQL fields (code, detail, constraint, …) a structured clone of an Error would drop.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** @typedef {{ id: number, op: string, sql?: string, params?: unknown[], tx?: number, commit?: boolean }} Request */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { dataDir, loadDataDir, extraParams, engine } = /** @type {{ dataDir?: string, loadDataDir?: ArrayBuffer, extraParams: string[], engine?: import('./pglite.ts').EngineArtifacts }} */ (workerData);
const startParams = [...PGlite.defaultStartParams, ...extraParams];

/**
 * Bytes this thread owns (the dump transferred to it, its copy of the engine's file-system bundle) as a whole Blob,
 * whose arrayBuffer() (what PGlite reads, once) hands over the buffer itself instead of Node's chunked Blob read.
 */
class OwnedBytes extends Blob {
  /** @param {ArrayBuffer} bytes */
  constructor(bytes) { super([bytes]); this.bytes = bytes; }
  async arrayBuffer() { return this.bytes; }
}

/**
 * The bytes of a view as one ArrayBuffer: its own when it spans it whole (a structured clone gives this thread a copy
 * of its own), else a copy.
 * @param {Uint8Array} view
 */
const ownBuffer = (view) => (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? /** @type {ArrayBuffer} */ (view.buffer) : view.slice().buffer);

/** @param {unknown} e */
function errorOf(e) {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  /** @type {Record<string, unknown>} */
  const out = { name: e.name, message: e.message };
  for (const [k, v] of Object.entries(e)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

/** @param {number} id @param {unknown} [rows] */
const ok = (id, rows) => port.postMessage({ id, ok: true, rows });
/** @param {number} id @param {unknown} e */
const fail = (id, e) => port.postMessage({ id, ok: false, error: errorOf(e) });

/** @type {PGlite} */
let db;
try {
  const opts = dataDir ? { dataDir } : loadDataDir ? { loadDataDir: new OwnedBytes(loadDataDir) } : {};
  // The engine compiled by the calling thread (engineArtifacts in pglite.ts): its code is shared, not compiled again.
  const compiled = engine ? { pgliteWasmModule: engine.pglite, initdbWasmModule: engine.initdb, fsBundle: new OwnedBytes(ownBuffer(engine.fsBundle)) } : {};
  db = await PGlite.create({ ...opts, ...compiled, startParams }).catch((e) => { if (!dataDir && loadDataDir) return PGlite.create({ startParams }); throw e; });
  port.postMessage({ id: 0, ok: true });
} catch (e) {
  port.postMessage({ id: 0, ok: false, error: errorOf(e) });
  process.exit(0);
}

/** Requests of each open transaction, in order, and who waits for the next one. */
const txQueues = new Map();
/** @param {number} tx */
function queueOf(tx) {
  let q = txQueues.get(tx);
  if (!q) { q = { items: /** @type {Request[]} */ ([]), wake: /** @type {((r: Request) => void) | undefined} */ (undefined) }; txQueues.set(tx, q); }
  return q;
}
/** @param {number} tx @returns {Promise<Request>} */
function nextOf(tx) {
  const q = queueOf(tx);
  const r = q.items.shift();
  return r ? Promise.resolve(r) : new Promise((res) => { q.wake = res; });
}
/** @param {number} tx @param {Request} r */
function push(tx, r) {
  const q = queueOf(tx);
  if (q.wake) { const w = q.wake; q.wake = undefined; w(r); } else q.items.push(r);
}

const ROLLBACK = Symbol('rollback');
/** Transactions whose BEGIN failed, and why: a statement sent for one later fails at once (rare: kept). */
const failedTx = new Map();

/** @param {Request} m */
async function begin(m) {
  const tx = m.id;
  /** @type {Request | undefined} */
  let end;
  try {
    await db.transaction(async (t) => {
      ok(m.id); // inside: the caller's statements follow, tagged with this id
      for (;;) {
        const r = await nextOf(tx);
        if (r.op === 'end') { end = r; if (r.commit) return; throw ROLLBACK; }
        try {
          if (r.op === 'exec') { await t.exec(/** @type {string} */ (r.sql)); ok(r.id); }
          else ok(r.id, (await t.query(/** @type {string} */ (r.sql), r.params)).rows);
        } catch (e) { fail(r.id, e); }
      }
    });
    if (end) ok(end.id);
  } catch (e) {
    if (end) { if (e === ROLLBACK) ok(end.id); else fail(end.id, e); }
    else {
      // BEGIN itself failed: so do the statements the caller sent after it without waiting (an 'end' may follow
      // them; it finds no queue and fails too).
      fail(m.id, e);
      for (const r of queueOf(tx).items) fail(r.id, e);
      failedTx.set(tx, e);
    }
  } finally {
    txQueues.delete(tx);
  }
}

port.on('message', (/** @type {Request} */ m) => {
  if (m.tx !== undefined) {
    const e = failedTx.get(m.tx);
    if (e) fail(m.id, e); else push(m.tx, m);
    return;
  }
  switch (m.op) {
    case 'query': db.query(/** @type {string} */ (m.sql), m.params).then((r) => ok(m.id, r.rows), (e) => fail(m.id, e)); break;
    case 'exec': db.exec(/** @type {string} */ (m.sql)).then(() => ok(m.id), (e) => fail(m.id, e)); break;
    case 'begin': void begin(m); break;
    case 'close': (db.closed ? Promise.resolve() : db.close()).then(() => { ok(m.id); port.close(); }, (e) => fail(m.id, e)); break;
    default: fail(m.id, new Error(`unknown request ${m.op}`));
  }
});
