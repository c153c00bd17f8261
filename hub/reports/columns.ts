// The report's columns for people (CSV and XLSX): Chinese headers, and what each cell holds. JSON keeps the field
// names of schemas/json/report.schema.json; these are the same fields, in one order, for both table formats.
import type { Indicator } from '../../schemas/generated/types.ts';
import type { ReportGroup, ReportRow } from './compute.ts';

export type CellKind = 'text' | 'int' | 'percent' | 'minutes';

export interface Column {
  header: string;
  kind: CellKind;
  /** Width in characters (XLSX). */
  width: number;
  /** A text, a count, a rate (0…1), minutes, or null (empty cell). */
  value(r: ReportRow): string | number | null;
}

export const GROUP_NAMES: Record<ReportGroup, string> = { enterprise: '企业', site: '站点', domain: '领域', point: '测点' };
export const DOMAIN_NAMES: Record<string, string> = { gas: '燃气', water: '供水', drainage: '排水', heating: '热力', bridge: '桥梁' };
export const NO_ENTERPRISE = '（未填写企业）';

export interface ColumnContext {
  /** Alarm levels with their names (alarms.levels). */
  levels: Array<{ level: number; name: string }>;
  catalogue: Map<string, Indicator>;
}

const text = (header: string, width: number, value: (r: ReportRow) => string | null): Column => ({ header, kind: 'text', width, value });
const int = (header: string, value: (r: ReportRow) => number): Column => ({ header, kind: 'int', width: Math.max(8, header.length * 2 + 2), value });
const pct = (header: string, value: (r: ReportRow) => number | null): Column => ({ header, kind: 'percent', width: 10, value });
const minutes = (header: string, value: (r: ReportRow) => number | null): Column => ({ header, kind: 'minutes', width: 14, value: (r) => { const s = value(r); return s === null ? null : s / 60; } });

function identity(c: ColumnContext) {
  return {
    group: text('分组', 6, (r) => GROUP_NAMES[r.group]),
    enterprise: text('所属企业', 24, (r) => (r.group === 'domain' ? null : r.enterprise ?? NO_ENTERPRISE)),
    domain: text('领域', 6, (r) => (r.domain === null ? null : DOMAIN_NAMES[r.domain] ?? r.domain)),
    site: text('站点编码', 14, (r) => r.site),
    siteName: text('站名', 24, (r) => r.site_name),
    point: text('测点编码', 16, (r) => r.point),
    indicator: text('指标编码', 28, (r) => r.indicator),
    indicatorName: text('监测指标', 14, (r) => (r.indicator === null ? null : c.catalogue.get(r.indicator)?.name.zh ?? r.indicator)),
  };
}

/** The figures every row has, after its naming columns. */
function figures(c: ColumnContext): Column[] {
  return [
    int('测点数', (r) => r.points),
    pct('数据完整率', (r) => r.completeness),
    pct('在线率', (r) => r.online),
    pct('及时率', (r) => r.timeliness),
    pct('有效率', (r) => r.validity),
    int('应收条数', (r) => r.expected),
    int('实收条数', (r) => r.received),
    int('有效条数', (r) => r.valid),
    int('及时条数', (r) => r.on_time),
    int('应在线小时', (r) => r.hours_expected),
    int('在线小时', (r) => r.hours_online),
    int('标记条数', (r) => r.flagged),
    int('隔离条数', (r) => r.quarantined),
    int('报警数', (r) => r.alarms),
    ...c.levels.map((l) => int(`${l.name}报警`, (r) => r.alarms_by_level[String(l.level)] ?? 0)),
    minutes('平均接警时长(分钟)', (r) => r.mean_ack_s),
    minutes('平均处置时长(分钟)', (r) => r.mean_resolve_s),
  ];
}

/** The columns of one grouping's sheet. */
export function columnsFor(group: ReportGroup, c: ColumnContext): Column[] {
  const i = identity(c);
  const naming = group === 'enterprise' ? [i.enterprise] : group === 'domain' ? [i.domain]
    : group === 'site' ? [i.site, i.siteName, i.enterprise, i.domain]
    : [i.point, i.indicatorName, i.indicator, i.site, i.siteName, i.enterprise, i.domain];
  return [...naming, ...figures(c)];
}

/** One table holding every grouping (CSV): the grouping first, then every naming column. */
export function flatColumns(c: ColumnContext): Column[] {
  const i = identity(c);
  return [i.group, i.enterprise, i.domain, i.site, i.siteName, i.point, i.indicatorName, i.indicator, ...figures(c)];
}
