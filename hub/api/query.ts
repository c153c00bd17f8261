// Query-string filters → store filters, resolving registry codes and naming the bad parameter.
import type { Registry } from '../registry/registry.ts';
import type { ObservationFilter } from '../store/observations.ts';
import { LifelineError } from '../sdk/errors.ts';
import { parseTime, inTimeRange } from '../time/parse.ts';
import { isStoreId } from './guard.ts';
import { isUnscoped, siteInScope, type DataScope } from '../access/scope.ts';
import type { SiteEntry } from '../registry/registry.ts';

export interface ObservationQuery {
  site?: string; device?: string; point?: string; indicator?: string; domain?: string; kind?: string;
  from?: string; to?: string; cursor?: string; limit?: number; format?: 'json' | 'ndjson';
}

const bad = (param: string, message: string) => new LifelineError('QUERY_INVALID', `${param}: ${message}`, { details: { path: `/${param}` } });

// A code outside the key's scope gets the very answer an unregistered one gets: the key learns nothing of it.
function codes<T extends { id: number }>(param: string, raw: string | undefined, map: Map<string, T>, visible: (e: T) => boolean): number[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((c) => {
    const e = map.get(c.trim());
    if (!e || !visible(e)) throw bad(param, `"${c}" is not registered`);
    return e.id;
  });
}

interface ScopedSites { ids: number[]; set: Set<number>; points?: number[] }
const scopedSites = new WeakMap<Registry, WeakMap<DataScope, ScopedSites>>();

/**
 * The ids of the registry's sites inside `scope` (cached per registry and scope: a key's scope object lives as long as
 * the key, a registry until the next change). Undefined when the scope limits nothing.
 */
export function sitesInScope(reg: Registry, scope: DataScope | undefined): ScopedSites | undefined {
  if (isUnscoped(scope)) return undefined;
  let byScope = scopedSites.get(reg);
  if (!byScope) scopedSites.set(reg, (byScope = new WeakMap()));
  let hit = byScope.get(scope!);
  if (!hit) {
    const ids = [...reg.siteById.values()].filter((s) => siteInScope(scope, s.doc)).map((s) => s.id);
    byScope.set(scope!, (hit = { ids, set: new Set(ids) }));
  }
  return hit;
}

/** Whether a key with `scope` may see this site (and so its devices, points, rows and alarms). */
export function siteVisible(reg: Registry, scope: DataScope | undefined, site: SiteEntry | undefined): boolean {
  const s = sitesInScope(reg, scope);
  return !s || (!!site && s.set.has(site.id));
}

/** Filters from the query, narrowed to the key's data scope (`scope`, absent: everything). */
export function toFilter(q: ObservationQuery, reg: Registry, zone: string, scope?: DataScope): Omit<ObservationFilter, 'limit'> {
  const inScope = sitesInScope(reg, scope);
  const f: Omit<ObservationFilter, 'limit'> = {
    siteIds: codes('site', q.site, reg.sites, (e) => !inScope || inScope.set.has(e.id)),
    deviceIds: codes('device', q.device, reg.devices, (e) => !inScope || inScope.set.has(e.site.id)),
    pointIds: codes('point', q.point, reg.points, (e) => !inScope || inScope.set.has(e.device.site.id)),
  };
  // Every code asked for is inside the scope already; without a site filter, the scope's sites are the filter (by the
  // site each row was stored with, and through the registry's points, as for ?site=).
  if (inScope && !f.siteIds) f.siteIds = inScope.ids;
  let indicators = q.indicator?.split(',').map((c) => c.trim());
  for (const c of indicators ?? []) if (!reg.catalogue.has(c)) throw bad('indicator', `"${c}" is not in the catalogue`);
  if (q.domain) {
    const ofDomain = [...reg.catalogue.values()].filter((i) => i.domain === q.domain).map((i) => i.code);
    indicators = indicators ? indicators.filter((c) => ofDomain.includes(c)) : ofDomain;
  }
  if (indicators) f.indicators = indicators;
  // Narrowed by the scope alone: its points, worked out once per registry and scope, not per request.
  const scopeOnly = inScope && !q.site && !q.device && !q.indicator && !q.domain;
  const within = scopeOnly ? f.pointIds ?? (inScope.points ??= pointsWithin(reg, { siteIds: inScope.ids })) : pointsWithin(reg, f);
  if (within) f.pointIds = within;
  if (q.kind) f.kind = q.kind;
  for (const k of ['from', 'to'] as const) {
    const v = q[k];
    if (v === undefined) continue;
    const ms = parseTime(/^\d+$/.test(v) ? Number(v) : v, zone);
    if (Number.isNaN(ms)) throw bad(k, `"${v}" is not an ISO 8601 date-time or epoch ms`);
    if (k === 'from') f.fromMs = ms; else f.toMs = ms;
  }
  if (q.cursor) f.after = decodeCursor(q.cursor);
  return f;
}

/**
 * A site / device / indicator filter as the registry's point ids (intersected with `point` when given), so the
 * store reads through the (point_id, kind, time) index instead of scanning other points' rows. The column
 * conditions stay as well: a row keeps the site, device and indicator it was stored with, so a point moved to
 * another device since then is not shown under its new site with rows of the old one. Undefined: no such filter.
 */
function pointsWithin(reg: Registry, f: Omit<ObservationFilter, 'limit'>): number[] | undefined {
  if (!f.siteIds && !f.deviceIds && !f.indicators) return undefined;
  const sites = f.siteIds && new Set(f.siteIds), devices = f.deviceIds && new Set(f.deviceIds);
  const indicators = f.indicators && new Set(f.indicators), points = f.pointIds && new Set(f.pointIds);
  const ids: number[] = [];
  for (const p of reg.pointById.values()) {
    if (points && !points.has(p.id)) continue;
    if (devices && !devices.has(p.device.id)) continue;
    if (sites && !sites.has(p.device.site.id)) continue;
    if (indicators && !indicators.has(p.indicator.code)) continue;
    ids.push(p.id);
  }
  return ids;
}

export const encodeCursor = (timeMs: number, id: string) => Buffer.from(JSON.stringify([timeMs, id])).toString('base64url');

export function decodeCursor(c: string): { timeMs: number; id: string } {
  try {
    const [timeMs, id] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as [number, string];
    // Only what encodeCursor can have written: a storable instant and a bigint id (else the SQL cast fails: a 500).
    if (Number.isInteger(timeMs) && inTimeRange(timeMs) && isStoreId(id)) return { timeMs, id };
  } catch { /* fall through */ }
  throw bad('cursor', 'is not a cursor this API returned');
}
