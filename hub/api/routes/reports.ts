// GET /v1/reports/daily and /v1/reports/monthly: the data-quality report (docs/reports.md) as JSON, CSV (UTF-8 with
// BOM) or XLSX (one sheet per grouping), narrowed to the key's data scope.
import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps, RouteModule } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { domains } from '../../../schemas/generated/enums.ts';
import { siteVisible } from '../query.ts';
import { rollupLag } from '../../store/rollups.ts';
import { computeReport, GROUPS, type ReportFilter, type ReportGroup } from '../../reports/compute.ts';
import { dayPeriod, monthPeriod, type Period } from '../../reports/period.ts';
import { reportCsv } from '../../reports/csv.ts';
import type { ColumnContext } from '../../reports/columns.ts';

interface ReportQuery { date?: string; month?: string; group?: string; format?: 'json' | 'csv' | 'xlsx'; enterprise?: string; site?: string; domain?: string; point?: string }

const DOMAINS: readonly string[] = domains;
const DEFAULT_LEVELS = [1, 2, 3, 4].map((level) => ({ level, name: `${'一二三四'[level - 1]}级` }));
const bad = (param: string, message: string) => new LifelineError('QUERY_INVALID', `${param}: ${message}`, { details: { path: `/${param}` } });
const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));

const common = {
  group: { type: 'string', description: `Grouping(s), comma-separated: ${GROUPS.join(', ')} (default: all four, in that order).` },
  format: { type: 'string', enum: ['json', 'csv', 'xlsx'], default: 'json', description: 'json; csv (UTF-8 with BOM, rates in percent, every grouping in one table); xlsx (one sheet per grouping).' },
  enterprise: { type: 'string', description: 'Site enterprise(s) (所属企业), comma-separated.' },
  site: { type: 'string', description: 'Site code(s), comma-separated.' },
  domain: { type: 'string', description: `Site domain(s), comma-separated: ${DOMAINS.join(', ')}.` },
  point: { type: 'string', description: 'Point code(s), comma-separated.' },
};

/** The query's groupings and filters, codes checked against the registry and the key's scope. */
function parse(q: ReportQuery, deps: ApiDeps, req: FastifyRequest): { groups: ReportGroup[]; filter: ReportFilter } {
  const reg = deps.registry.registry, scope = req.principal?.data;
  const groups = list(q.group) ?? [...GROUPS];
  for (const g of groups) if (!(GROUPS as readonly string[]).includes(g)) throw bad('group', `"${g.slice(0, 40)}" is not one of ${GROUPS.join(', ')}`);
  if (!groups.length) throw bad('group', `name at least one of ${GROUPS.join(', ')}`);
  const filter: ReportFilter = { enterprises: list(q.enterprise) };
  const domains = list(q.domain);
  for (const d of domains ?? []) if (!DOMAINS.includes(d)) throw bad('domain', `"${d.slice(0, 40)}" is not one of ${DOMAINS.join(', ')}`);
  if (domains) filter.domains = domains;
  // A code outside the key's scope is answered exactly as an unregistered one.
  const sites = list(q.site), points = list(q.point);
  if (sites) filter.siteIds = sites.map((c) => { const s = reg.sites.get(c); if (!s || !siteVisible(reg, scope, s)) throw bad('site', `"${c}" is not registered`); return s.id; });
  if (points) filter.pointIds = points.map((c) => { const p = reg.points.get(c); if (!p || !siteVisible(reg, scope, p.device.site)) throw bad('point', `"${c}" is not registered`); return p.id; });
  return { groups: [...new Set(groups)] as ReportGroup[], filter };
}

async function answer(deps: ApiDeps, req: FastifyRequest<{ Querystring: ReportQuery }>, reply: FastifyReply, period: Period, nowMs: number) {
  const { groups, filter } = parse(req.query, deps, req);
  const reg = deps.registry.registry;
  const levels = deps.alarms?.levels ?? DEFAULT_LEVELS;
  const report = await computeReport(deps.db, reg, {
    period, scope: req.principal?.data, filter, groups, defaultIntervalS: deps.reports?.expectedIntervalS ?? 60, levels: levels.map((l) => l.level),
  });
  const c: ColumnContext = { levels, catalogue: reg.catalogue };
  reply.header('x-report-rows', String(report.rows.length));
  const format = req.query.format ?? 'json';
  const file = `lifeline-report-${period.kind}-${period.label}`;
  if (format === 'csv') {
    req.pulled = { rows: report.rows.length };
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(reportCsv(report.rows, c));
  }
  if (format === 'xlsx') {
    // exceljs costs ~0.7 s of CPU to load: only an XLSX report pays it, not every hub start.
    const { writeReportXlsx, XLSX_MIME } = await import('../../reports/xlsx.ts');
    const pulled = (req.pulled = { rows: report.rows.length, bytes: 0 });
    const out = new Transform({ transform(chunk: Buffer, _e, done) { pulled.bytes += chunk.length; done(null, chunk); } });
    const title = `城市生命线数据质量${period.kind === 'daily' ? '日报' : '月报'} ${period.label}（${deps.timezone}）`;
    writeReportXlsx(out, report.rows, { title, groups }, c).catch((e: unknown) => { req.log.error({ err: e }, 'writing the XLSX report failed'); out.destroy(e as Error); });
    return reply.type(XLSX_MIME).header('content-disposition', `attachment; filename="${file}.xlsx"`).send(out);
  }
  req.pulled = { rows: report.rows.length };
  return {
    kind: period.kind, period: period.label, timezone: deps.timezone, from: new Date(period.fromMs).toISOString(), to: new Date(period.toMs).toISOString(),
    partial: period.partial, generated_at: new Date(nowMs).toISOString(), timely_within_s: deps.reports?.timelyWithinS ?? 300,
    rollup_lag_s: (await rollupLag(deps.db)).lag_seconds, groups, quarantined_unattributed: report.unattributedQuarantined, data: report.rows,
  };
}

const reports: RouteModule = (app, deps) => {
  const now = () => deps.reports?.clock.now() ?? Date.now();
  const response = { 200: { $ref: 'lifeline:report#' } };
  app.get<{ Querystring: ReportQuery }>('/v1/reports/daily', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['reports'],
      summary: 'Data-quality report of one day of the hub zone (default: yesterday): completeness, online, timeliness and validity rates, flagged and quarantined readings, alarms per level and mean handling times, per enterprise, site, domain and point. JSON, CSV or XLSX (docs/reports.md).',
      querystring: { type: 'object', additionalProperties: false, properties: { date: { type: 'string', description: 'The day, YYYY-MM-DD in the hub zone (default: yesterday).' }, ...common } },
      response,
    },
  }, async (req, reply) => { const n = now(); return answer(deps, req, reply, dayPeriod(req.query.date, deps.timezone, n), n); });

  app.get<{ Querystring: ReportQuery }>('/v1/reports/monthly', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['reports'],
      summary: 'The data-quality report of one calendar month of the hub zone (default: last month), from its days\' rollups. Same groupings, filters and formats as /v1/reports/daily.',
      querystring: { type: 'object', additionalProperties: false, properties: { month: { type: 'string', description: 'The month, YYYY-MM in the hub zone (default: last month).' }, ...common } },
      response,
    },
  }, async (req, reply) => { const n = now(); return answer(deps, req, reply, monthPeriod(req.query.month, deps.timezone, n), n); });
};

export default reports;
