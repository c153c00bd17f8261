// A page of entities (with what $expand attached) written straight to JSON text (UTF-8): the same bytes as
// JSON.stringify(collection(…, rows.map(entityJson))) (json.ts), without building those objects first. The latest
// values of 10,000 Datastreams are 6.5 MB of JSON; as objects, each Observation was built twice (its presentation, then
// the entity with its links) and a narrowed $select built every entity whole before dropping most of it, and the
// garbage and the serialisation of it all were most of the request's time (docs/sensorthings.md#performance).
// test/sta-write.test.ts compares both forms over every entity set, $select and $expand.
import { ENTITIES, iso, OBSERVATION_PARAMETERS, OBSERVATION_QUALITY, OBSERVATION_STATISTICS, type EntityDef, type Field } from './entities.ts';
import { idOf, keyText, needsPresent, nextLink, type Expanded, type Row } from './json.ts';
import type { QueryOptions } from './options.ts';

const stringify = JSON.stringify;
const OBSERVATIONS = ENTITIES.Observations;

/**
 * What to write of one entity set under one $select, worked out once per level rather than once per entity: the
 * navigation links kept, as `,"<Nav>@iot.navigationLink":"` … `/<Nav>"` pieces around the quoted self link.
 */
interface Plan {
  self: boolean;
  id: boolean;
  present: boolean;
  navLinks: Array<{ head: string; tail: string }>;
  /** Each $expand with the row key query.ts attaches it under. */
  expands: Array<{ nav: string; key: string; opts: QueryOptions }>;
}

const plans = new WeakMap<QueryOptions, Map<EntityDef, Plan>>();
function planOf(def: EntityDef, o: QueryOptions): Plan {
  let byDef = plans.get(o);
  if (!byDef) plans.set(o, (byDef = new Map()));
  let p = byDef.get(def);
  if (!p) {
    const sel = o.select;
    p = {
      self: !sel || sel.includes('selfLink'),
      id: !sel || sel.includes('id'),
      present: needsPresent(def, sel),
      // The key is ASCII letters and '@.': JSON.stringify writes it as it is.
      navLinks: Object.keys(def.navs).filter((nav) => !sel || sel.includes(nav)).map((nav) => ({ head: `"${nav}@iot.navigationLink":`, tail: `/${nav}"` })),
      expands: o.expand.map((x) => ({ nav: x.nav, key: `_x_${x.nav}`, opts: x.opts })),
    };
    byDef.set(def, p);
  }
  return p;
}

/**
 * A page's JSON text as the pieces it is written in, turned into bytes once at the end: no string of the whole page
 * is built (a string of 10,000 entities made by concatenation is flattened, then encoded, and fastify and node's
 * HTTP response each measured or encoded it again: about a third of the latest values' CPU).
 */
class Pieces {
  private readonly parts: string[] = [];
  private chars = 0;
  private longest = 0;
  add(s: string) {
    this.parts.push(s);
    this.chars += s.length;
    if (s.length > this.longest) this.longest = s.length;
  }
  bytes(): Buffer {
    // A UTF-16 code unit is at most 3 bytes of UTF-8, ASCII one: room for the text as ASCII and for any one piece at 3
    // bytes a unit; grown (copied) only before a piece that might not fit. Room for all of it at 3 bytes a unit would
    // hold 19 MB for a 6 MB page (the CPU per request was the same both ways, within the noise).
    let buf = Buffer.allocUnsafe(this.chars + 3 * this.longest);
    let at = 0;
    for (const p of this.parts) {
      if (buf.length - at < 3 * p.length) {
        const bigger = Buffer.allocUnsafe(2 * buf.length + 3 * p.length);
        buf.copy(bigger, 0, 0, at);
        buf = bigger;
      }
      at += buf.write(p, at, 'utf8');
    }
    return buf.subarray(0, at);
  }
}

/**
 * `,"key":<value>` as a member of JSON.stringify's output ('' when it leaves the member out: value undefined). The
 * keys passed are ASCII identifiers, which JSON.stringify writes as they are.
 */
function member(key: string, value: unknown): string {
  const v = stringify(value);
  return v === undefined ? '' : `,"${key}":${v}`;
}

/** The members of `fields` read from r, each after a comma. */
function members(r: Row, fields: readonly Field[]): string {
  let s = '';
  for (const [k, read] of fields) s += member(k, read(r));
  return s;
}

/**
 * An Observation's members as the stringified presentObservationRow(r) (entities.ts) narrowed to $select, from the
 * same field lists, without building that object: the latest values are 10,000 of them a page, and the objects (two per Observation, and the
 * loop over their keys) were a fifth of the request's CPU and most of its garbage. test/sta-write.test.ts compares the
 * bytes with the objects' over every $select.
 */
function observationMembers(r: Row, sel: string[] | undefined): string {
  let s = '';
  const t = stringify(iso(r.time));
  if (!sel || sel.includes('phenomenonTime')) s += `,"phenomenonTime":${t}`;
  if (!sel || sel.includes('resultTime')) s += `,"resultTime":${t}`;
  if (!sel || sel.includes('result')) s += member('result', r.value);
  if (!sel || sel.includes('resultQuality')) s += `,"resultQuality":{${members(r, OBSERVATION_QUALITY).slice(1)}}`;
  if (!sel || sel.includes('parameters')) {
    let p = members(r, OBSERVATION_PARAMETERS);
    if (r.kind !== 'rtd') p += members(r, OBSERVATION_STATISTICS);
    s += `,"parameters":{${p.slice(1)}}`;
  }
  return s;
}

/** One entity as entityJson(base, def, r, o) would be stringified. */
function writeEntity(out: Pieces, base: string, def: EntityDef, r: Row, o: QueryOptions): void {
  const plan = planOf(def, o);
  const id = idOf(def, r);
  const self = `${base}/${def.set}(${keyText(def, id)})`;
  // The quoted self link without its closing quote: each navigation link is it plus "/<Nav>" (ASCII letters, which
  // JSON.stringify writes unchanged, so the concatenation is the stringified link).
  const open = stringify(self).slice(0, -1);
  // Members, each after a comma; the first comma becomes the entity's opening brace when they are added to `out`
  // (`opened`: it was; the pieces before an expanded entity or array go out first).
  let s = '';
  let opened = false;
  if (plan.self) s += `,"@iot.selfLink":${open}"`;
  if (plan.id) s += `,"@iot.id":${stringify(id)}`;
  if (plan.present) {
    const sel = o.select;
    if (def === OBSERVATIONS) s += observationMembers(r, sel);
    else {
      const shown = def.present(r);
      for (const k in shown) {
        if (sel && !sel.includes(k)) continue;
        const v = stringify(shown[k]);
        if (v !== undefined) s += `,${stringify(k)}:${v}`; // JSON.stringify leaves out a member whose value is undefined
      }
    }
  }
  for (const l of plan.navLinks) s += `,${l.head}${open}${l.tail}`;
  for (const x of plan.expands) {
    const nav = def.navs[x.nav]!;
    const target = ENTITIES[nav.target];
    const got = r[x.key] as Expanded;
    if (!nav.many) {
      if (got.one) {
        s += `,${stringify(x.nav)}:`;
        out.add(opened ? s : `{${s.slice(1)}`); opened = true; s = '';
        writeEntity(out, base, target, got.one, x.opts);
      }
      continue;
    }
    if (got.count !== undefined) s += `,${stringify(`${x.nav}@iot.count`)}:${stringify(got.count)}`;
    s += `,${stringify(x.nav)}:`;
    out.add(opened ? s : `{${s.slice(1)}`); opened = true; s = '';
    writeArray(out, base, target, got.rows!, x.opts);
    if (got.more && x.opts.top > 0) s += `,${stringify(`${x.nav}@iot.nextLink`)}:${stringify(nextLink(`${self}/${x.nav}`, x.opts))}`;
  }
  out.add(opened ? `${s}}` : s ? `{${s.slice(1)}}` : '{}');
}

function writeArray(out: Pieces, base: string, def: EntityDef, rows: Row[], o: QueryOptions): void {
  if (!rows.length) { out.add('[]'); return; }
  out.add('[');
  for (let i = 0; i < rows.length; i++) {
    if (i) out.add(',');
    writeEntity(out, base, def, rows[i]!, o);
  }
  out.add(']');
}

/** A collection page as collection(r, rows.map(entityJson), url, o) would be stringified, as UTF-8. */
export function writeCollection(base: string, def: EntityDef, r: { rows: Row[]; more: boolean; count?: number }, url: string, o: QueryOptions): Buffer {
  const out = new Pieces();
  let s = '{';
  if (r.count !== undefined) s += `"@iot.count":${stringify(r.count)},`;
  // $top=0 asks for the count alone: a link to the same empty page would loop a client that follows it.
  if (r.more && o.top > 0) s += `"@iot.nextLink":${stringify(nextLink(url, o))},`;
  out.add(`${s}"value":`);
  writeArray(out, base, def, r.rows, o);
  out.add('}');
  return out.bytes();
}
