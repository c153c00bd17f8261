#!/usr/bin/env node
// Run once (not part of the build): China's administrative boundaries for the console's one-map page, as plain
// GeoJSON committed under console/geo/. Source: the map data of Apache ECharts 4.9.0 (npm `echarts@4.9.0`,
// Apache-2.0, the project's own licence; ECharts 5 no longer ships it), in its compact "UTF8Encoding" form:
//
//   npm pack echarts@4.9.0 && tar xzf echarts-4.9.0.tgz && node scripts/gen-boundaries.js package/map/json
//
// Writes console/geo/china-provinces.geojson (34 provinces, ~3 km detail) and console/geo/china-cities-<adcode>.geojson
// per province (its prefecture-level cities, ~500 m detail), decoded, simplified (Douglas–Peucker) and rounded.
// docs/console.md says what the data is good for (orientation, not a surveyed 标准地图).
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const src = process.argv[2];
if (!src) { console.error('usage: node scripts/gen-boundaries.js DIR (the map/json folder of echarts@4.9.0)'); process.exit(2); }
const out = new URL('../console/geo/', import.meta.url);
mkdirSync(out, { recursive: true });

/** ECharts 4's ring encoding: per point two UTF-16 units, zig-zag deltas from the ring's offset, scaled by 1024. */
function decodeRing(text, offset, scale) {
  if (typeof text !== 'string') return text; // a ring some files keep as plain coordinates
  const ring = [];
  let [px, py] = offset;
  for (let i = 0; i < text.length; i += 2) {
    let x = text.charCodeAt(i) - 64, y = text.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1); y = (y >> 1) ^ -(y & 1);
    px += x; py += y;
    ring.push([px / scale, py / scale]);
  }
  return ring;
}

/** Douglas–Peucker on a closed ring, `tol` in degrees; keeps at least 4 points (a valid ring) or drops the ring. */
function simplify(ring, tol) {
  if (ring.length <= 4) return ring;
  const keep = new Uint8Array(ring.length);
  keep[0] = keep[ring.length - 1] = 1;
  const stack = [[0, ring.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = ring[a], [bx, by] = ring[b];
    const dx = bx - ax, dy = by - ay, len = Math.hypot(dx, dy);
    let far = -1, dist = tol;
    for (let i = a + 1; i < b; i++) {
      const [x, y] = ring[i];
      const d = len === 0 ? Math.hypot(x - ax, y - ay) : Math.abs(dy * x - dx * y + bx * ay - by * ax) / len;
      if (d > dist) { dist = d; far = i; }
    }
    if (far >= 0) { keep[far] = 1; stack.push([a, far], [far, b]); }
  }
  // A closed ring's two ends are the same point: keep the point farthest from it too, so small islands survive.
  const out = ring.filter((_p, i) => keep[i]);
  return out.length >= 4 ? out : [];
}

function convert(file, tol, digits) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const scale = json.UTF8Scale ?? 1024;
  const round = (v) => Number(v.toFixed(digits));
  const ring = (text, offset) => simplify(decodeRing(text, offset, scale), tol).map(([x, y]) => [round(x), round(y)]);
  const features = [];
  for (const f of json.features) {
    const g = f.geometry;
    const polys = g.type === 'Polygon' ? [g.coordinates.map((r, i) => ring(r, g.encodeOffsets?.[i]))]
      : g.coordinates.map((p, i) => p.map((r, k) => ring(r, g.encodeOffsets?.[i]?.[k])));
    const kept = polys.map((p) => p.filter((r) => r.length)).filter((p) => p.length && p[0].length);
    if (!kept.length) continue;
    features.push({
      type: 'Feature', id: String(f.id),
      properties: { adcode: String(f.id), name: f.properties.name, centre: f.properties.cp?.map(round) },
      geometry: kept.length === 1 ? { type: 'Polygon', coordinates: kept[0] } : { type: 'MultiPolygon', coordinates: kept },
    });
  }
  return { type: 'FeatureCollection', features };
}

const write = (name, fc) => {
  const text = JSON.stringify(fc);
  writeFileSync(new URL(name, out), `${text}\n`);
  return text.length;
};

const provinces = convert(join(src, 'china.json'), 0.03, 2);
let bytes = write('china-provinces.geojson', provinces);
console.log(`china-provinces.geojson: ${provinces.features.length} provinces, ${bytes} bytes`);
// province/<pinyin>.json → its adcode, by the province file's first city (e.g. 350200 → 350000); Taiwan's file
// numbers its cities otherwise.
const ADCODE = { 'taiwan.json': '710000', 'xianggang.json': '810000', 'aomen.json': '820000' };
for (const name of readdirSync(join(src, 'province')).filter((n) => n.endsWith('.json')).sort()) {
  const cities = convert(join(src, 'province', name), 0.005, 3);
  if (!cities.features.length) continue;
  const adcode = ADCODE[name] ?? `${cities.features[0].id.slice(0, 2)}0000`;
  bytes = write(`china-cities-${adcode}.geojson`, cities);
  console.log(`china-cities-${adcode}.geojson (${name}): ${cities.features.length} cities, ${bytes} bytes`);
}
