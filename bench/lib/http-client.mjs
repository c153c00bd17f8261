// Load generator for bench/ingest.ts, run in a worker thread so that building requests and parsing
// responses does not take the hub's event loop (the hub runs in the bench's main thread).
// Plain JavaScript so that the worker needs no TypeScript loader.
import { parentPort } from 'node:worker_threads';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** @type {http.Agent | undefined} */
let agent;
/** The last run's bodies, kept so that the same batches can be sent again (profiled re-run). */
let last;

function post(url, key, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': body.byteLength, authorization: `Bearer ${key}` },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const COUNTS = /^\{"accepted":(\d+),"duplicates":(\d+),"quarantined":(\d+)[,}]/;
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);

async function runPhase({ url, key, bodies, records, concurrency, progressMs }) {
  if (bodies) last = { bodies, records };
  else ({ bodies, records } = last);
  agent ??= new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = `${url}/v1/observations`;
  const latencies = [];
  let next = 0, batches = 0, accepted = 0, duplicates = 0, quarantined = 0, sent = 0;
  let failure;
  const started = performance.now();
  const elu0 = performance.eventLoopUtilization();
  let lastProgress = started;

  async function lane() {
    while (failure === undefined && next < bodies.length) {
      const i = next++;
      const t0 = performance.now();
      let res;
      try {
        res = await post(target, key, new Uint8Array(bodies[i]));
      } catch (e) {
        failure ??= `batch ${i}: ${e instanceof Error ? e.message : String(e)}`;
        return;
      }
      latencies.push(performance.now() - t0);
      if (res.status !== 200) {
        failure ??= `batch ${i}: HTTP ${res.status} ${res.body.toString('utf8', 0, 500)}`;
        return;
      }
      // The counts lead the hub's response ({"accepted":…,"duplicates":…,"quarantined":…,"results":[…]}): read
      // them without parsing the per-record results, so that the client takes as little CPU as it can from the
      // hub on a shared machine. Anything else (other key order, quarantined records) is parsed in full.
      const head = COUNTS.exec(res.body.toString('latin1', 0, 120));
      const out = head ? { accepted: +head[1], duplicates: +head[2], quarantined: +head[3] } : JSON.parse(res.body.toString('utf8'));
      if (out.accepted + out.duplicates + out.quarantined !== records[i]) {
        failure ??= `batch ${i}: response accounts for ${out.accepted + out.duplicates + out.quarantined} of ${records[i]} records`;
        return;
      }
      if (out.quarantined && failure === undefined) {
        const q = JSON.parse(res.body.toString('utf8')).results.find((r) => r.outcome === 'quarantined');
        failure = `batch ${i}: ${out.quarantined} record(s) quarantined, e.g. ${JSON.stringify(q)} (the bench data should all be valid)`;
        return;
      }
      batches++; sent += records[i]; accepted += out.accepted; duplicates += out.duplicates; quarantined += out.quarantined;
      const now = performance.now();
      if (progressMs && now - lastProgress >= progressMs) {
        lastProgress = now;
        parentPort.postMessage({ type: 'progress', batches, total: bodies.length, accepted, elapsedMs: now - started });
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsedMs = performance.now() - started;
  const clientElu = performance.eventLoopUtilization(elu0).utilization;
  latencies.sort((a, b) => a - b);
  return {
    error: failure, batches, sent, accepted, duplicates, quarantined, elapsedMs, clientElu,
    latencyMs: { p50: pct(latencies, 0.5), p95: pct(latencies, 0.95), max: latencies[latencies.length - 1] ?? 0 },
  };
}

parentPort.on('message', (msg) => {
  if (msg.cmd === 'run') {
    runPhase(msg).then(
      (r) => parentPort.postMessage({ type: 'done', ...r }),
      (e) => parentPort.postMessage({ type: 'done', error: e instanceof Error ? e.stack ?? e.message : String(e) }),
    );
  } else if (msg.cmd === 'close') {
    agent?.destroy();
    parentPort.close();
  }
});
