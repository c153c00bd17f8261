// HJ 212 stations over real TCP into PostgreSQL with 9014 acks: committed obs/s, ack round trip, idle connections.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { Hj212Client } from '../adapters/hj212/transport/client.ts';
import { spawnHub } from './lib/hub-process.ts';
import { QnSource, wallTime14 } from '../adapters/hj212/transport/qn.ts';
import { simStations, simRegistry, realtimeUpload, simFactors } from '../adapters/hj212/sim/stations.ts';
import { encodeFrame } from '../adapters/hj212/codec/index.ts';

const TARGET_OBS = 30_000, TARGET_P99_MS = 100, PACED_OBS = 10_000, TARGET_RSS = 1024 ** 3;
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const perFrame = simFactors.length;

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : Number.NaN; };
const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;

async function startHub(dir: string, url: string, stations: number): Promise<{ proc: ChildProcess; port: number; api: string }> {
  const cfg = join(dir, 'hub.yaml');
  writeFileSync(cfg, stringify({
    data_dir: dir, server: { host: '127.0.0.1', port: 0 }, log: { level: 'warn' }, store: { url, pool_size: 8 },
    adapters: { hj212: { host: '127.0.0.1', port: 0, max_connections: 20000, max_connections_per_ip: 20000, idle_timeout_s: 3600 } },
    registry: simRegistry(simStations(stations)),
  }));
  const { proc, api } = await spawnHub(cfg, { LIFELINE_API_KEY: 'bench', DATABASE_URL: '' });
  const list = await (await fetch(`${api}/v1/adapters`, { headers: { authorization: 'Bearer bench' } })).json() as { data: Array<{ name: string; health: { detail: { port: number } } }> };
  return { proc, api, port: list.data.find((a) => a.name === 'hj212')!.health.detail.port };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    stations: { type: 'string', default: '200' }, seconds: { type: 'string', default: '15' }, idle: { type: 'string', default: '10000' }, help: { type: 'boolean' },
  } });
  if (values.help) { console.log('npm run bench -- hj212-ingest [--stations 200] [--seconds 15] [--idle 10000]'); return; }
  const nStations = Number(values.stations), seconds = Number(values.seconds), nIdle = Number(values.idle);
  const dbName = `lifeline_bench_hj212_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-hj212-'));
  console.log(`hj212-ingest: ${nStations} stations × ${perFrame} factors per 2011 frame, PostgreSQL ${dbName}, hub in a child process`);
  const { proc, port, api } = await startHub(dir, url, nStations);
  const zone = 'Asia/Shanghai';
  const qns = new QnSource({ now: Date.now }, zone);
  const zone14 = (ms: number) => wallTime14(ms, zone);
  const stations = simStations(nStations);
  const clients = stations.map(() => new Hj212Client({ host: '127.0.0.1', port, nextQn: () => qns.next(), timeoutMs: 10_000, retries: 3 }));
  let timeBase = Date.UTC(2026, 0, 1);
  try {
    // 1. Throughput: every station sends back to back, each frame waits for its 9014.
    let frames = 0;
    const until = Date.now() + seconds * 1000;
    const started = performance.now();
    const progress = setInterval(() => console.log(`  … ${frames * perFrame} observations acknowledged`), 5000);
    await Promise.all(stations.map(async (s, i) => {
      let t = timeBase + i * 1_000_000_000;
      while (Date.now() < until) {
        t += 1000;
        await clients[i]!.send(realtimeUpload(s, t, qns.next(), { zone14 }));
        frames++;
      }
    }));
    clearInterval(progress);
    const secs = (performance.now() - started) / 1000;
    const rate = (frames * perFrame) / secs;
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const count = Number((await db.query('SELECT count(*) AS n FROM observation')).rows[0].n);
    console.log(`throughput: ${frames.toLocaleString()} frames acknowledged in ${secs.toFixed(1)} s = ${Math.round(rate).toLocaleString()} observations/s (target ≥ ${TARGET_OBS.toLocaleString()}) ${rate >= TARGET_OBS ? 'PASS' : 'BELOW TARGET'}`);
    console.log(`  stored: count(*) = ${count.toLocaleString()} ${count === frames * perFrame ? '= acknowledged ✓' : `≠ acknowledged ${frames * perFrame} ✗`}`);

    // 2. Latency at a paced 10,000 observations/s.
    timeBase += 10 * 365 * 86_400_000;
    const perSec = PACED_OBS / perFrame;
    const rtts: number[] = [];
    const pacedUntil = Date.now() + seconds * 1000;
    let k = 0;
    const inflight: Promise<void>[] = [];
    while (Date.now() < pacedUntil) {
      const tick = Date.now();
      for (let j = 0; j < perSec / 10; j++) {
        const i = k++ % nStations;
        const s = stations[i]!;
        const t0 = performance.now();
        inflight.push(clients[i]!.send(realtimeUpload(s, timeBase + k * 1000, qns.next(), { zone14 })).then(() => { rtts.push(performance.now() - t0); }, () => { rtts.push(Number.POSITIVE_INFINITY); }));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
    }
    await Promise.all(inflight);
    const p50 = pct(rtts, 0.5), p99 = pct(rtts, 0.99);
    console.log(`latency at ${PACED_OBS.toLocaleString()} obs/s: 9014 round trip p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (target p99 < ${TARGET_P99_MS} ms) ${p99 < TARGET_P99_MS ? 'PASS' : 'BELOW TARGET'}`);
    for (const c of clients) c.close();
    await db.end();

    // 3. Idle collectors: connections that sent one frame, then stay silent.
    const before = rssOf(proc.pid!);
    const sockets: net.Socket[] = [];
    const frame = encodeFrame(realtimeUpload(stations[0]!, timeBase - 1000, qns.next(), { zone14 }));
    for (let i = 0; i < nIdle; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      sockets.push(s);
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(sockets.map((s) => new Promise((r) => (s.readyState === 'open' ? r(null) : s.once('connect', r)))));
    for (const s of sockets.slice(0, 100)) s.write(frame);
    await new Promise((r) => setTimeout(r, 2000));
    const rss = rssOf(proc.pid!);
    const list = await (await fetch(`${api}/v1/adapters`, { headers: { authorization: 'Bearer bench' } })).json() as { data: Array<{ name: string; health: { detail: { connections: number } } }> };
    const held = list.data.find((a) => a.name === 'hj212')!.health.detail.connections;
    console.log(`idle: ${held.toLocaleString()} of ${nIdle.toLocaleString()} collectors connected; hub RSS ${mib(rss)} (before ${mib(before)}; target < ${mib(TARGET_RSS)}) ${rss < TARGET_RSS && held >= nIdle ? 'PASS' : 'BELOW TARGET'}`);
    for (const s of sockets) s.destroy();
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
