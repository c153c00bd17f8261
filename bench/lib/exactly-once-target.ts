// An http_push target on loopback that checks exactly-once delivery at scale: it counts, per observation id, in how
// many distinct batches (idempotency keys) the id arrived. A batch re-sent under a key already seen is a permitted
// re-send (the target dedups it by key) and is counted apart; an id in two different batches is a duplicate.
// Counts live in a byte array indexed by id (ids of a fresh store are small and dense), so millions cost megabytes.
import { createServer } from 'node:http';
import { buffer } from 'node:stream/consumers';
import type { AddressInfo } from 'node:net';

export interface ExactlyOnceTarget {
  url: string;
  /** distinct ids received */
  readonly distinct: number;
  /** observations received in first sends of a key (distinct + duplicates) */
  readonly received: number;
  /** requests answered 200 */
  readonly requests: number;
  /** batches received again under a key already seen (their ids are not counted again) */
  readonly resentSameKey: number;
  /** ids that arrived in two or more different batches */
  readonly duplicateIds: number;
  /** how many times id arrived under distinct keys (0 = never) */
  countOf(id: number): number;
  /** ids received, ascending */
  receivedIds(): Generator<number>;
  close(): Promise<void>;
}


export async function startExactlyOnceTarget(): Promise<ExactlyOnceTarget> {
  let counts = new Uint8Array(1 << 20);
  let distinct = 0, received = 0, requests = 0, resentSameKey = 0, duplicateIds = 0, maxId = 0;
  const keys = new Set<string>();
  const server = createServer((req, res) => {
    buffer(req).then((body) => {
      const doc = JSON.parse(body.toString()) as { idempotency_key: string; observations: Array<{ id: string }> };
      requests++;
      if (keys.has(doc.idempotency_key)) { resentSameKey++; res.writeHead(200).end('{}'); return; }
      keys.add(doc.idempotency_key);
      for (const o of doc.observations) {
        const id = Number(o.id);
        if (id >= counts.length) { const c = new Uint8Array(Math.max(id + 1, counts.length * 2)); c.set(counts); counts = c; }
        const n = counts[id]!;
        if (n === 0) distinct++; else if (n === 1) duplicateIds++;
        if (n < 255) counts[id] = n + 1;
        if (id > maxId) maxId = id;
        received++;
      }
      res.writeHead(200).end('{}');
    }).catch(() => { res.writeHead(400).end('unreadable batch'); });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
    get distinct() { return distinct; }, get received() { return received; }, get requests() { return requests; },
    get resentSameKey() { return resentSameKey; }, get duplicateIds() { return duplicateIds; },
    countOf: (id) => (id < counts.length ? counts[id]! : 0),
    *receivedIds() { for (let id = 0; id <= maxId; id++) if (counts[id]) yield id; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
