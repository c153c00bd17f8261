// SensorThings reads (/sta/v1.1) on a bounded PostgreSQL data set: one Datastream's last day, the latest observation of every Datastream of 1,000 Things, $count over one day; each beside the /v1 or SQL answer to the same question.
//
// A fresh database on the PostgreSQL of DATABASE_URL: --things sites, one device each with --per-thing points,
// --days of history (one reading every --every minutes per point) loaded by SQL in the store's own layout
// (bench/lib/current-layout.ts), the latest table rebuilt, the closed days packed as the hub's upkeep packs them
// (store.pack_closed_days: 1, the default), ANALYZE. Or --database: one such database kept by an earlier run (--keep),
// its shape read back from it (closed days it still holds plain are packed first). Then each figure is timed through the hub's API in
// process (fastify inject: routing, auth, SQL, JSON), with a reference measured in the same run so the ratio means
// something on a loaded machine. The database is dropped at the end unless --keep.
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, sampleConfigPath } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import { hashKey } from '../hub/api/auth.ts';
import { rebuildLatest } from '../hub/store/observations.ts';
import { packBounds, packClosed } from '../hub/store/pack.ts';
import type { RegistryDocs } from '../hub/registry/check.ts';
import { BenchUsageError } from './lib/errors.ts';
import { currentLayout } from './lib/current-layout.ts';
import { BackendCpu } from './lib/pg-backend-cpu.ts';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;
const KEY = 'bench-sta-key';
const INDICATORS = ['water.pipe_pressure', 'water.pipe_flow_velocity', 'water.hydrant_pressure', 'water.leak_noise', 'water.hydrant_flow'];

const HELP = `usage: npm run bench -- sta [options]

  --things N     sites (Things), one device each (default 1000)
  --per-thing N  points (Datastreams) per site (default 5)
  --days N       days of history (default 3)
  --every M      minutes between two readings of a point (default 10)
  --samples N    timed runs per figure (default 100; each figure also stops after --budget seconds, at least 5 runs)
  --budget S     seconds per figure (default 20)
  --keep         keep the database (its name is printed)
  --database NAME  measure on a database an earlier run kept (--keep): no loading; its shape (Things, Datastreams,
                 rows, time range) is read from it, and closed days still plain are packed first. Never dropped.

Targets (issue 15, on the store bench's 50 M rows): Datastreams(id)/Observations for the last day p99 < 50 ms; the
latest observation of every Datastream of 1,000 Things < 300 ms; $count=true on Observations with a one-day filter
< 100 ms. The defaults make 1000 × 5 × 144 × 3 = 2.16 M rows (a few minutes on 2 cores).
PostgreSQL: DATABASE_URL (default ${DEFAULT_PG_URL}), a role that may CREATE DATABASE.`;

interface Options { things: number; perThing: number; days: number; every: number; samples: number; budgetMs: number; keep: boolean; database?: string }

function count(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

function parseOptions(args: string[]): Options | undefined {
  const options = {
    things: { type: 'string' }, 'per-thing': { type: 'string' }, days: { type: 'string' }, every: { type: 'string' },
    samples: { type: 'string' }, budget: { type: 'string' }, keep: { type: 'boolean', default: false }, database: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
  } as const;
  let values;
  try { values = parseArgs({ args, options, strict: true }).values; } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return undefined; }
  if (values.database !== undefined && !/^[a-z_][a-z0-9_]*$/.test(values.database)) throw new BenchUsageError(`--database takes a database name (lower case, digits, _), got "${values.database}"`);
  if (values.database !== undefined && (values.things ?? values['per-thing'] ?? values.days ?? values.every) !== undefined) throw new BenchUsageError('--database reads the data set\'s shape from the database: drop --things, --per-thing, --days and --every');
  return {
    database: values.database,
    things: count('things', values.things, 1000), perThing: count('per-thing', values['per-thing'], 5), days: count('days', values.days, 3),
    every: count('every', values.every, 10), samples: count('samples', values.samples, 100), budgetMs: count('budget', values.budget, 20) * 1000, keep: values.keep || values.database !== undefined,
  };
}

function registry(o: Options): RegistryDocs {
  const site = (i: number) => `STA-S${String(i + 1).padStart(5, '0')}`;
  const dev = (i: number) => `STA-D${String(i + 1).padStart(5, '0')}`;
  return {
    sites: Array.from({ length: o.things }, (_, i) => ({
      code: site(i), name: `SensorThings 测试站点 ${i + 1}`, domain: 'water', enterprise: i % 2 ? '示范市自来水有限公司' : '示范市二水厂',
      location: { lat: 24.4 + (i % 100) / 1000, lon: 118 + Math.floor(i / 100) / 1000 },
    })),
    devices: Array.from({ length: o.things }, (_, i) => ({ code: dev(i), site: site(i), name: `device ${i + 1}`, vendor: 'Bench', model: 'B-1' })),
    points: Array.from({ length: o.things * o.perThing }, (_, k) => ({
      code: `STA-P${String(k + 1).padStart(6, '0')}`, device: dev(Math.floor(k / o.perThing)), indicator: INDICATORS[k % INDICATORS.length]!, field: `f${k}`,
    })),
  };
}

const pgCpuText = (ms: number | undefined) => (ms === undefined ? '–' : ms.toLocaleString('en-US', { maximumFractionDigits: 0 }));
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const pctl = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!; };
/**
 * Wall times; the hub process's CPU per run (routing, SQL client, JSON, and the bench's parse of the answer); the CPU
 * of the PostgreSQL backends serving the bench's database per run (`pgCpu`, undefined when /proc does not show them).
 */
interface Timing { p50: number; p99: number; n: number; cpu: number; pgCpu?: number }

async function timed(samples: number, budgetMs: number, once: (i: number) => Promise<void>, backends?: BackendCpu): Promise<Timing> {
  await once(0); // warm (plans, caches)
  const ms: number[] = [];
  const t0 = performance.now();
  const be0 = await backends?.snapshot();
  const cpu0 = process.cpuUsage();
  for (let i = 1; i <= samples && (ms.length < 5 || performance.now() - t0 < budgetMs); i++) {
    const s = performance.now();
    await once(i);
    ms.push(performance.now() - s);
  }
  const cpu = process.cpuUsage(cpu0);
  const be = await backends?.since(be0);
  return { p50: pctl(ms, 0.5), p99: pctl(ms, 0.99), n: ms.length, cpu: (cpu.user + cpu.system) / 1000 / ms.length, pgCpu: be ? be.s * 1000 / ms.length : undefined };
}

/**
 * A kept database's shape, into `o`: its Things and Datastreams per Thing (the registry), the interval of one point's
 * readings, the history's time range. Throws when it is not a database this bench made.
 */
async function shapeOf(url: string, o: Options): Promise<{ fromMs: number; endMs: number }> {
  const c = new pg.Client({ connectionString: url });
  try { await c.connect(); } catch (e) { throw new BenchUsageError(`--database ${o.database}: ${(e as Error).message}`); }
  try {
    const q = async <T>(sql: string) => (await c.query(sql)).rows[0] as T;
    const reg = await q<{ sites: number; points: number; bench: number }>(`SELECT (SELECT count(*) FROM site)::int AS sites, (SELECT count(*) FROM point)::int AS points,
      (SELECT count(*) FROM site WHERE code LIKE 'STA-S%')::int AS bench`).catch(() => undefined);
    if (!reg || !reg.sites || reg.bench !== reg.sites || reg.points % reg.sites) throw new BenchUsageError(`--database ${o.database} is not a database this bench kept (its sites are not STA-S…, or points are not a multiple of them)`);
    const span = await q<{ lo: Date | null; hi: Date | null }>(`SELECT least((SELECT min(lo) FROM observation_pack), (SELECT min(time) FROM observation_data)) AS lo,
      (SELECT max(time) FROM observation_latest) AS hi`);
    const step = await q<{ ms: number | null }>(`SELECT (extract(epoch FROM max(time) - min(time)) * 1000)::float8 AS ms FROM (SELECT time FROM observation_data
      WHERE point_id = (SELECT min(id) FROM point) ORDER BY time DESC LIMIT 2) x`);
    if (!span.lo || !span.hi || !step.ms) throw new BenchUsageError(`--database ${o.database} holds no history (or none plain in its last day)`);
    o.things = reg.sites;
    o.perThing = reg.points / reg.sites;
    o.every = step.ms / 60_000;
    const endMs = span.hi.getTime() + step.ms;
    o.days = Math.round((endMs - span.lo.getTime()) / DAY);
    return { fromMs: span.lo.getTime(), endMs };
  } finally { await c.end(); }
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  if (!o) return;
  const adminUrl = process.env.DATABASE_URL || DEFAULT_PG_URL;
  const admin = new pg.Client({ connectionString: adminUrl });
  try { await admin.connect(); } catch (e) { throw new BenchUsageError(`cannot connect to PostgreSQL at ${adminUrl.replace(/\/\/[^@]*@/, '//***@')} (set DATABASE_URL): ${(e as Error).message}`); }
  const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const name = o.database ?? `lifeline_bench_sta_${process.pid}`;
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  console.log(`sta: PostgreSQL ${version}, node ${process.version}, ${cpus().length} CPU(s), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  let endMs = Math.floor(Date.now() / (o.every * 60_000)) * o.every * 60_000;
  let fromMs = endMs - o.days * DAY;
  if (o.database) ({ fromMs, endMs } = await shapeOf(u.toString(), o));
  const points = o.things * o.perThing;
  console.log(`  ${o.database ? `${name}: ` : ''}${fmt(o.things)} Things × ${o.perThing} Datastreams; ${o.days} days every ${o.every} min: ${fmt(points * o.days * 1440 / o.every)} observations`);
  let hub: Hub | undefined;
  const failures: string[] = [];
  try {
    if (!o.database) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
    }
    const loaded = loadConfig(sampleConfigPath, {});
    const c = loaded.config;
    c.store.url = u.toString();
    c.server.port = 0;
    c.api.keys = [{ name: 'bench', hash: hashKey(KEY), scopes: ['read'] }];
    c.adapters = {};
    c.registry = registry(o) as typeof c.registry;
    let t0 = performance.now();
    hub = await startHub(loaded, { listen: false, logger: pino({ level: 'warn' }), env: {} });
    console.log(`  hub started on ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const db = hub.db;
    const layout = currentLayout(c.timezone);
    if (!o.database) {
      t0 = performance.now();
      await layout.beforeBulkLoad(db, fromMs, endMs);
      const value = `round((0.2 + ((p.id * 7919 + (extract(epoch FROM t)::bigint / 60) * 104729) % 1000) / 2500.0)::numeric, 3)::float8`;
      for (let d = fromMs; d < endMs; d += DAY) {
        await db.query(layout.historySql(value), [d, Math.min(d + DAY, endMs), o.every]);
        process.stdout.write(`\r  loading: ${fmt((Math.min(d + DAY, endMs) - fromMs) / DAY)} of ${o.days} days`);
      }
      await rebuildLatest(db);
      console.log(`\r  loaded ${o.days} days, latest table in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    // Closed days packed, as the hub's upkeep does with store.pack_closed_days: 1 (the default); on a kept database,
    // those it still holds plain (the days closed since, or all of them if it was loaded before packing).
    t0 = performance.now();
    const packed = await packClosed(db, { nowMs: Date.now(), onPacked: (p, n) => process.stdout.write(`\r  packing: ${p}, ${fmt(n)} readings (${((performance.now() - t0) / 1000).toFixed(0)} s)   `) });
    if (packed.length) console.log(`\r  packed ${packed.length} closed day(s), ${fmt(packed.reduce((a, p) => a + p.n, 0))} readings, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (packed.length || !o.database) await db.query('ANALYZE');
    const stored = (await db.query<{ plain: string; packed: string; packs: string }>(`SELECT (SELECT count(*) FROM observation_data)::text AS plain,
      (SELECT coalesce(sum(n), 0) FROM observation_pack)::text AS packed, (SELECT count(*) FROM observation_pack)::text AS packs`)).rows[0]!;
    const rows = Number(stored.plain) + Number(stored.packed);
    console.log(`  ${fmt(rows)} observations: ${fmt(Number(stored.plain))} plain rows, ${fmt(Number(stored.packed))} in ${fmt(Number(stored.packs))} packs\n`);

    const inject = async (url: string, check: (body: any) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = await hub!.app.inject({ url, headers: { authorization: `Bearer ${KEY}` } });
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
      check(r.json());
    };
    const pointIds = (await db.query<{ id: number; code: string }>('SELECT id, code FROM point ORDER BY id')).rows;
    // The PostgreSQL side of each figure (what SQL that builds JSON moves out of the hub shows there).
    const backends = new BackendCpu(admin, name);
    const pick = (i: number) => pointIds[(i * 7919) % pointIds.length]!;
    const dayAgo = new Date(endMs - DAY).toISOString();
    const perDay = 1440 / o.every;
    const enc = encodeURIComponent;
    const figures: Array<{ label: string; target: number; pick: 'p99' | 'p50'; sta: Timing; ref: Timing; refLabel: string }> = [];

    // 1. One Datastream's last day (all of it: $top 1000 > 144 rows).
    const expectDay = (n: number) => { if (Math.abs(n - perDay) > 1) throw new Error(`expected ~${perDay} rows of the last day, got ${n}`); };
    const sta1 = await timed(o.samples, o.budgetMs, (i) => inject(`/sta/v1.1/Datastreams(${pick(i).id})/Observations?$filter=${enc(`phenomenonTime ge ${dayAgo}`)}&$orderby=phenomenonTime&$top=1000`, (b) => expectDay(b.value.length)), backends);
    const ref1 = await timed(o.samples, o.budgetMs, (i) => inject(`/v1/observations?point=${pick(i).code}&from=${dayAgo}&limit=1000`, (b) => expectDay(b.data.length)), backends);
    figures.push({ label: 'Datastreams(id)/Observations, last day', target: 50, pick: 'p99', sta: sta1, ref: ref1, refLabel: '/v1/observations?point=…&from=…' });

    // 2. The latest observation of every Datastream of 1,000 Things (from the latest-value table).
    const things = Math.min(1000, o.things);
    const expectAll = (n: number) => { if (n !== things * o.perThing) throw new Error(`expected ${things * o.perThing} latest values, got ${n}`); };
    const sta2 = await timed(Math.min(o.samples, 30), o.budgetMs, () => inject(`/sta/v1.1/Things?$top=${things}&$select=id&$expand=${enc('Datastreams($select=id;$expand=Observations($top=1;$orderby=phenomenonTime desc))')}`,
      (b) => expectAll(b.value.reduce((s: number, t: any) => s + t.Datastreams.filter((d: any) => d.Observations.length === 1).length, 0))), backends); // eslint-disable-line @typescript-eslint/no-explicit-any
    const ref2 = await timed(Math.min(o.samples, 30), o.budgetMs, () => inject('/v1/observations/latest', (b) => expectAll(b.data.length)), backends);
    figures.push({ label: `latest Observation of every Datastream of ${fmt(things)} Things`, target: 300, pick: 'p99', sta: sta2, ref: ref2, refLabel: '/v1/observations/latest (all points)' });

    // 3. $count over one day ($top=0: the count alone; the first rows of a whole-city packed day open every point's
    // pack of that day, docs/store.md): the first whole UTC day of history (the store packs UTC days: a window cutting through
    // two days unnests those days' packs to count their readings inside it).
    const day0 = Math.ceil(fromMs / DAY) * DAY;
    const dayFilter = `phenomenonTime ge ${new Date(day0).toISOString()} and phenomenonTime lt ${new Date(day0 + DAY).toISOString()}`;
    const expectCount = (n: number) => { if (n !== points * perDay) throw new Error(`expected a count of ${points * perDay}, got ${n}`); };
    const sta3 = await timed(Math.min(o.samples, 50), o.budgetMs, () => inject(`/sta/v1.1/Observations?$filter=${enc(dayFilter)}&$count=true&$top=0`, (b) => expectCount(b['@iot.count'])), backends);
    const ref3 = await timed(Math.min(o.samples, 50), o.budgetMs, async () => {
      // The count as a reader of the view makes it (packs unnested, bounded by their span: docs/store.md).
      const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM observation WHERE time >= to_timestamp($1 / 1000.0) AND time < to_timestamp($2 / 1000.0)
        AND ${packBounds('to_timestamp($1 / 1000.0)', 'to_timestamp($2 / 1000.0)')}`, [day0, day0 + DAY]);
      expectCount(Number(r.rows[0]!.n));
    }, backends);
    figures.push({ label: '$count=true on Observations, one-day filter', target: 100, pick: 'p99', sta: sta3, ref: ref3, refLabel: 'SELECT count(*) FROM observation … one day (SQL, no HTTP)' });

    console.log(`| figure | SensorThings p50 / p99 (ms) | target | reference p50 / p99 (ms) | ratio p50 | hub CPU per run, SensorThings / reference (ms) | PostgreSQL CPU per run, SensorThings / reference (ms) |`);
    console.log(`|---|---|---|---|---|---|---|`);
    for (const f of figures) {
      const ok = f.sta[f.pick] < f.target;
      if (!ok) failures.push(f.label);
      console.log(`| ${f.label} (${f.sta.n} runs) | ${fmt(f.sta.p50, 1)} / ${fmt(f.sta.p99, 1)} | ${f.pick} < ${f.target} ${ok ? 'met' : 'MISSED'} | ${f.refLabel}: ${fmt(f.ref.p50, 1)} / ${fmt(f.ref.p99, 1)} | ${fmt(f.sta.p50 / f.ref.p50, 2)}× | ${fmt(f.sta.cpu, 1)} / ${fmt(f.ref.cpu, 1)} (${fmt(f.sta.cpu / f.ref.cpu, 2)}×) | ${pgCpuText(f.sta.pgCpu)} / ${pgCpuText(f.ref.pgCpu)} |`);
    }
    console.log(`\nload average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`${failures.length ? `missed on this run: ${failures.join('; ')}` : 'every target met'} (at ${fmt(rows)} rows; the issue's figures are for 50 M)`);
  } finally {
    await hub?.stop().catch(() => undefined);
    if (o.keep) console.log(`kept: database ${name}${o.database ? '' : ` (measure again: npm run bench -- sta --database ${name})`}`);
    else { await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e: Error) => console.log(`could not drop ${name}: ${e.message}`)); console.log(`dropped the database ${name}`); }
    await admin.end();
  }
}
