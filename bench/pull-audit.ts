// The pull path with and without the pull audit (and with a scoped key): GET /v1/observations latency, interleaved, as ratios against audit off.
//
// In a fresh database lifeline_bench_audit_<pid> (dropped at the end), two hubs in this process share the store: one
// with api.audit.enabled true (the default), one with it false. --sites sites of --points-per-site points get --readings
// readings each (one a minute). Then --rounds rounds of --requests reads per variant (GET /v1/observations?point=
// <random>&limit=100 through fastify's inject: the server's own cost, no sockets), interleaved: read i goes to variant
// i % 4, --concurrency loops at once. Variants: audit off / on × an unscoped read key / a key scoped to one enterprise
// (half of the sites). Figures are medians over rounds; the ratio is each variant's mean latency against audit off
// with the unscoped key in the same round, so the machine's load (shared, noisy) falls out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { testConfig } from '../test/helpers/hub.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { hashKey } from '../hub/api/auth.ts';
import { PullAudit } from '../hub/access/audit.ts';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      sites: { type: 'string', default: '20' }, 'points-per-site': { type: 'string', default: '5' }, readings: { type: 'string', default: '500' },
      requests: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '4' }, rounds: { type: 'string', default: '4' },
    },
  });
  const sites = Number(values.sites), perSite = Number(values['points-per-site']), readings = Number(values.readings);
  const requests = Number(values.requests), concurrency = Number(values.concurrency), rounds = Number(values.rounds);
  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_PG_URL;
  const name = `lifeline_bench_audit_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const dirs: string[] = [];
  const hubs: Hub[] = [];
  try {
    const registry = {
      sites: Array.from({ length: sites }, (_, s) => ({ code: `S${s}`, name: `site ${s}`, domain: 'water', enterprise: `E${s % 2}`, region: s % 2 ? '320102' : '330106' })),
      devices: Array.from({ length: sites }, (_, s) => ({ code: `S${s}-D`, site: `S${s}`, name: 'd' })),
      points: Array.from({ length: sites * perSite }, (_, i) => ({ code: `S${Math.floor(i / perSite)}-P${i % perSite}`, device: `S${Math.floor(i / perSite)}-D`, indicator: 'water.pipe_pressure' })),
    };
    const start = async (audit: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-audit-'));
      dirs.push(dir);
      const loaded = testConfig(dir, (c) => {
        c.store.url = url;
        c.registry = registry as never;
        c.alarms.enabled = false;
        c.api.audit = { enabled: audit };
        c.api.keys.push({ name: 'scoped', hash: hashKey('key-scoped'), scopes: ['read'], scope: { enterprises: ['E0'] } as never });
      });
      const hub = await startHub(loaded, { listen: false, logger: pino({ level: 'silent' }), env: {} });
      hubs.push(hub);
      return hub;
    };
    const on = await start(true);
    const off = await start(false);

    const t0 = Date.now() - readings * 60_000;
    for (let m = 0; m < readings; m += 100) {
      const records = registry.points.flatMap((p) => Array.from({ length: Math.min(100, readings - m) }, (_, k) => ({ point: p.code, time: new Date(t0 + (m + k) * 60_000).toISOString(), value: 0.3 })));
      const res = await on.app.inject({ method: 'POST', url: '/v1/observations', headers: { 'x-api-key': 'key-ingest' }, payload: { records } });
      if (res.statusCode !== 200) throw new Error(`ingest failed: ${res.body}`);
    }
    console.log(`data: ${sites} sites × ${perSite} points × ${readings} readings = ${(sites * perSite * readings).toLocaleString('en')} observations; ${requests} reads a run, ${concurrency} at once, ${rounds} rounds`);

    // Points a scoped key may read (enterprise E0: even sites), so both keys read the same kind of rows.
    const pointsOf = (scoped: boolean) => registry.points.filter((p) => !scoped || Number(p.device.slice(1, -2)) % 2 === 0).map((p) => p.code);
    const variants = [
      { label: 'audit off, unscoped key', hub: off, key: 'key-read', scoped: false },
      { label: 'audit on,  unscoped key', hub: on, key: 'key-read', scoped: false },
      { label: 'audit off, scoped key  ', hub: off, key: 'key-scoped', scoped: true },
      { label: 'audit on,  scoped key  ', hub: on, key: 'key-scoped', scoped: true },
    ];
    // Interleaved: request i goes to variant i % 4 (the order rotating each round), so every variant meets the same
    // moments of the machine's (shared, noisy) load; --concurrency such loops run at once.
    const read = async (v: (typeof variants)[number]) => {
      const points = pointsOf(v.scoped);
      const p = points[Math.floor(Math.random() * points.length)]!;
      const s = performance.now();
      const res = await v.hub.app.inject({ url: `/v1/observations?point=${p}&limit=100`, headers: { 'x-api-key': v.key } });
      const ms = performance.now() - s;
      if (res.statusCode !== 200 || res.json().data.length !== 100) throw new Error(`read failed: ${res.statusCode} ${res.body.slice(0, 200)}`);
      return ms;
    };
    const runRound = async (r: number) => {
      const lat: number[][] = variants.map(() => []);
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < requests * variants.length) {
          const i = (next++ + r) % variants.length;
          lat[i]!.push(await read(variants[i]!));
        }
      }));
      return lat;
    };
    await runRound(0); // warm-up
    const results = variants.map(() => ({ mean: [] as number[], p50: [] as number[], p99: [] as number[], ratio: [] as number[] }));
    for (let r = 0; r < rounds; r++) {
      const lat = await runRound(r + 1);
      const means = lat.map((l) => l.reduce((a, b) => a + b, 0) / l.length);
      lat.forEach((l, i) => { const x = results[i]!; x.mean.push(means[i]!); x.p50.push(pct(l, 0.5)); x.p99.push(pct(l, 0.99)); x.ratio.push(means[i]! / means[0]!); });
    }
    await on.app.inject({ url: '/v1/audit?limit=1', headers: { 'x-api-key': 'key-admin' } }); // writes what is pending
    const audited = Number((await on.db.query<{ n: string }>('SELECT count(*)::text AS n FROM pull_audit')).rows[0]!.n);
    console.log('\nvariant                   mean ms  p50 ms  p99 ms  mean vs audit off (unscoped); medians of rounds');
    variants.forEach((v, i) => {
      const x = results[i]!;
      console.log(`${v.label}  ${median(x.mean).toFixed(2).padStart(7)}  ${median(x.p50).toFixed(2).padStart(6)}  ${median(x.p99).toFixed(2).padStart(6)}  ${median(x.ratio).toFixed(3)}`);
    });
    console.log(`\naudit rows written by the audited hub: ${audited.toLocaleString('en')} (expected ${((rounds + 1) * requests * 2).toLocaleString('en')}: every read of the audited hub)`);
    // The audit's own cost, apart from the noise of the reads: N entries recorded and written (batches of 500) on this
    // store, wall time per entry, against a read's mean latency.
    const n = 20_000;
    const audit = new PullAudit(on.db, { flushMs: 1000 });
    const cpu0 = process.cpuUsage(), w0 = performance.now();
    for (let i = 0; i < n; i++) audit.record({ atMs: Date.now(), keyId: 'config:bench', keyName: 'bench', method: 'GET', route: '/v1/observations', filter: { point: 'S1-P1', limit: 100 }, status: 200, rows: 100, bytes: 40_000, durationMs: 5 });
    const recordUs = ((performance.now() - w0) * 1000) / n;
    await audit.close();
    const wallUs = ((performance.now() - w0) * 1000) / n, cpu = process.cpuUsage(cpu0), cpuUs = (cpu.user + cpu.system) / n;
    const readMs = median(results[0]!.mean);
    console.log(`\naudit cost: ${n.toLocaleString('en')} entries recorded and written in batches: ${recordUs.toFixed(2)} µs a read on the request's path (record), ${wallUs.toFixed(1)} µs wall and ${cpuUs.toFixed(1)} µs hub CPU a read in all; a read takes ${readMs.toFixed(2)} ms here, so the audit is ${((wallUs / 1000 / readMs) * 100).toFixed(2)}% of it`);
    console.log('target: audit on within the noise of audit off (mean ratio ≤ 1.05), and its own cost under 1% of a read');
  } finally {
    for (const h of hubs) await h.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}
