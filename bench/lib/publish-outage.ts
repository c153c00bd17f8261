// `npm run bench -- publish --outage-s N`: the upstream target down for N s under a steady live ingest, then up.
//
// Per driver, a fresh PostgreSQL database and a hub with one http_push target using the DEFAULT batch and retry
// settings (those of a real deployment), pointing at the delivery tests' recording target on loopback
// (hub/delivery/test/fixtures/target.ts). hub.ingest feeds `rate` obs/s over 1,000 points (times increasing per
// point) for the whole scenario: 5 s up, then the target refuses connections for 2/3 of N and answers 503 for the
// last 1/3, then it is up again; ingest goes on until the outage backlog is delivered (at least 20 s), then stops
// and the rest drains. Figures: observations ingested during the outage, backlog and lag peaks (the engine's
// status, as GET /v1/publish/targets), time from target-up until everything ingested before it was delivered,
// and until the status backlog was 0 after ingest stopped. Checks (the delivery tests' judge): every stored
// observation delivered, per-point order of first delivery kept, re-deliveries only under the same idempotency key.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { Redis } from 'ioredis';
import { publishBenchConfig } from './publish-hub.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { startTarget, judge, type TestTarget } from '../../hub/delivery/test/fixtures/target.ts';

const POINTS = 1000;
const WARMUP_MS = 5000;
const MIN_AFTER_UP_MS = 20_000;
const DRAIN_TIMEOUT_MS = 300_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const fmt = (n: number) => Math.round(n).toLocaleString('en');

/** A target's default batch and retry settings, from the config schema (the single source of truth). */
function targetDefaults() {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/json/config.schema.json', import.meta.url), 'utf8'));
  const t = schema.properties.publish.properties.targets.additionalProperties.properties;
  const d = (o: Record<string, { default: number }>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.default]));
  const retry = d(t.retry.properties) as { initial_ms: number; max_ms: number; multiplier: number; max_attempts: number; jitter: number };
  let giveUpMs = 0;
  for (let n = 1; n < retry.max_attempts; n++) giveUpMs += Math.min(retry.max_ms, retry.initial_ms * retry.multiplier ** (n - 1));
  return { batch: d(t.batch.properties) as { max_size: number; max_wait_ms: number }, retry, giveUpMs };
}

export interface OutageOptions { outageS: number; rate: number; drivers: readonly ('embedded' | 'bullmq')[]; adminUrl: string; redisUrl: string }

interface Result {
  driver: string; stored: number; delivered: number; missing: number; extra: number; crossKeyDuplicates: number;
  orderViolations: number; redelivered: number; batches: number; requests: number; duringOutage: number;
  backlogPeak: number; lagPeak: number; maxAttempts: number; recoveredS: number | null; drainedS: number | null; pass: boolean;
}

/** Ingest `rate` obs/s (self-correcting schedule, batches ≤ 1,000) until stopped; records ids and when. */
function ingestor(hub: Hub, rate: number) {
  const base = Date.now() - 86_400_000;
  const seq = new Array<number>(POINTS).fill(0);
  let next = 0, stopped = false, accepted = 0, errors = 0;
  const ids: string[] = [];
  const t0 = performance.now();
  const done = (async () => {
    while (!stopped) {
      const want = Math.floor(((performance.now() - t0) / 1000) * rate) - next;
      if (want <= 0) { await sleep(20); continue; }
      const records = Array.from({ length: Math.min(want, 1000) }, () => {
        const p = next++ % POINTS;
        return { point: `BP${p}`, time: base + seq[p]!++ * 1000, value: (next % 1000) / 1000 };
      });
      try {
        const r = await hub.ingest('bench', records);
        for (const x of r.results) if (x.outcome === 'accepted') { ids.push(x.id); accepted++; }
      } catch { errors++; await sleep(100); }
    }
  })();
  return { ids, get accepted() { return accepted; }, get errors() { return errors; }, async stop() { stopped = true; await done; } };
}

async function scenario(driver: 'embedded' | 'bullmq', o: OutageOptions): Promise<Result> {
  const dbName = `lifeline_bench_pubout_${process.pid}_${driver}`;
  const admin = new pg.Client({ connectionString: o.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = o.adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-pubout-'));
  const prefix = `lbenchout${process.pid}${driver}`;
  let target: TestTarget | undefined;
  let hub: Hub | undefined;
  const log = (s: string) => console.log(`  ${driver}: ${s}`);
  try {
    target = await startTarget();
    const tgt = target;
    const loaded = publishBenchConfig(dir, url, POINTS);
    const c = loaded.config;
    // Defaults for batch, retry and poll_ms: what a deployment that sets only the URL gets.
    c.publish = { driver, redis_url: o.redisUrl, key_prefix: prefix, targets: { up: { type: 'http_push', config: { url: tgt.url } } } } as never;
    hub = await startHub(loaded, { listen: false, logger: pino({ level: 'silent' }), env: {} });
    const h = hub;
    const t0 = performance.now();
    const at = () => ((performance.now() - t0) / 1000).toFixed(0).padStart(4) + ' s';
    let backlogPeak = 0, lagPeak = 0, maxAttempts = 0, lastStatus = { backlog: 0, lag_seconds: 0, state: '', attempts: 0, last_error: null as string | null };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          const st = (await h.publish.status())[0]!;
          lastStatus = st;
          backlogPeak = Math.max(backlogPeak, st.backlog); lagPeak = Math.max(lagPeak, st.lag_seconds); maxAttempts = Math.max(maxAttempts, st.attempts);
        } catch { /* the next poll */ }
        await sleep(500);
      }
    })();
    const ing = ingestor(h, o.rate);
    const progress = setInterval(() => log(`${at()}  ingested ${fmt(ing.accepted)}, target accepted ${fmt(tgt.accepted.reduce((n, d) => n + d.ids.length, 0))} (${tgt.requests} requests), status ${lastStatus.state} backlog ${fmt(lastStatus.backlog)} lag ${lastStatus.lag_seconds} s attempts ${lastStatus.attempts}${lastStatus.last_error ? ` (${lastStatus.last_error.slice(0, 60)})` : ''}`), 10_000);
    try {
      await sleep(WARMUP_MS);
      await tgt.down();
      const atDown = ing.accepted;
      const downAt = performance.now();
      log(`${at()}  target DOWN (connection refused)`);
      await sleep(o.outageS * 1000 * 2 / 3);
      await tgt.up();
      tgt.mode = '503';
      log(`${at()}  target answers 503`);
      await sleep(downAt + o.outageS * 1000 - performance.now());
      tgt.mode = 'ok';
      const upAt = performance.now();
      const duringOutage = ing.accepted - atDown;
      const preUp = ing.ids.slice(0, ing.ids.length);
      log(`${at()}  target UP after ${((upAt - downAt) / 1000).toFixed(1)} s; ${fmt(duringOutage)} observations ingested during the outage`);
      // Recovered: every observation ingested before target-up delivered.
      const seen = new Set<string>();
      let scanned = 0, ptr = 0, recoveredS: number | null = null;
      const deadline = upAt + DRAIN_TIMEOUT_MS;
      while (performance.now() < deadline) {
        for (; scanned < tgt.accepted.length; scanned++) for (const id of tgt.accepted[scanned]!.ids) seen.add(id);
        while (ptr < preUp.length && seen.has(preUp[ptr]!)) ptr++;
        if (recoveredS === null && ptr === preUp.length) { recoveredS = (performance.now() - upAt) / 1000; log(`${at()}  outage backlog delivered ${recoveredS.toFixed(1)} s after target-up`); }
        if (recoveredS !== null && performance.now() - upAt >= MIN_AFTER_UP_MS) break;
        await sleep(100);
      }
      await ing.stop();
      const stopAt = performance.now();
      log(`${at()}  ingest stopped (${fmt(ing.accepted)} ingested, ${ing.errors} ingest errors); draining`);
      let drainedS: number | null = null;
      while (performance.now() < stopAt + DRAIN_TIMEOUT_MS) {
        const st = (await h.publish.status())[0]!;
        if (st.backlog === 0 && st.pending_batches === 0) { drainedS = (performance.now() - upAt) / 1000; break; }
        await sleep(250);
      }
      watching = false;
      await watcher;
      const stored = new Set((await h.db.query<{ id: string }>('SELECT id::text AS id FROM observation')).rows.map((r) => r.id));
      const j = judge(tgt.accepted);
      let missing = 0, extra = 0;
      for (const id of stored) if (!j.ids.has(id)) missing++;
      for (const id of j.ids) if (!stored.has(id)) extra++;
      const pass = missing === 0 && extra === 0 && j.crossKeyDuplicates === 0 && j.orderViolations === 0 && recoveredS !== null && drainedS !== null && ing.errors === 0;
      return {
        driver, stored: stored.size, delivered: j.ids.size, missing, extra, crossKeyDuplicates: j.crossKeyDuplicates, orderViolations: j.orderViolations,
        redelivered: j.redelivered, batches: j.batches, requests: tgt.requests, duringOutage, backlogPeak, lagPeak, maxAttempts, recoveredS, drainedS, pass,
      };
    } finally {
      clearInterval(progress);
      watching = false;
      await ing.stop();
    }
  } finally {
    await hub?.stop().catch(() => undefined);
    await target?.close().catch(() => undefined);
    if (driver === 'bullmq') {
      const r = new Redis(o.redisUrl);
      const keys = await r.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
      r.disconnect();
    }
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the scenario per driver, prints the figures and PASS/FAIL; returns false on any FAIL. */
export async function runOutage(o: OutageOptions): Promise<boolean> {
  const results: Result[] = [];
  console.log(`publish --outage-s ${o.outageS}: live ingest ${fmt(o.rate)} obs/s over ${POINTS} points; target down ${o.outageS} s (refused ${(o.outageS * 2 / 3).toFixed(0)} s, then 503 ${(o.outageS / 3).toFixed(0)} s)`);
  for (const d of o.drivers) results.push(await scenario(d, o));
  console.log(`\npublish outage: ${o.outageS} s target outage under ${fmt(o.rate)} obs/s live ingest, PostgreSQL store, http_push with default settings`);
  const { batch, retry, giveUpMs } = targetDefaults();
  console.log(`  (batch.max_size ${batch.max_size}, max_wait_ms ${batch.max_wait_ms}; retry initial_ms ${retry.initial_ms}, ×${retry.multiplier}, max_ms ${retry.max_ms}, jitter ±${retry.jitter * 100}%, max_attempts ${retry.max_attempts}:`);
  console.log(`   after target-up the next attempt can be up to ${((retry.max_ms * (1 + retry.jitter)) / 1000).toFixed(0)} s away; the head batch is dead-lettered after ~${(giveUpMs / 60_000).toFixed(1)} min of failures, so longer outages need a larger max_attempts)`);
  for (const r of results) {
    console.log(`${r.driver}:`);
    console.log(`  ingested during the outage ${fmt(r.duringOutage)}; backlog peak ${fmt(r.backlogPeak)}, lag peak ${r.lagPeak} s, head batch attempts ${r.maxAttempts}`);
    console.log(`  target-up → outage backlog delivered ${r.recoveredS?.toFixed(1) ?? 'never'} s; → backlog 0 (ingest stopped ≥ 20 s after up) ${r.drainedS?.toFixed(1) ?? 'never'} s`);
    console.log(`  stored ${fmt(r.stored)}, delivered ${fmt(r.delivered)} (missing ${r.missing}, unknown ${r.extra}); ${fmt(r.batches)} batches, ${r.redelivered} re-deliveries, ${fmt(r.requests)} requests`);
    console.log(`  ids in two batches ${r.crossKeyDuplicates}, per-point order violations ${r.orderViolations} → ${r.pass ? 'PASS' : 'FAIL'}`);
  }
  const ok = results.every((r) => r.pass);
  console.log(`target: after the outage every stored observation delivered, per-point order kept, re-sends only under the same idempotency key, per driver → ${ok ? 'PASS' : 'FAIL'}`);
  return ok;
}
