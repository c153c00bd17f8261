// Load generator for bench/ingest.ts, run in a worker thread so that building requests and parsing
// responses does not take the hub's event loop (the hub runs in the bench's main thread).
// Plain JavaScript so that the worker needs no TypeScript loader.
import { parentPort } from 'node:worker_threads';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** The last run's bodies, kept so that the same batches can be sent again (profiled re-run). */
let last;
/** Keep-alive connections to the hub, one per lane, kept between runs (as an http.Agent would). */
const sockets = [];

// HTTP/1.1 by hand over one keep-alive socket per lane: the request is written as prebuilt bytes and only the status
// line, Content-Length and the head of the body are read. node:http's client (ClientRequest, IncomingMessage, header
// objects, a stream per response) took 1.7–2.5 ms of this thread per batch, CPU that a load generator on another
// machine would not take from the hub (bench ingest runs both on one machine).
class Lane {
  /** @param {URL} url */
  constructor(url) {
    this.url = url;
    /** @type {net.Socket | undefined} */
    this.socket = undefined;
    this.pending = undefined;
    this.buf = Buffer.alloc(0);
  }

  async connect() {
    if (this.socket && !this.socket.destroyed) return;
    const socket = net.connect({ host: this.url.hostname, port: Number(this.url.port) });
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.on('data', (c) => this.onData(c));
    const fail = (e) => { const p = this.pending; this.pending = undefined; this.socket = undefined; p?.reject(e); };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the hub closed the connection')));
    this.socket = socket;
    this.buf = Buffer.alloc(0);
  }

  onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const p = this.pending;
    if (!p) return;
    if (p.bodyAt === undefined) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length) { this.pending = undefined; this.socket?.destroy(); p.reject(new Error(`a response without Content-Length (status ${status}): ${head.slice(0, 200)}`)); return; }
      p.status = status; p.bodyAt = end + 4; p.bodyLength = Number(length[1]);
      if (/\r\nconnection: *close/i.test(head)) p.close = true;
    }
    if (this.buf.length < p.bodyAt + p.bodyLength) return;
    const body = this.buf.subarray(p.bodyAt, p.bodyAt + p.bodyLength);
    this.buf = this.buf.subarray(p.bodyAt + p.bodyLength);
    this.pending = undefined;
    if (p.close) { this.socket?.destroy(); this.socket = undefined; }
    p.resolve({ status: p.status, body });
  }

  /** @param {Buffer} request the whole request, head and body */
  async post(request) {
    await this.connect();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, status: 0, bodyAt: undefined, bodyLength: 0, close: false };
      this.socket.write(request);
    });
  }

  close() { this.socket?.destroy(); this.socket = undefined; }
}

/** The bytes of POST /v1/observations with this body, built once per run. */
function requestBytes(url, key, body) {
  const head = `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
    `content-length: ${body.byteLength}\r\nauthorization: Bearer ${key}\r\nconnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const COUNTS = /^\{"accepted":(\d+),"duplicates":(\d+),"quarantined":(\d+)[,}]/;
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);

async function runPhase({ url, key, bodies, records, concurrency, progressMs }) {
  if (bodies) last = { bodies, records };
  else ({ bodies, records } = last);
  const target = new URL(`${url}/v1/observations`);
  if (last.key !== key || last.target !== target.href || !last.requests) {
    last.requests = last.bodies.map((b) => requestBytes(target, key, new Uint8Array(b)));
    last.key = key; last.target = target.href;
  }
  const requests = last.requests;
  while (sockets.length < concurrency) sockets.push(new Lane(target));
  const latencies = [];
  let next = 0, batches = 0, accepted = 0, duplicates = 0, quarantined = 0, sent = 0;
  let failure;
  const started = performance.now();
  const elu0 = performance.eventLoopUtilization();
  let lastProgress = started;

  async function lane(l) {
    while (failure === undefined && next < bodies.length) {
      const i = next++;
      const t0 = performance.now();
      let res;
      try {
        res = await sockets[l].post(requests[i]);
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

  await Promise.all(Array.from({ length: concurrency }, (_, l) => lane(l)));
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
    for (const l of sockets) l.close();
    parentPort.close();
  }
});
