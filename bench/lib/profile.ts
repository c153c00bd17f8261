// CPU profile of this process's main thread (node:inspector) for one phase, and where its time went.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export class Profiler {
  private readonly session = new Session();

  async start(intervalUs = 200): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.session.post('Profiler.start');
  }

  async stop(file?: string): Promise<CpuProfile> {
    const { profile } = (await this.session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    await this.session.post('Profiler.disable');
    this.session.disconnect();
    if (file) writeFileSync(file, JSON.stringify(profile));
    return profile;
  }
}

/**
 * Buckets for the ingest path. On each sample's stack (innermost frame first) the innermost *specific*
 * match wins, e.g. a socket write issued by pg counts as pg, JSON.parse under fastify's body parser as
 * "request body"; generic buckets (fastify, node internals) only take samples no specific bucket claims.
 */
type Matcher = (f: CallFrame) => boolean;
const BUCKETS: Array<{ name: string; specific: boolean; match: Matcher }> = [
  { name: '(garbage collector)', specific: true, match: (f) => f.functionName === '(garbage collector)' },
  { name: '(idle)', specific: true, match: (f) => f.functionName === '(idle)' },
  { name: '(program: native, outside JS)', specific: true, match: (f) => f.functionName === '(program)' },
  { name: 'PGlite (WASM engine + JS glue)', specific: true, match: (f) => f.url.includes('@electric-sql/pglite') || f.url.startsWith('wasm://') },
  { name: 'pg: parse RETURNING rows', specific: true, match: (f) => f.url.includes('/node_modules/pg/') && /handleDataRow|parseRow|_parseRow/.test(f.functionName) },
  { name: 'pg: encode params (array literals) + send', specific: true, match: (f) => /node_modules\/(pg|pg-protocol|pg-types|postgres-array|pg-pool|pg-connection-string)\//.test(f.url) },
  { name: 'store: observationParams, commitBatch, tx', specific: true, match: (f) => f.url.includes('/hub/store/') },
  { name: 'ajv: validate ingest-batch', specific: true, match: (f) => f.url.includes('/node_modules/ajv') || /^validate\d+$/.test(f.functionName) },
  { name: 'prepare(): resolve, time, units, flags', specific: true, match: (f) => /\/hub\/(pipeline\/prepare|time\/|units\/|registry\/registry)/.test(f.url) },
  { name: 'ingest(): per-record outcomes', specific: true, match: (f) => f.url.includes('/hub/pipeline/ingest') },
  { name: 'response: serialize (fast-json-stringify)', specific: true, match: (f) => f.url.includes('fast-json-stringify') || (f.url === '' && /^anonymous\d*$/.test(f.functionName)) || (f.functionName === 'serialize' && f.url.includes('fastify/lib/reply')) },
  { name: 'response: send (reply, byteLength, write)', specific: true, match: (f) => f.url.includes('fastify/lib/reply') },
  { name: 'request: read body + JSON.parse', specific: true, match: (f) => f.url.includes('secure-json-parse') || f.url.includes('fastify/lib/content-type-parser') },
  { name: 'prom-client metrics', specific: true, match: (f) => f.url.includes('prom-client') },
  { name: 'route handler, auth hook', specific: true, match: (f) => f.url.includes('/hub/api/') },
  { name: 'request: HTTP parse, routing, fastify', specific: false, match: (f) => /node_modules\/(fastify|find-my-way|avvio|@fastify)\//.test(f.url) || f.url.startsWith('node:_http') },
  { name: 'node internals (net, streams, events)', specific: false, match: (f) => f.url.startsWith('node:') },
];

export interface Bucket { name: string; ms: number; share: number }

/** Self time per bucket over the profile (innermost matching frame on each sample's stack). */
export function summarize(p: CpuProfile): { totalMs: number; buckets: Bucket[]; top: Array<{ fn: string; ms: number }> } {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const bucketOf = new Map<number, string>();
  const classify = (id: number): string => {
    const cached = bucketOf.get(id);
    if (cached) return cached;
    let out: string | undefined;
    let generic: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined && out === undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const hit = BUCKETS.find((b) => b.match(f));
      if (hit?.specific) out = hit.name;
      else if (hit) generic ??= hit.name;
    }
    out ??= generic ?? 'other JS';
    bucketOf.set(id, out);
    return out;
  };
  const ms = new Map<string, number>();
  const selfMs = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const id = p.samples[i]!;
    const b = classify(id);
    ms.set(b, (ms.get(b) ?? 0) + dt);
    total += dt;
    const f = byId.get(id)!.callFrame;
    const fn = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/work\/main\//, '')}:${f.lineNumber + 1}`;
    selfMs.set(fn, (selfMs.get(fn) ?? 0) + dt);
  }
  const buckets = [...ms].map(([name, v]) => ({ name, ms: v, share: v / total })).sort((a, b) => b.ms - a.ms);
  const top = [...selfMs].map(([fn, v]) => ({ fn, ms: v })).sort((a, b) => b.ms - a.ms).slice(0, 25);
  return { totalMs: total, buckets, top };
}
