// observation_tag ids for rows about to be stored (migration 008). A tag is the part of a row that repeats on every
// reading of a point: device, site, indicator, unit, source flag, flags, adapter and raw unit. Tags are never changed
// or deleted, so an id once learned stays right for the life of the store: each store handle caches what it learned,
// and asks PostgreSQL only for combinations it has not met (a new point, a new flag, a new raw unit).
import type { Queryable } from './driver.ts';
import type { ObservationRow } from './rows.ts';

interface Tag {
  deviceId: number; siteId: number; indicator: string; unit: string; sourceFlag: string; flags: string; adapter: string;
  rawUnit: string | null; id: number;
}

/** Per store handle: point id → the tags met for it (almost always one, a few when flags vary). */
const caches = new WeakMap<object, Map<number, Tag[]>>();

const same = (t: Tag, r: ObservationRow, flags: string, adapter: string) =>
  t.sourceFlag === r.sourceFlag && t.flags === flags && t.unit === r.unit && t.rawUnit === r.rawUnit && t.adapter === adapter &&
  t.deviceId === r.deviceId && t.siteId === r.siteId && t.indicator === r.indicator;

// Each new combination through observation_tag_of (insert, or read the one another process inserted first).
const RESOLVE = `
SELECT observation_tag_of(u.d, u.s, u.i, u.un, u.sf, CASE WHEN u.f = '' THEN '{}'::text[] ELSE string_to_array(u.f, ',') END, $8, u.ru) AS id
FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u(d, s, i, un, sf, f, ru, n)
ORDER BY u.n`;

/**
 * The tag id of each row, aligned with `rows`. `db` must not be inside a transaction that may roll back: a tag
 * learned there could vanish while the cache still names it. `store` is the handle the cache belongs to.
 */
export async function tagIdsOf(db: Queryable, store: object, rows: ReadonlyArray<ObservationRow>, adapter: string): Promise<number[]> {
  let cache = caches.get(store);
  if (!cache) { cache = new Map(); caches.set(store, cache); }
  const ids = new Array<number>(rows.length);
  let missing: Map<string, { row: ObservationRow; flags: string; at: number[] }> | undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const flags = r.flags.length ? r.flags.join(',') : '';
    const hit = cache.get(r.pointId)?.find((t) => same(t, r, flags, adapter));
    if (hit) { ids[i] = hit.id; continue; }
    missing ??= new Map();
    const key = [r.pointId, r.deviceId, r.siteId, r.indicator, r.unit, r.sourceFlag, flags, r.rawUnit ?? '\u0000'].join('\u0001');
    const m = missing.get(key);
    if (m) m.at.push(i); else missing.set(key, { row: r, flags, at: [i] });
  }
  if (!missing) return ids;
  const news = [...missing.values()];
  const res = await db.query<{ id: number }>(RESOLVE, [
    news.map((m) => m.row.deviceId), news.map((m) => m.row.siteId), news.map((m) => m.row.indicator),
    news.map((m) => m.row.unit), news.map((m) => m.row.sourceFlag), news.map((m) => m.flags),
    news.map((m) => m.row.rawUnit), adapter,
  ]);
  news.forEach((m, k) => {
    const id = res.rows[k]!.id;
    const tag: Tag = { ...tagOf(m.row, m.flags, adapter), id };
    const list = cache.get(m.row.pointId);
    if (list) list.push(tag); else cache.set(m.row.pointId, [tag]);
    for (const i of m.at) ids[i] = id;
  });
  return ids;
}

function tagOf(r: ObservationRow, flags: string, adapter: string): Omit<Tag, 'id'> {
  return { deviceId: r.deviceId, siteId: r.siteId, indicator: r.indicator, unit: r.unit, sourceFlag: r.sourceFlag, flags, adapter, rawUnit: r.rawUnit };
}
