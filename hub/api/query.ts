// Query-string filters → store filters, resolving registry codes and naming the bad parameter.
import type { Registry } from '../registry/registry.ts';
import type { ObservationFilter } from '../store/observations.ts';
import { LifelineError } from '../sdk/errors.ts';
import { parseTime, inTimeRange } from '../time/parse.ts';
import { isStoreId } from './guard.ts';

export interface ObservationQuery {
  site?: string; device?: string; point?: string; indicator?: string; domain?: string; kind?: string;
  from?: string; to?: string; cursor?: string; limit?: number; format?: 'json' | 'ndjson';
}

const bad = (param: string, message: string) => new LifelineError('QUERY_INVALID', `${param}: ${message}`, { details: { path: `/${param}` } });

function codes<T extends { id: number }>(param: string, raw: string | undefined, map: Map<string, T>): number[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((c) => {
    const e = map.get(c.trim());
    if (!e) throw bad(param, `"${c}" is not registered`);
    return e.id;
  });
}

export function toFilter(q: ObservationQuery, reg: Registry, zone: string): Omit<ObservationFilter, 'limit'> {
  const f: Omit<ObservationFilter, 'limit'> = {
    siteIds: codes('site', q.site, reg.sites),
    deviceIds: codes('device', q.device, reg.devices),
    pointIds: codes('point', q.point, reg.points),
  };
  let indicators = q.indicator?.split(',').map((c) => c.trim());
  for (const c of indicators ?? []) if (!reg.catalogue.has(c)) throw bad('indicator', `"${c}" is not in the catalogue`);
  if (q.domain) {
    const ofDomain = [...reg.catalogue.values()].filter((i) => i.domain === q.domain).map((i) => i.code);
    indicators = indicators ? indicators.filter((c) => ofDomain.includes(c)) : ofDomain;
  }
  if (indicators) f.indicators = indicators;
  const within = pointsWithin(reg, f);
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
