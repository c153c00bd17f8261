// The ingested part of bench store-scale: minute `step` of every point, a plausible value for point k at minute m
// (the same in both stores). Plain JavaScript so that a worker thread can build the request bodies without a
// TypeScript loader: the hub runs in the bench's main thread, and a million records a chunk built there were a
// million objects (and their JSON) of garbage in the hub's own heap.
import { parentPort } from 'node:worker_threads';

/** Pressures in MPa and the others in their units, three decimals. */
export function valueOf(k, m) {
  const h = (k * 7919 + m * 104_729) % 1000;
  return Math.round((0.2 + h / 2500) * 1000) / 1000;
}

/** Readings of minutes [fromStep, toStep) of every point (`codes` in registry order), minute 0 at `baseMs`. */
export function readingsChunk(codes, fromStep, toStep, baseMs) {
  const out = [];
  for (let step = fromStep; step < toStep; step++) {
    const time = new Date(baseMs + step * 60_000).toISOString();
    for (let k = 0; k < codes.length; k++) out.push({ point: codes[k], time, value: valueOf(k, step) });
  }
  return out;
}

/** The chunk as POST /v1/observations bodies of `batch` records each (ArrayBuffers) and their record counts. */
export function chunkBodies(codes, fromStep, toStep, baseMs, batch) {
  const records = readingsChunk(codes, fromStep, toStep, baseMs);
  const bodies = [], counts = [];
  const enc = new TextEncoder();
  for (let i = 0; i < records.length; i += batch) {
    const body = enc.encode(JSON.stringify({ records: records.slice(i, i + batch) }));
    bodies.push(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
    counts.push(Math.min(batch, records.length - i));
  }
  return { bodies, counts };
}

// As a worker: one chunk per message, the bodies handed back (transferred, not copied).
parentPort?.on('message', (m) => {
  const r = chunkBodies(m.codes, m.fromStep, m.toStep, m.baseMs, m.batch);
  parentPort.postMessage(r, r.bodies);
});
