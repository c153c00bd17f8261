// Data-quality reports on PostgreSQL: GET /v1/reports/daily and /monthly (JSON and XLSX, all four groupings) over 10,000 points with a month of rollups made by SQL (targets: daily < 2 s, monthly < 5 s).
//
// In a fresh database lifeline_bench_reports_<pid> (dropped at the end unless --keep): a hub (startHub, not
// listening; requests through fastify's inject) with the store bench's city registry (10 points a device, 10
// devices a site; here 20 enterprises and the five domains), then by SQL, as the roller would have kept them for a
// month of one reading a minute per point: the day rollups (counts, flagged, on time, hours with data; some points
// with gaps), optionally the hour rollups too (--hours: 24× the rows, a realistically sized table), alarms with
// handling events, and quarantined readings. Each report is then asked --samples times; the median and the slowest
// are printed beside the target, with the median CPU of the hub's process (its share of the time; PostgreSQL's
// is the rest, less any wait for a busy machine).
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, sampleConfigPath } from '../hub/config/load.ts';
import { startHub, type Hub } from '../hub/hub.ts';
import type { RegistryDocs } from '../hub/registry/check.ts';
import { BenchUsageError } from './lib/errors.ts';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DOMAINS: Array<[string, string]> = [['water', 'water.pipe_pressure'], ['gas', 'gas.pipe_pressure'], ['drainage', 'drainage.pipe_level'], ['heating', 'heating.pipe_pressure'], ['bridge', 'bridge.crack_width']];

const HELP = `usage: npm run bench -- reports [options]

  --points N     points in the registry (default 10000)
  --month M      the month of rollups, YYYY-MM (default 2026-10)
  --samples N    timed runs of each report (default 5)
  --hours        also make the month's hour rollups (24 x the rows; the reports read day rollups only)
  --keep         keep the database (its name is printed)

PostgreSQL: DATABASE_URL (default ${DEFAULT_PG_URL}), a role that may CREATE DATABASE.`;

function registry(points: number, indicators: Set<string>): RegistryDocs {
  const devices = Math.ceil(points / 10), sites = Math.ceil(devices / 10);
  const doms = DOMAINS.filter(([, ind]) => indicators.has(ind));
  const site = (i: number) => `RPT-S${String(i + 1).padStart(4, '0')}`;
  const dev = (i: number) => `RPT-D${String(i + 1).padStart(5, '0')}`;
  return {
    sites: Array.from({ length: sites }, (_, i) => ({ code: site(i), name: `报表测试站点 ${i + 1}`, domain: doms[i % doms.length]![0], enterprise: `报表测试企业 ${(i % 20) + 1}` })),
    devices: Array.from({ length: devices }, (_, i) => ({ code: dev(i), site: site(Math.floor(i / 10)) })),
    points: Array.from({ length: points }, (_, k) => ({
      code: `RPT-P${String(k + 1).padStart(6, '0')}`, device: dev(Math.floor(k / 10)), indicator: doms[Math.floor(k / 100) % doms.length]![1], field: `f${k}`,
      ...(k % 3 === 0 ? { expected_interval_s: 300 } : {}),
    })),
  } as RegistryDocs;
}

// Day rollups of the month for every point (a reading a minute; every 37th point silent 2 h a day, every 11th has
// 1 % flagged, a few % late), then ANALYZE. $1 month start, $2 days, $3 zone.
const DAY_ROLLUPS = `
INSERT INTO rollup (point_id, interval, bucket, device_id, site_id, indicator, unit, count, sum, min, max, first_time, first_value,
                    last_time, last_value, flagged, on_time, filled)
SELECT p.id, '1d', b, d.id, d.site_id, p.indicator, 'x', n, n * 0.3, 0.1, 0.5, b, 0.3, b + interval '1439 minutes', 0.3,
       CASE WHEN p.id % 11 = 0 THEN n / 100 ELSE 0 END, n - (p.id + extract(day FROM b)::int) % 40, CASE WHEN p.id % 37 = 0 THEN 22 ELSE 24 END
FROM point p JOIN device d ON d.id = p.device_id
CROSS JOIN LATERAL (SELECT date_trunc('day', $1::timestamptz + make_interval(days => g), $3) AS b FROM generate_series(0, $2 - 1) AS g) days
CROSS JOIN LATERAL (SELECT CASE WHEN p.id % 37 = 0 THEN 1320 ELSE 1440 END AS n) c`;

const HOUR_ROLLUPS = `
INSERT INTO rollup (point_id, interval, bucket, device_id, site_id, indicator, unit, count, sum, min, max, first_time, first_value,
                    last_time, last_value, flagged, on_time, filled)
SELECT r.point_id, '1h', h, r.device_id, r.site_id, r.indicator, r.unit, 60, 18, 0.1, 0.5, h, 0.3, h + interval '59 minutes', 0.3, 0, 60, 60
FROM rollup r CROSS JOIN LATERAL generate_series(r.bucket, r.bucket + interval '23 hours', interval '1 hour') AS h
WHERE r.interval = '1d'`;

// One alarm per 5 points per month, most acknowledged and resolved; and a quarantined reading per point per day.
const ALARMS = `
WITH a AS (
  INSERT INTO alarm (rule, kind, type, point_id, device_id, site_id, indicator, level, peak_level, first_time, latest_time, count, active, state)
  SELECT 'high', 'threshold', 'over_upper_limit', p.id, p.device_id, d.site_id, p.indicator, 1 + p.id % 4, 1 + p.id % 4,
         $1::timestamptz + make_interval(secs => (p.id * 7919) % ($2 * 86400)), $1::timestamptz + make_interval(secs => (p.id * 7919) % ($2 * 86400) + 600), 3, false,
         CASE WHEN p.id % 3 = 0 THEN 'open' ELSE 'resolved' END
  FROM point p JOIN device d ON d.id = p.device_id WHERE p.id % 5 = 0
  RETURNING id, first_time, state
)
INSERT INTO alarm_event (alarm_id, type, at, level)
SELECT a.id, e.type, a.first_time + e.after, 2 FROM a
CROSS JOIN LATERAL (VALUES ('raised', interval '0'), ('acknowledged', interval '12 minutes'), ('assessed', interval '30 minutes'),
                           ('dispatched', interval '40 minutes'), ('resolved', interval '3 hours')) AS e(type, after)
WHERE e.type = 'raised' OR a.state = 'resolved'`;
const QUARANTINE = `
INSERT INTO quarantine (received_at, adapter, reason, message, field, record)
SELECT $1::timestamptz + make_interval(days => g, secs => p.id), 'http', 'UNIT_INCOMPATIBLE', 'bench', '/unit',
       jsonb_build_object('point', p.code, 'time', '2026-01-01T00:00:00Z', 'value', 1, 'unit', 'kg')
FROM point p CROSS JOIN generate_series(0, $2 - 1) AS g WHERE (p.id + g) % 10 = 0`;

interface Timing { p50: number; max: number; cpu: number; bytes: number; rows: number }

async function timed(hub: Hub, url: string, samples: number, key: string): Promise<Timing> {
  const ms: number[] = [], cpu: number[] = [];
  let bytes = 0, rows = 0;
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    const res = await hub.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    bytes = res.rawPayload.length;
    rows = Number(res.headers['x-report-rows']);
  }
  ms.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)]!, max: ms[ms.length - 1]!, cpu: cpu[Math.floor(cpu.length / 2)]!, bytes, rows };
}

const fmt = (n: number) => n.toLocaleString('en');
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function run(args: string[]): Promise<void> {
  let values;
  try {
    values = parseArgs({ args, strict: true, options: {
      points: { type: 'string', default: '10000' }, month: { type: 'string', default: '2026-10' }, samples: { type: 'string', default: '5' },
      hours: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    } }).values;
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const points = Number(values.points), samples = Number(values.samples);
  if (!Number.isInteger(points) || points < 10) throw new BenchUsageError('--points must be an integer ≥ 10');
  if (!Number.isInteger(samples) || samples < 1) throw new BenchUsageError('--samples must be a positive integer');
  if (!/^\d{4}-\d{2}$/.test(values.month)) throw new BenchUsageError('--month must be YYYY-MM');
  const adminUrl = process.env.DATABASE_URL || DEFAULT_PG_URL;
  const admin = new pg.Client({ connectionString: adminUrl });
  try { await admin.connect(); } catch (e) { throw new BenchUsageError(`cannot connect to PostgreSQL (set DATABASE_URL): ${(e as Error).message}`); }
  const name = `lifeline_bench_reports_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  let hub: Hub | undefined;
  try {
    const loaded = loadConfig(sampleConfigPath, {});
    const c = loaded.config;
    const [y, m] = values.month.split('-').map(Number) as [number, number];
    const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    // The hub clock: the 5th of the month after, so the month is whole and "yesterday" is not it.
    const nowMs = Date.UTC(y, m, 5, 4);
    const { catalogueByCode } = await import('../hub/registry/catalogue.ts');
    Object.assign(c, { store: { ...c.store, url: u.toString() }, adapters: {}, registry: registry(points, new Set(catalogueByCode().keys())) });
    c.api.keys = [];
    c.log.level = 'warn';
    const key = 'bench-reports-key';
    console.log(`reports: PostgreSQL ${(await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v}, node ${process.version}, ${cpus().length} CPU(s) (load average ${loadavg()[0]!.toFixed(1)}); database ${name}`);
    let t0 = performance.now();
    hub = await startHub(loaded, { listen: false, logger: pino({ level: 'warn' }), env: { LIFELINE_API_KEY: key }, clock: { now: () => nowMs } });
    console.log(`  hub with ${fmt(points)} points started in ${sec(performance.now() - t0)}`);
    t0 = performance.now();
    const start = `${values.month}-01T00:00:00`;
    const monthStart = (await hub.db.query<{ t: string }>(`SELECT ($1::timestamp AT TIME ZONE $2)::text AS t`, [start, c.timezone])).rows[0]!.t;
    await hub.db.query(DAY_ROLLUPS, [monthStart, days, c.timezone]);
    if (values.hours) await hub.db.query(HOUR_ROLLUPS);
    await hub.db.query(ALARMS, [monthStart, days]);
    await hub.db.query(QUARANTINE, [monthStart, days]);
    for (const table of ['rollup', 'alarm', 'alarm_event', 'quarantine']) await hub.db.query(`ANALYZE ${table}`);
    const n = (await hub.db.query<{ d: number; h: number }>(`SELECT count(*) FILTER (WHERE interval = '1d')::int AS d, count(*) FILTER (WHERE interval = '1h')::int AS h FROM rollup`)).rows[0]!;
    console.log(`  made by SQL in ${sec(performance.now() - t0)}: ${fmt(n.d)} day rollups, ${fmt(n.h)} hour rollups, alarms for ${fmt(Math.floor(points / 5))} points, quarantined readings`);

    const day = `${values.month}-15`;
    const runs: Array<[string, string, number]> = [
      [`daily ${day}, JSON`, `/v1/reports/daily?date=${day}`, 2000],
      [`daily ${day}, XLSX`, `/v1/reports/daily?date=${day}&format=xlsx`, 2000],
      [`monthly ${values.month}, JSON`, `/v1/reports/monthly?month=${values.month}`, 5000],
      [`monthly ${values.month}, XLSX`, `/v1/reports/monthly?month=${values.month}&format=xlsx`, 5000],
    ];
    await timed(hub, runs[0]![1], 1, key); // warm-up (plans, caches)
    console.log(`\n  ${'report (all four groupings)'.padEnd(32)} ${'p50'.padStart(8)} ${'max'.padStart(8)} ${'hub CPU'.padStart(8)} ${'rows'.padStart(7)} ${'bytes'.padStart(11)}  target`);
    let miss = 0;
    for (const [label, url, target] of runs) {
      const r = await timed(hub, url, samples, key);
      const ok = r.p50 < target;
      if (!ok) miss++;
      console.log(`  ${label.padEnd(32)} ${sec(r.p50).padStart(8)} ${sec(r.max).padStart(8)} ${sec(r.cpu).padStart(8)} ${fmt(r.rows).padStart(7)} ${fmt(r.bytes).padStart(11)}  < ${target / 1000} s for ${fmt(points)} points: ${ok ? 'PASS' : 'MISS'}`);
    }
    if (points !== 10_000) console.log(`\n  (measured at ${fmt(points)} points; the targets are for 10,000)`);
    else if (miss) console.log(`\n  ${miss} figure(s) missed the target`);
  } finally {
    await hub?.stop();
    if (!values.keep) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    else console.log(`  kept database ${name}`);
    await admin.end();
  }
}
