// What the one-map page (一张图) computes: a Web-Mercator projection of its own (the map has no tiles, so nothing else
// of a map library is needed), SVG paths of the boundary GeoJSON, the view that fits the sites, and each site's status
// (from its devices' last-seen, as on the Devices page) and highest open alarm level. Pure functions, no DOM
// (test/console-metrics.test.ts checks them).
import type { DeviceRow, Status } from './devices-model.ts';

export interface SiteLocDoc { code: string; name?: string; enterprise?: string; address?: string; domain?: string; location?: { lat: number; lon: number; crs?: string } }
export interface OpenAlarm { site: string; level: number; level_name: string; level_colour: string }
export type Ring = Array<[number, number]>;
export interface Geometry { type: 'Polygon' | 'MultiPolygon'; coordinates: Ring[] | Ring[][] }
export interface BoundaryFeature { id?: string; properties: { adcode: string; name: string; centre?: [number, number] }; geometry: Geometry }
export interface FeatureCollection { type: 'FeatureCollection'; features: BoundaryFeature[] }

/** Projected plane: x = longitude in degrees, y = Mercator northing in degrees (north up once negated). */
export interface XY { x: number; y: number }
export const project = (lon: number, lat: number): XY => {
  const φ = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  return { x: lon, y: -(Math.log(Math.tan(Math.PI / 4 + φ / 2)) * 180) / Math.PI };
};
export const unproject = (p: XY): { lon: number; lat: number } => ({ lon: p.x, lat: (Math.atan(Math.exp((-p.y * Math.PI) / 180)) * 360) / Math.PI - 90 });

/** A view: screen = (projected − origin) × k. */
export interface View { k: number; x0: number; y0: number }
export const toScreen = (v: View, p: XY) => ({ x: (p.x - v.x0) * v.k, y: (p.y - v.y0) * v.k });
export const fromScreen = (v: View, s: { x: number; y: number }): XY => ({ x: s.x / v.k + v.x0, y: s.y / v.k + v.y0 });

/** One feature's outline as an SVG path in projected units (one path per feature: drawn once, moved by a transform). */
export function pathOf(g: Geometry): string {
  const polys = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as Ring[][];
  let d = '';
  for (const poly of polys) {
    for (const ring of poly) {
      ring.forEach(([lon, lat], i) => { const p = project(lon, lat); d += `${i ? 'L' : 'M'}${p.x.toFixed(3)} ${p.y.toFixed(3)}`; });
      d += 'Z';
    }
  }
  return d;
}

/** Longitude/latitude box of a feature. */
export function bboxOf(g: Geometry): [number, number, number, number] {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const poly of (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as Ring[][]) {
    for (const ring of poly) for (const [lon, lat] of ring) { w = Math.min(w, lon); e = Math.max(e, lon); s = Math.min(s, lat); n = Math.max(n, lat); }
  }
  return [w, s, e, n];
}

/** China as a whole, when there is no located site to fit. */
export const CHINA: [number, number, number, number] = [73, 18, 135, 53.6];
/** The smallest span (degrees) a fit zooms to: about a city, so sites close together are shown with their city around
 * them (and the boundaries, simplified to ~500 m, still read as outlines). Zoom in further by hand. */
const MIN_SPAN = 0.25;

/** The view showing `[w, s, e, n]` (degrees) in a `width` × `height` screen, with a margin of `pad` of each side. */
export function fit(box: [number, number, number, number], width: number, height: number, pad = 0.15): View {
  let [w, s, e, n] = box;
  const cx = (w + e) / 2, cy = (s + n) / 2;
  if (e - w < MIN_SPAN) { w = cx - MIN_SPAN / 2; e = cx + MIN_SPAN / 2; }
  if (n - s < MIN_SPAN) { s = cy - MIN_SPAN / 2; n = cy + MIN_SPAN / 2; }
  const a = project(w, n), b = project(e, s);
  const k = Math.min((width * (1 - 2 * pad)) / (b.x - a.x), (height * (1 - 2 * pad)) / (b.y - a.y));
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  return { k, x0: mid.x - width / 2 / k, y0: mid.y - height / 2 / k };
}

/** The view zoomed by `factor` about the screen point `at` (that point stays under the cursor). */
export function zoomAt(v: View, factor: number, at: { x: number; y: number }): View {
  const k = Math.max(2, Math.min(200_000, v.k * factor));
  const p = fromScreen(v, at);
  return { k, x0: p.x - at.x / k, y0: p.y - at.y / k };
}

/** Degrees of longitude across the screen: the page loads city boundaries below a few degrees. */
export const spanDegrees = (v: View, width: number) => width / v.k;

/** The geographic box a view shows. */
export function viewBox(v: View, width: number, height: number): [number, number, number, number] {
  const a = unproject(fromScreen(v, { x: 0, y: 0 })), b = unproject(fromScreen(v, { x: width, y: height }));
  return [a.lon, b.lat, b.lon, a.lat];
}
export const intersects = (a: [number, number, number, number], b: [number, number, number, number]) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];

/** The site colours: the same statuses and colours as the Devices page. */
export const STATUS_COLOUR: Record<Status, string> = { online: '#1e8e3e', late: '#c77700', offline: '#d93025', never: '#98a2b3', pending: '#98a2b3' };
const RANK: Record<Status, number> = { online: 0, late: 1, offline: 2, never: 3, pending: 4 };

export interface SiteMark {
  code: string; name: string; enterprise: string; address: string; lon: number; lat: number;
  /** The site's freshest device: online when any device reports within its intervals (docs/console.md). */
  status: Status;
  devices: DeviceRow[];
  /** Devices per status, for the side panel. */
  counts: Record<Status, number>;
  /** Most severe open alarm (lowest level number), or null. */
  alarm: { level: number; name: string; colour: string; count: number } | null;
}

/**
 * The sites to draw (those with a location; `unlocated` the others), each with its status and highest open alarm.
 * A site's status is its best device's: a site is online while any of its devices reports; the panel counts the rest.
 */
export function siteMarks(sites: SiteLocDoc[], rows: DeviceRow[], alarms: OpenAlarm[]): { marks: SiteMark[]; unlocated: string[] } {
  const bySite = new Map<string, DeviceRow[]>();
  for (const r of rows) { const l = bySite.get(r.site); if (l) l.push(r); else bySite.set(r.site, [r]); }
  const alarmBySite = new Map<string, SiteMark['alarm']>();
  for (const a of alarms) {
    const cur = alarmBySite.get(a.site);
    if (!cur || a.level < cur.level) alarmBySite.set(a.site, { level: a.level, name: a.level_name, colour: a.level_colour, count: (cur?.count ?? 0) + 1 });
    else cur.count++;
  }
  const marks: SiteMark[] = [], unlocated: string[] = [];
  for (const s of sites) {
    const loc = s.location;
    if (!loc || !Number.isFinite(loc.lat) || !Number.isFinite(loc.lon)) { unlocated.push(s.code); continue; }
    const devices = bySite.get(s.code) ?? [];
    const counts: Record<Status, number> = { online: 0, late: 0, offline: 0, never: 0, pending: 0 };
    let status: Status = 'never';
    for (const d of devices) { counts[d.status]++; if (RANK[d.status] < RANK[status]) status = d.status; }
    marks.push({ code: s.code, name: s.name ?? s.code, enterprise: s.enterprise ?? '', address: s.address ?? '', lon: loc.lon, lat: loc.lat, status, devices, counts, alarm: alarmBySite.get(s.code) ?? null });
  }
  return { marks, unlocated };
}

/** The box around the marks (null without any). */
export function marksBox(marks: SiteMark[]): [number, number, number, number] | null {
  if (!marks.length) return null;
  return [Math.min(...marks.map((m) => m.lon)), Math.min(...marks.map((m) => m.lat)), Math.max(...marks.map((m) => m.lon)), Math.max(...marks.map((m) => m.lat))];
}

/** The alarm levels present, most severe first, for the legend. */
export function levelsPresent(marks: SiteMark[]): Array<{ level: number; name: string; colour: string; sites: number }> {
  const m = new Map<number, { level: number; name: string; colour: string; sites: number }>();
  for (const s of marks) {
    if (!s.alarm) continue;
    const l = m.get(s.alarm.level) ?? { level: s.alarm.level, name: s.alarm.name, colour: s.alarm.colour, sites: 0 };
    l.sites++;
    m.set(s.alarm.level, l);
  }
  return [...m.values()].sort((a, b) => a.level - b.level);
}
