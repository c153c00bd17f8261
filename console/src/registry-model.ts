// What the registry and certification page (登记与认证) computes: the columns each registry list shows, the search
// over them, what a form may offer, and the conformance reports' counts. Pure functions, no DOM
// (test/console-metrics.test.ts checks them).

export type EntityKind = 'sites' | 'devices' | 'points';
export type Entity = Record<string, unknown> & { code: string };

/** The columns of each list, by property of the schema (the form shows them all). */
export const COLUMNS: Record<EntityKind, string[]> = {
  sites: ['code', 'name', 'domain', 'enterprise', 'region', 'location'],
  devices: ['code', 'name', 'site', 'vendor', 'model', 'identities'],
  points: ['code', 'device', 'indicator', 'field', 'source_unit', 'expected_interval_s'],
};

/** A cell as text: a location as "lat, lon", identities as protocol:key, other objects as JSON. */
export function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' && 'protocol' in x ? `${String((x as { protocol: unknown }).protocol)}:${String((x as { key?: unknown }).key ?? '')}` : cellText(x))).join(', ');
  const o = v as Record<string, unknown>;
  if (typeof o.lat === 'number' && typeof o.lon === 'number') return `${o.lat.toFixed(4)}, ${o.lon.toFixed(4)}${o.crs && o.crs !== 'WGS84' ? ` (${String(o.crs)})` : ''}`;
  return JSON.stringify(v);
}

/** The entries whose shown columns hold every word of the search, in code order, at most `limit`. */
export function filterEntities(rows: Entity[], kind: EntityKind, search: string, limit: number): { rows: Entity[]; total: number } {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const hit = words.length ? rows.filter((r) => { const text = COLUMNS[kind].map((c) => cellText(r[c])).join(' ').toLowerCase(); return words.every((w) => text.includes(w)); }) : rows;
  const sorted = [...hit].sort((a, b) => a.code.localeCompare(b.code));
  return { rows: sorted.slice(0, limit), total: hit.length };
}

/** The entity a form edits, without what the hub shows but does not take back (nothing today: the docs as stored). */
export const editable = (e: Entity): Record<string, unknown> => JSON.parse(JSON.stringify(e)) as Record<string, unknown>;

export type ClauseStatus = 'pass' | 'fail' | 'warning' | 'not_applicable';
export interface ReportSummary {
  id: string; format: string; kit_version?: string; hub_version?: string; verdict: 'pass' | 'fail';
  subject: { kind: string; vendor: string; product: string; model?: string; version: string; identity?: string; endpoint?: string };
  profile: { id: string; title: string; title_zh: string };
  started: string; ended: string;
  summary: Record<ClauseStatus, number> & { must_not_passed: string[] };
  integrity: { intact: boolean; problems: string[]; report_sha256?: string; signed: boolean; algorithm?: string; key_id?: string };
}
export interface ClauseResult { id: string; title: string; title_zh: string; traces?: string; level: 'MUST' | 'SHOULD' | 'MAY'; status: ClauseStatus; message: string; evidence?: Array<{ kind: string; event?: number; text: string }> }
export type Report = ReportSummary & { results: ClauseResult[] };

export const STATUS_ORDER: ClauseStatus[] = ['fail', 'warning', 'pass', 'not_applicable'];
/** Clauses failed first, then warnings, passes and those not applicable; in catalogue order within each. */
export function clausesInOrder(results: ClauseResult[], filter: ClauseStatus | 'all'): ClauseResult[] {
  const kept = filter === 'all' ? results : results.filter((r) => r.status === filter);
  return kept.map((r, i) => ({ r, i })).sort((a, b) => STATUS_ORDER.indexOf(a.r.status) - STATUS_ORDER.indexOf(b.r.status) || a.i - b.i).map((x) => x.r);
}
