// The data-quality report (docs/reports.md): per enterprise, site, domain and point, over a day or a month, from the
// day rollups (counts, flagged, on time, hours with data), the quarantine (by arrival) and the alarms raised in the
// period with their handling events. Never the raw observations: three grouped queries whatever the history holds.
import type { Queryable } from '../store/driver.ts';
import type { PointEntry, Registry, SiteEntry } from '../registry/registry.ts';
import { siteInScope, type DataScope } from '../access/scope.ts';
import type { Period } from './period.ts';
import { domains } from '../../schemas/generated/enums.ts';

export const GROUPS = ['enterprise', 'site', 'domain', 'point'] as const;
export type ReportGroup = (typeof GROUPS)[number];

/** Narrowing beside the key's scope; every list is OR within, AND across. Ids are registry ids. */
export interface ReportFilter { enterprises?: string[]; domains?: string[]; siteIds?: number[]; pointIds?: number[] }

export interface ReportOptions {
  period: Period;
  scope?: DataScope;
  filter: ReportFilter;
  groups: readonly ReportGroup[];
  /** Interval of a point that names none (reports.expected_interval_s). */
  defaultIntervalS: number;
  /** Alarm levels configured (alarms.levels), for alarms_by_level. */
  levels: number[];
}

export interface ReportRow {
  group: ReportGroup;
  enterprise: string | null; domain: string | null; site: string | null; site_name: string | null; point: string | null; indicator: string | null;
  points: number; expected: number; received: number; valid: number; flagged: number; on_time: number;
  hours_expected: number; hours_online: number; quarantined: number;
  alarms: number; alarms_by_level: Record<string, number>; mean_ack_s: number | null; mean_resolve_s: number | null;
  completeness: number | null; online: number | null; timeliness: number | null; validity: number | null;
}

export interface Report {
  rows: ReportRow[];
  /** Quarantined readings of the period naming nothing registered (counted only when nothing narrows the report). */
  unattributedQuarantined: number;
}

interface Acc {
  points: number; expected: number; received: number; flagged: number; validCapped: number; onTime: number; timed: number;
  slots: number; online: number; quarantined: number; alarms: Map<number, number>; ackSum: number; ackN: number; resSum: number; resN: number;
}
const newAcc = (): Acc => ({ points: 0, expected: 0, received: 0, flagged: 0, validCapped: 0, onTime: 0, timed: 0, slots: 0, online: 0, quarantined: 0, alarms: new Map(), ackSum: 0, ackN: 0, resSum: 0, resN: 0 });

/** The interval (s) a point is expected to report at: the point's, else its indicator's, else the config default. */
export function expectedIntervalS(p: PointEntry, dflt: number): number {
  const doc = p.doc as { expected_interval_s?: number }, ind = p.indicator as { expected_interval_s?: number };
  return doc.expected_interval_s ?? ind.expected_interval_s ?? dflt;
}

// Per point and day: readings expected = floor(elapsed / interval); hour slots = min(elapsed whole hours, readings
// expected). A day's valid readings and hours with data count up to those (a point reporting faster than declared
// does not make up for another day). Days with rollups from before migration 014 (on_time / filled null) leave the
// rate those columns feed: their readings are not "timed", their slots not known.
const ROLLUP_SQL = `
SELECT r.point_id, sum(r.count)::float8 AS received, sum(r.flagged)::float8 AS flagged,
  coalesce(sum(r.on_time), 0)::float8 AS on_time, coalesce(sum(r.count) FILTER (WHERE r.on_time IS NOT NULL), 0)::float8 AS timed,
  sum(least(r.count - r.flagged, floor(d.e / p.every)))::float8 AS valid_capped,
  coalesce(sum(least(r.filled, floor(d.e / 3600), floor(d.e / p.every))) FILTER (WHERE r.filled IS NOT NULL), 0)::float8 AS online,
  coalesce(sum(least(floor(d.e / 3600), floor(d.e / p.every))) FILTER (WHERE r.filled IS NULL), 0)::float8 AS unknown_slots
FROM unnest($1::int[], $2::float8[]) AS p(id, every)
JOIN rollup r ON r.point_id = p.id AND r.interval = '1d' AND r.bucket >= $3::timestamptz AND r.bucket < $4::timestamptz
JOIN unnest($5::timestamptz[], $6::float8[]) AS d(b, e) ON r.bucket = d.b
GROUP BY r.point_id`;

// Alarms raised in the period by (site, point, most severe level), with the time to the first acknowledgement and
// to the resolution (handling events) of those that have them.
const ALARM_SQL = `
SELECT a.site_id, a.point_id, a.peak_level AS level, count(*)::int AS n,
  coalesce(sum(extract(epoch FROM e.ack - a.first_time)), 0)::float8 AS ack_sum, count(e.ack)::int AS ack_n,
  coalesce(sum(extract(epoch FROM e.res - a.first_time)), 0)::float8 AS res_sum, count(e.res)::int AS res_n
FROM alarm a LEFT JOIN LATERAL (
  SELECT min(ev.at) FILTER (WHERE ev.type = 'acknowledged') AS ack, min(ev.at) FILTER (WHERE ev.type = 'resolved') AS res
  FROM alarm_event ev WHERE ev.alarm_id = a.id
) e ON true
WHERE a.first_time >= $1::timestamptz AND a.first_time < $2::timestamptz AND a.site_id = ANY($3::int[])
GROUP BY 1, 2, 3`;

// Quarantined readings by what they name (the record as the source sent it), arrived in the period.
const QUARANTINE_SQL = `
SELECT record->>'point' AS point, record->>'device' AS device, record->>'field' AS field,
  record->'identity'->>'protocol' AS protocol, record->'identity'->>'key' AS key, count(*)::int AS n
FROM quarantine WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz
GROUP BY 1, 2, 3, 4, 5`;

const iso = (ms: number) => new Date(ms).toISOString();
const DOMAIN_ORDER: readonly string[] = domains; // the schema's order

export async function computeReport(db: Queryable, reg: Registry, o: ReportOptions): Promise<Report> {
  const f = o.filter;
  const sets = { ent: f.enterprises && new Set(f.enterprises), dom: f.domains && new Set(f.domains), site: f.siteIds && new Set(f.siteIds), point: f.pointIds && new Set(f.pointIds) };
  const siteOk = (s: SiteEntry) => siteInScope(o.scope, s.doc)
    && (!sets.ent || sets.ent.has(s.doc.enterprise ?? '')) && (!sets.dom || sets.dom.has(s.doc.domain)) && (!sets.site || sets.site.has(s.id));
  const sites = new Map<number, SiteEntry>();
  for (const s of reg.siteById.values()) if (siteOk(s)) sites.set(s.id, s);
  const points: PointEntry[] = [];
  for (const p of reg.pointById.values()) if (sites.has(p.device.site.id) && (!sets.point || sets.point.has(p.id))) points.push(p);
  const pointIds = new Set(points.map((p) => p.id));
  // With a point filter, only those points' sites are in the report (and no site-level alarms or quarantine).
  if (sets.point) for (const id of [...sites.keys()]) if (!points.some((p) => p.device.site.id === id)) sites.delete(id);

  // Accumulators per group key; `identity` is the row's naming part.
  const tables = new Map<ReportGroup, Map<string, { row: Naming; acc: Acc; order: string }>>();
  for (const g of o.groups) tables.set(g, new Map());
  const into = (site: SiteEntry, point: PointEntry | undefined, fn: (a: Acc) => void) => {
    for (const [g, table] of tables) {
      if (g === 'point' && !point) continue;
      const ent = site.doc.enterprise ?? null;
      const key = g === 'enterprise' ? ent ?? '' : g === 'site' ? site.code : g === 'domain' ? site.doc.domain : point!.code;
      let e = table.get(key);
      if (!e) {
        const row = g === 'enterprise' ? { group: g, enterprise: ent, domain: null, site: null, site_name: null, point: null, indicator: null }
          : g === 'domain' ? { group: g, enterprise: null, domain: site.doc.domain, site: null, site_name: null, point: null, indicator: null }
          : { group: g, enterprise: ent, domain: site.doc.domain, site: site.code, site_name: site.doc.name, point: g === 'point' ? point!.code : null, indicator: g === 'point' ? point!.indicator.code : null };
        const order = g === 'domain' ? String(DOMAIN_ORDER.indexOf(site.doc.domain)).padStart(2, '0') : g === 'point' ? `${site.code}\u0000${point!.code}` : key;
        table.set(key, (e = { row, acc: newAcc(), order }));
      }
      fn(e.acc);
    }
  };
  // Every site in the report has its rows, even with nothing to count.
  for (const s of sites.values()) into(s, undefined, () => undefined);

  // Expected readings and hour slots, per point, from the period's days.
  const every = points.map((p) => expectedIntervalS(p, o.defaultIntervalS));
  const byPoint = new Map<number, { p: PointEntry; every: number }>();
  points.forEach((p, i) => {
    byPoint.set(p.id, { p, every: every[i]! });
    let expected = 0, slots = 0;
    for (const d of o.period.days) { const n = Math.floor(d.elapsedS / every[i]!); expected += n; slots += Math.min(Math.floor(d.elapsedS / 3600), n); }
    into(p.device.site, p, (a) => { a.points++; a.expected += expected; a.slots += slots; });
  });

  const { fromMs, toMs, days } = o.period;
  if (points.length) {
    const rows = (await db.query<{ point_id: number; received: number; flagged: number; on_time: number; timed: number; valid_capped: number; online: number; unknown_slots: number }>(
      ROLLUP_SQL, [points.map((p) => p.id), every, iso(fromMs), iso(toMs), days.map((d) => iso(d.startMs)), days.map((d) => d.elapsedS)])).rows;
    for (const r of rows) {
      const p = byPoint.get(r.point_id)!.p;
      into(p.device.site, p, (a) => {
        a.received += r.received; a.flagged += r.flagged; a.onTime += r.on_time; a.timed += r.timed;
        a.validCapped += r.valid_capped; a.online += r.online; a.slots -= r.unknown_slots;
      });
    }
  }

  if (sites.size) {
    const alarms = (await db.query<{ site_id: number; point_id: number | null; level: number; n: number; ack_sum: number; ack_n: number; res_sum: number; res_n: number }>(
      ALARM_SQL, [iso(fromMs), iso(toMs), [...sites.keys()]])).rows;
    for (const r of alarms) {
      const site = sites.get(r.site_id)!;
      const point = r.point_id === null ? undefined : reg.pointById.get(r.point_id);
      if (sets.point && !(point && pointIds.has(point.id))) continue;
      into(site, point && pointIds.has(point.id) ? point : undefined, (a) => {
        a.alarms.set(r.level, (a.alarms.get(r.level) ?? 0) + r.n);
        a.ackSum += r.ack_sum; a.ackN += r.ack_n; a.resSum += r.res_sum; a.resN += r.res_n;
      });
    }
  }

  let unattributed = 0;
  const narrowed = !!(f.enterprises || f.domains || f.siteIds || f.pointIds) || [...reg.siteById.values()].some((s) => !siteInScope(o.scope, s.doc));
  const quarantine = (await db.query<{ point: string | null; device: string | null; field: string | null; protocol: string | null; key: string | null; n: number }>(
    QUARANTINE_SQL, [iso(fromMs), iso(toMs)])).rows;
  for (const q of quarantine) {
    const { point, site } = attribute(reg, q);
    if (!site) { unattributed += q.n; continue; }
    if (!sites.has(site.id)) continue;
    if (point && !pointIds.has(point.id)) continue;
    if (!point && sets.point) continue;
    into(site, point, (a) => { a.quarantined += q.n; });
  }

  const levels = [...new Set(o.levels)].sort((a, b) => a - b);
  const rows: ReportRow[] = [];
  for (const g of o.groups) {
    const entries = [...tables.get(g)!.values()].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    for (const { row, acc: a } of entries) rows.push(present(row, a, levels));
  }
  return { rows, unattributedQuarantined: narrowed ? 0 : unattributed };
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

type Naming = Pick<ReportRow, 'group' | 'enterprise' | 'domain' | 'site' | 'site_name' | 'point' | 'indicator'>;

// One object literal with every field (spreading the naming part and the figures into one object costs 20× more).
function present(n: Naming, a: Acc, levels: number[]): ReportRow {
  const byLevel: Record<string, number> = {};
  for (const l of levels) byLevel[String(l)] = 0;
  let alarms = 0;
  for (const [l, n] of a.alarms) { byLevel[String(l)] = (byLevel[String(l)] ?? 0) + n; alarms += n; }
  const valid = a.received - a.flagged;
  return {
    group: n.group, enterprise: n.enterprise, domain: n.domain, site: n.site, site_name: n.site_name, point: n.point, indicator: n.indicator,
    points: a.points, expected: a.expected, received: a.received, valid, flagged: a.flagged, on_time: a.onTime,
    hours_expected: a.slots, hours_online: a.online, quarantined: a.quarantined,
    alarms, alarms_by_level: byLevel,
    mean_ack_s: a.ackN ? Math.round((a.ackSum / a.ackN) * 10) / 10 : null,
    mean_resolve_s: a.resN ? Math.round((a.resSum / a.resN) * 10) / 10 : null,
    completeness: ratio(a.validCapped, a.expected), online: ratio(a.online, a.slots), timeliness: ratio(a.onTime, a.timed), validity: ratio(valid, a.received),
  };
}

/** The registered point, else the site (through the device), a quarantined record names; nothing when neither is known. */
function attribute(reg: Registry, q: { point: string | null; device: string | null; field: string | null; protocol: string | null; key: string | null }): { point?: PointEntry; site?: SiteEntry } {
  if (q.point !== null) {
    const p = reg.points.get(q.point);
    return p ? { point: p, site: p.device.site } : {};
  }
  const doc = q.device !== null ? reg.devices.get(q.device)?.doc : q.protocol !== null && q.key !== null ? reg.findDevice(q.protocol, q.key) : undefined;
  const device = doc && reg.devices.get(doc.code);
  if (!device) return {};
  const res = q.field !== null ? reg.resolve({ device: device.code, field: q.field } as never) : undefined;
  return res && 'point' in res ? { point: res.point, site: res.point.device.site } : { site: device.site };
}
