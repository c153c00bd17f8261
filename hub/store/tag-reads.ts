// The tag columns of rows read back (migration 019). A read selects each row's `tag` id instead of the eight columns
// the tag holds; PostgreSQL then drops the views' join with observation_tag, and the columns are filled here from the
// tags this store handle has read before. A tag is never changed or deleted (migration 008), so an id, once read,
// names the same columns for the life of the store; a tag met for the first time (a new point, new flags, another
// process's write) costs one query for all of a read's new ids.
import type { Queryable } from './driver.ts';
import type { StoredObservationRow } from './observations.ts';

/** A row as a tag-free read returns it: observation's own columns and its tag id. */
export interface BareObservationRow {
  id: string; point_id: number; kind: string; time: Date; value: number | null; avg: number | null; min: number | null;
  max: number | null; cou: number | null; warnings: string[]; message_id: string | null; received_at: Date; raw_value: number | null;
  tag: number;
}

// observation's own columns and the tag id: what a tag-free read takes from the views.
const BARE = ['id', 'point_id', 'kind', 'time', 'value', 'avg', 'min', 'max', 'cou', 'warnings', 'message_id', 'received_at', 'raw_value', 'tag'];

/** The select list of a tag-free read, over rows of the observation views named `a` (id as text, as COLUMNS). */
export const bareColumns = (a: string) => BARE.map((c) => (c === 'id' ? `${a}.id::text AS id` : `${a}.${c}`)).join(', ');

/**
 * What each half of splitRead passes on for a tag-free read. PostgreSQL would drop the halves' unused columns by
 * itself; naming them keeps the read's intent plain.
 */
export const BARE_PICK = (a: string) => BARE.map((c) => `${a}.${c}`).join(', ');

// A class: one hidden class for every cached tag. Its arrays are frozen: rows share them.
class TagColumns {
  constructor(
    readonly device_id: number, readonly site_id: number, readonly indicator: string, readonly unit: string,
    readonly source_flag: string, readonly flags: readonly string[], readonly adapter: string, readonly raw_unit: string | null,
  ) {}
}

/** A tag id no row of observation_tag has (not cached: never expected): the views' LEFT JOIN gives NULL columns, and so does this. */
const NONE = new TagColumns(null as unknown as number, null as unknown as number, null as unknown as string, null as unknown as string,
  null as unknown as string, null as unknown as string[], null as unknown as string, null);

// Per store handle. Bounded: a store whose tags outgrow it (flags that vary reading by reading) starts the cache again.
const MAX_CACHED = 1_000_000;
const caches = new WeakMap<object, Map<number, TagColumns>>();

interface TagRow { id: number; device_id: number; site_id: number; indicator: string; unit: string; source_flag: string; flags: string[]; adapter: string; raw_unit: string | null }

function cacheOf(store: object): Map<number, TagColumns> {
  let cache = caches.get(store);
  if (!cache) { cache = new Map(); caches.set(store, cache); }
  return cache;
}

/**
 * A tag the writer resolved (hub/store/tags.ts), with what it holds: reads of the rows just written need not ask for
 * it. `flags` as the writer keys them, joined by commas ('' for none).
 */
export function learnTag(store: object, id: number, t: {
  deviceId: number; siteId: number; indicator: string; unit: string; sourceFlag: string; flags: string; adapter: string; rawUnit: string | null;
}): void {
  const cache = cacheOf(store);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(id, new TagColumns(t.deviceId, t.siteId, t.indicator, t.unit, t.sourceFlag, Object.freeze(t.flags === '' ? [] : t.flags.split(',')), t.adapter, t.rawUnit));
}

/**
 * The rows with their tags' columns filled in, in the order and shape of a read of COLUMNS (the same objects' keys,
 * in the same order). `db` is the store handle the cache belongs to; a transaction's client works too (its own cache).
 */
export async function withTags(db: Queryable, rows: ReadonlyArray<BareObservationRow>): Promise<StoredObservationRow[]> {
  const cache = cacheOf(db);
  let missing: Set<number> | undefined;
  for (let i = 0; i < rows.length; i++) { const g = rows[i]!.tag; if (!cache.has(g)) (missing ??= new Set()).add(g); }
  if (missing) {
    if (cache.size + missing.size > MAX_CACHED) cache.clear();
    const ids = [...missing];
    const found = (await db.query<TagRow>(`SELECT id, device_id, site_id, indicator, unit, source_flag, flags, adapter, raw_unit
      FROM observation_tag WHERE id = ANY($1::int[])`, [ids])).rows;
    for (const t of found) {
      cache.set(t.id, new TagColumns(t.device_id, t.site_id, t.indicator, t.unit, t.source_flag, Object.freeze(t.flags), t.adapter, t.raw_unit));
    }
  }
  const out = new Array<StoredObservationRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const t = cache.get(r.tag) ?? NONE;
    out[i] = {
      id: r.id, point_id: r.point_id, device_id: t.device_id, site_id: t.site_id, indicator: t.indicator, kind: r.kind, time: r.time,
      value: r.value, avg: r.avg, min: r.min, max: r.max, cou: r.cou, unit: t.unit, source_flag: t.source_flag, flags: t.flags as string[],
      warnings: r.warnings, adapter: t.adapter, message_id: r.message_id, received_at: r.received_at, raw_value: r.raw_value, raw_unit: t.raw_unit,
    };
  }
  return out;
}
