// observation_tag ids for rows about to be stored (migration 008). A tag is the part of a row that repeats on every
// reading of a point: device, site, indicator, unit, source flag, flags, adapter and raw unit. Tags are never changed
// or deleted, so an id once learned stays right for the life of the store: each store handle caches what it learned,
// and asks PostgreSQL only for combinations it has not met (a new point, a new flag, a new raw unit).
import type { Queryable } from './driver.ts';
import type { ObservationRow } from './rows.ts';
import { learnTag } from './tag-reads.ts';

// A class, so every tag has one hidden class and `same` stays monomorphic (object spreads made it 10× slower).
class Tag {
  readonly deviceId: number; readonly siteId: number; readonly indicator: string; readonly unit: string;
  readonly sourceFlag: string; readonly flags: string; readonly adapter: string; readonly rawUnit: string | null;
  constructor(r: ObservationRow, flags: string, adapter: string, readonly id: number) {
    this.deviceId = r.deviceId; this.siteId = r.siteId; this.indicator = r.indicator; this.unit = r.unit;
    this.sourceFlag = r.sourceFlag; this.flags = flags; this.adapter = adapter; this.rawUnit = r.rawUnit;
  }
}

/** Per store handle: point id → the tags met for it (almost always one, a few when flags vary). */
const caches = new WeakMap<object, Map<number, Tag[]>>();

// Numbers first, then the strings most likely to differ; equal strings from the registry are usually one object.
function same(t: Tag, r: ObservationRow, flags: string, adapter: string): boolean {
  return t.deviceId === r.deviceId && t.siteId === r.siteId && t.sourceFlag === r.sourceFlag && t.rawUnit === r.rawUnit &&
    t.flags === flags && t.unit === r.unit && t.adapter === adapter && t.indicator === r.indicator;
}

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
    const list = cache.get(r.pointId);
    let hit: Tag | undefined;
    if (list) for (let k = 0; k < list.length; k++) if (same(list[k]!, r, flags, adapter)) { hit = list[k]; break; }
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
    const tag = new Tag(m.row, m.flags, adapter, id);
    learnTag(store, id, tag);
    const list = cache.get(m.row.pointId);
    if (list) list.push(tag); else cache.set(m.row.pointId, [tag]);
    for (const i of m.at) ids[i] = id;
  });
  return ids;
}
