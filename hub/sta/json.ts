// Entities as the standard's JSON objects (one entity, a property, $ref, dataArray; collections of entities are
// written as text by write.ts, byte for byte what JSON.stringify makes of these objects), and the ids and links both
// forms share.
import { ENTITIES, type EntityDef } from './entities.ts';
import type { QueryOptions } from './options.ts';

export type Row = Record<string, unknown>;
/** An expanded navigation link of a row, as query.ts attaches it (`_x_<nav>`). */
export type Expanded = { rows?: Row[]; more?: boolean; count?: number; one?: Row };

/** An entity id as it appears in a path: quoted when a string. */
export const keyText = (def: EntityDef, id: unknown) => (def.id.pg === 'text' ? `'${String(id).replaceAll("'", "''")}'` : String(id));
/** `@iot.id`: bigint ids (pg gives strings) as numbers while exact. */
export const idOf = (def: EntityDef, r: Row) => (def.id.pg === 'bigint' ? safeNumber(r.id) : r.id);
function safeNumber(v: unknown): unknown {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/**
 * Whether an entity under `select` shows anything of its presentation (def.present): not when it keeps only `id`,
 * `selfLink` and navigation links. The query then reads the id alone (query.ts), and present() is never called.
 */
export function needsPresent(def: EntityDef, select: string[] | undefined): boolean {
  return !select || select.some((s) => s !== 'id' && s !== 'selfLink' && !Object.hasOwn(def.navs, s));
}

export function nextLink(url: string, o: QueryOptions): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o.raw)) if (k !== '$top' && k !== '$skip') q.set(k, v);
  q.set('$top', String(o.top));
  q.set('$skip', String(o.skip + o.top));
  return `${url}?${q.toString().replaceAll('+', '%20').replaceAll('%24', '$')}`;
}

export const selected = (select: string[], key: string) => {
  if (key === '@iot.id') return select.includes('id');
  if (key === '@iot.selfLink') return select.includes('selfLink');
  return select.includes(key.endsWith('@iot.navigationLink') ? key.slice(0, -'@iot.navigationLink'.length) : key);
};

export function entityJson(base: string, def: EntityDef, r: Row, o: QueryOptions): Row {
  const id = idOf(def, r);
  const self = `${base}/${def.set}(${keyText(def, id)})`;
  // Nothing of the presentation shown ($select=id): the row may hold the id alone (query.ts reads no more).
  const full: Row = { '@iot.selfLink': self, '@iot.id': id, ...(needsPresent(def, o.select) ? def.present(r) : {}) };
  for (const nav of Object.keys(def.navs)) full[`${nav}@iot.navigationLink`] = `${self}/${nav}`;
  let out = full;
  if (o.select) {
    // A new object with the kept keys (deleting keys would make every entity a slow dictionary object).
    out = {};
    for (const k of Object.keys(full)) if (selected(o.select, k)) out[k] = full[k];
  }
  for (const x of o.expand) {
    const nav = def.navs[x.nav]!;
    const target = ENTITIES[nav.target];
    const got = r[`_x_${x.nav}`] as Expanded;
    if (!nav.many) { if (got.one) out[x.nav] = entityJson(base, target, got.one, x.opts); continue; }
    if (got.count !== undefined) out[`${x.nav}@iot.count`] = got.count;
    out[x.nav] = got.rows!.map((ch) => entityJson(base, target, ch, x.opts));
    if (got.more && x.opts.top > 0) out[`${x.nav}@iot.nextLink`] = nextLink(`${self}/${x.nav}`, x.opts);
  }
  return out;
}

export function dataArray(base: string, rows: Row[], o: QueryOptions): Row[] {
  const def = ENTITIES.Observations;
  const components = o.select ?? ['id', 'phenomenonTime', 'resultTime', 'result'];
  const groups = new Map<string, Row[]>();
  for (const r of rows) { const k = String(r.point_id); (groups.get(k) ?? groups.set(k, []).get(k)!).push(r); }
  return [...groups].map(([pid, rs]) => ({
    'Datastream@iot.navigationLink': `${base}/Datastreams(${pid})`,
    components,
    'dataArray@iot.count': rs.length,
    dataArray: rs.map((r) => {
      const e: Row = { id: idOf(def, r), ...def.present(r) };
      return components.map((c) => e[c] ?? null);
    }),
  }));
}
export function collection(r: { more: boolean; count?: number }, value: unknown[], url: string, o: QueryOptions): Row {
  const out: Row = {};
  if (r.count !== undefined) out['@iot.count'] = r.count;
  // $top=0 asks for the count alone: a link to the same empty page would loop a client that follows it.
  if (r.more && o.top > 0) out['@iot.nextLink'] = nextLink(url, o);
  out.value = value;
  return out;
}
