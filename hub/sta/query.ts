// A SensorThings request (resource path + options) → SQL statements → the standard's JSON. Every row set is selected,
// filtered, ordered, counted and paged in SQL, narrowed by the caller's data scope at every level ($expand, $count,
// navigation); nothing is filtered in memory.
import type { Queryable } from '../store/driver.ts';
import type { DataScope } from '../access/scope.ts';
import { isUnscoped, siteIdInScopeSql, siteInScopeSql } from '../access/scope.ts';
import { isoOf, packHorizon, splitRead } from '../store/pack.ts';
import { latestRowOf } from '../store/observations.ts';
import { ENTITIES, OBSERVATION_COLUMNS, sub, type EntityDef, type Nav, type SetName, type SqlCtx } from './entities.ts';
import { FilterCompiler, OptionError } from './filter-sql.ts';
import { packedCountSql, timeRangeOf, type TimeBound } from './count.ts';
import type { QueryOptions, Expand } from './options.ts';
import { collection, dataArray, entityJson, idOf, keyText, needsPresent, type Row } from './json.ts';
import { writeCollection } from './write.ts';

/** 404: the path names no entity (or one outside the caller's scope: the same answer, so nothing leaks). */
export class NotFound extends Error { constructor(message: string) { super(message); this.name = 'NotFound'; } }

export interface StaContext {
  db: Queryable;
  scope: DataScope | undefined;
  /** The indicator catalogue as rows for jsonb_to_recordset (code, name, name_zh, description, domain, unit). */
  catalogue: string;
  /** Absolute URL of the service root, e.g. http://host/sta/v1.1 */
  base: string;
}

type Cond = (c: SqlCtx, a: string) => string;

class Ctx implements SqlCtx {
  params: unknown[] = [];
  private n = 0;
  private cat?: string;
  constructor(readonly scope: DataScope | undefined, private readonly catJson: string) {}
  catalogue() { if (!this.cat) { this.params.push(this.catJson); this.cat = `$${this.params.length}::jsonb`; } return this.cat; }
  alias() { return `e${this.n++}`; }
}

// ─── path ────────────────────────────────────────────────────────────────────

export interface Segment { name: string; key?: number | string }

export function parsePath(path: string): Segment[] {
  const segs: Segment[] = [];
  for (const part of path.split('/').filter((p) => p.length)) {
    const m = /^([A-Za-z$]+)(?:\((.*)\))?$/s.exec(part);
    if (!m) throw new NotFound(`"${part}" is not a resource path segment`);
    const seg: Segment = { name: m[1]! };
    if (m[2] !== undefined) {
      const k = m[2].trim();
      if (/^\d{1,18}$/.test(k)) seg.key = Number(k);
      else if (/^'(?:[^']|'')*'$/.test(k)) seg.key = k.slice(1, -1).replaceAll("''", "'");
      else throw new OptionError(`${m[1]}(…)`, `"${k.slice(0, 60)}" is not an entity id (an integer or a quoted string)`);
    }
    segs.push(seg);
  }
  return segs;
}

function idCond(def: EntityDef, key: number | string, where: string): Cond {
  const want = def.id.pg === 'text' ? 'string' : 'number';
  if (typeof key !== want) throw new NotFound(`${where}: ${def.set} ids are ${want === 'string' ? 'quoted strings' : 'integers'}`);
  return (c, a) => {
    c.params.push(key);
    const eq = `${sub(def.id.sql, a)} = $${c.params.length}::${def.id.pg}`;
    // Observations(id): only the packs whose id range holds it (migration 013; implied by the id).
    return def.set === 'Observations'
      ? `${eq} AND ${a}.pack_ids @> $${c.params.length}::bigint AND (${a}.pack_id_list IS NULL OR $${c.params.length}::bigint = ANY(${a}.pack_id_list))` : eq;
  };
}

// ─── statements ──────────────────────────────────────────────────────────────

const DEFAULT_ORDER: Partial<Record<SetName, string>> = { Observations: '{e}.time' };

function orderSql(fc: FilterCompiler, def: EntityDef, a: string, o: QueryOptions): string {
  const parts = o.orderby.map((ob) => `${fc.orderExpr(ob.expr, def, a)} ${ob.desc ? 'DESC' : 'ASC'} NULLS ${ob.desc ? 'LAST' : 'FIRST'}`);
  const lastDesc = o.orderby.length ? o.orderby[o.orderby.length - 1]!.desc : false;
  if (!o.orderby.length && DEFAULT_ORDER[def.set]) parts.push(`${sub(DEFAULT_ORDER[def.set]!, a)} ASC`);
  parts.push(`${sub(def.id.sql, a)} ${lastDesc ? 'DESC' : 'ASC'}`);
  return parts.join(', ');
}

function whereSql(c: Ctx, def: EntityDef, a: string, conds: Cond[], o: QueryOptions | undefined, option: string): string {
  const w = [def.scope(c, a), ...conds.map((f) => f(c, a))];
  if (o?.filter) w.push(new FilterCompiler(c, option).predicate(o.filter, def, a));
  return w.join(' AND ');
}

function linkCols(def: EntityDef, a: string, o: QueryOptions): string {
  return o.expand.map((x) => `, ${sub(navOf(def, x).parent, a)} AS "_l_${x.nav}"`).join('');
}

/**
 * The select list of a level: the id alone when its $select shows nothing of the presentation (`$select=id`: 10,000
 * Datastreams read without their documents), else every column present() reads. Observations always whole.
 */
function columnsOf(def: EntityDef, a: string, o: QueryOptions): string {
  return def.set === 'Observations' || needsPresent(def, o.select) ? sub(def.columns, a) : `${sub(def.id.sql, a)} AS id`;
}

function navOf(def: EntityDef, x: Expand): Nav {
  const nav = def.navs[x.nav];
  if (!nav) throw new OptionError('$expand', `"${x.nav}" is not a navigation link of ${def.set} (${Object.keys(def.navs).join(', ')})`);
  return nav;
}

/** Observations in time order alone (phenomenonTime or resultTime, or no $orderby): 'asc' or 'desc'. */
function timeOrder(def: EntityDef, o: QueryOptions): 'asc' | 'desc' | undefined {
  if (def.set !== 'Observations') return undefined;
  if (!o.orderby.length) return 'asc';
  const ob = o.orderby[0]!;
  if (o.orderby.length !== 1 || ob.expr.t !== 'path' || ob.expr.segs.length !== 1 || (ob.expr.segs[0] !== 'phenomenonTime' && ob.expr.segs[0] !== 'resultTime')) return undefined;
  return ob.desc ? 'desc' : 'asc';
}

/**
 * Which points a page of Observations reads (`points` of the path: a Datastream's; else the points of the caller's
 * scope, or all): for packHorizon, which bounds a page in time order to the packed days it can reach.
 */
async function pointsOf(sc: StaContext, points: number[] | undefined): Promise<number[] | undefined> {
  if (points || isUnscoped(sc.scope)) return points;
  const params: unknown[] = [];
  const r = await sc.db.query<{ id: number }>(`SELECT p.id FROM point p JOIN device d ON d.id = p.device_id JOIN site s ON s.id = d.site_id
    WHERE ${siteInScopeSql(sc.scope, 's', params)}`, params);
  return r.rows.map((x) => x.id);
}

/**
 * The range of packHorizon (from inclusive, to exclusive) holding every time the bounds allow; it may hold more (a
 * bound `gt`, `le`): the horizon may then come early, and a page that finds too few rows inside it is read again
 * without it, so the answer is the same.
 */
function horizonRange(bounds: TimeBound[] | undefined): { from?: string; to?: string } {
  const lo = (bounds ?? []).filter((b) => b.op !== 'lt' && b.op !== 'le').map((b) => b.ms);
  const hi = (bounds ?? []).filter((b) => b.op !== 'gt' && b.op !== 'ge').map((b) => (b.op === 'lt' ? b.ms : b.ms + 1));
  return { from: lo.length ? isoOf(Math.max(...lo)) : undefined, to: hi.length ? isoOf(Math.min(...hi)) : undefined };
}

/** A collection page: rows [skip, skip + top) and whether there are more; the count when asked. */
async function page(sc: StaContext, def: EntityDef, conds: Cond[], o: QueryOptions, option = '$filter', reach?: { points?: number[] }, lean = false): Promise<{ rows: Row[]; more: boolean; count?: number }> {
  const select = async (bound?: { at: string; desc: boolean; after?: boolean }) => {
    const c = new Ctx(sc.scope, sc.catalogue);
    const a = c.alias();
    const from = def.from(c, a);
    const where = whereSql(c, def, a, conds, o, option);
    let within = '';
    if (bound) {
      c.params.push(bound.at);
      const at = `$${c.params.length}::timestamptz`;
      within = bound.after ? ` AND ${a}.time > ${at} AND ${a}.pack_hi > ${at}`
        : bound.desc ? ` AND ${a}.time >= ${at} AND ${a}.pack_hi >= ${at}` : ` AND ${a}.time <= ${at} AND ${a}.pack_lo <= ${at}`;
    }
    const order = orderSql(new FilterCompiler(c, '$orderby'), def, a, o);
    c.params.push(o.top + 1, o.skip);
    const [limit, offset] = [`$${c.params.length - 1}`, `$${c.params.length}`];
    // Observations: plain and packed rows each ordered and limited, then merged (splitRead): the plain rows in index order.
    const sql = def.set === 'Observations'
      ? splitRead({ alias: a, select: `${sub(def.columns, a)}${linkCols(def, a, o)}`, where: `${where}${within}`, order, limit, offset })
      : `SELECT ${lean ? columnsOf(def, a, o) : sub(def.columns, a)}${linkCols(def, a, o)} FROM ${from} WHERE ${where}${within} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
    return (await sc.db.query<Row>(sql, c.params)).rows;
  };
  // Packed days (migration 013): a page in time order without a $filter reads only as far as the packs' counts say
  // its rows can reach; when the scope's stored sites leave it short, it is read again without that bound.
  // Newest first, the page is usually all plain rows newer than every pack: tried first.
  // A $filter that is only a time range (count.ts) bounds the packs' counts too, for a read of every point (one
  // Datastream's range reads at most a pack a day: no statement more for that); any other $filter reads unbounded.
  const range = def.set === 'Observations' && reach ? timeRangeOf(o.filter) : undefined;
  const order = (o.filter && !(range && !reach!.points)) || !reach ? undefined : timeOrder(def, o);
  const points = order && await pointsOf(sc, reach!.points);
  // $top=0 with $count: the count alone, no row read (the first rows of a whole-city packed day open every point's pack).
  const countOnly = o.top === 0 && o.count;
  let rows: Row[] | undefined = countOnly ? [] : undefined;
  if (!countOnly && order === 'desc') {
    const newest = (await sc.db.query<{ hi: string | null }>(`SELECT max(hi)::text AS hi FROM observation_pack${points ? ' WHERE point_id = ANY($1::int[])' : ''}`, points ? [points] : [])).rows[0]?.hi;
    if (newest) rows = await select({ at: newest, desc: true, after: true });
  }
  if (!countOnly && order && !(rows && rows.length > o.top)) {
    const at = await packHorizon(sc.db, { pointIds: points, ...horizonRange(range), need: o.skip + o.top + 1, desc: order === 'desc' });
    rows = at ? await select({ at, desc: order === 'desc' }) : undefined;
  }
  if (!countOnly && (!rows || rows.length <= o.top)) rows = await select();
  rows = rows!;
  const res: { rows: Row[]; more: boolean; count?: number } = { rows: rows.slice(0, o.top), more: rows.length > o.top };
  if (o.count) {
    // The same FROM and WHERE (their parameters are the first ones bound), no order: count(*) over the index.
    if (!countOnly && !res.more && o.skip === 0) res.count = res.rows.length;
    else {
      const cc = new Ctx(sc.scope, sc.catalogue);
      const ca = cc.alias();
      const cf = def.from(cc, ca);
      const cw = whereSql(cc, def, ca, conds, o, option);
      // Observations over a time range with no other condition than their Datastream (reach: conds are exactly
      // that): the plain rows counted, the packs by their counts (count.ts); the same number as counting the view.
      const sql = range
        ? `SELECT (SELECT count(*) FROM observation_plain ${ca} WHERE ${cw}) + (${packedCountSql(range, (v, cast) => `$${cc.params.push(v)}::${cast}`, reach!.points,
          isUnscoped(sc.scope) ? undefined : (tag) => `${tag} IN (SELECT scope_tag.id FROM observation_tag scope_tag WHERE ${siteIdInScopeSql(sc.scope, 'scope_tag.site_id', cc.params)})`)}) AS n`
        : `SELECT count(*) AS n FROM ${cf} WHERE ${cw}`;
      res.count = Number((await sc.db.query<{ n: string }>(sql, cc.params)).rows[0]!.n);
      // As the one row read would have told (rows after $skip).
      if (countOnly) res.more = res.count > o.skip;
    }
  }
  return res;
}

/** `Datastreams?$expand=Observations($top=1;$orderby=phenomenonTime desc)`: the latest-value table answers it. */
function isLatest(nav: Nav, o: QueryOptions): boolean {
  if (nav.target !== 'Observations' || nav.child !== '{e}.point_id') return false;
  if (o.top !== 1 || o.skip !== 0 || o.filter || o.count || o.orderby.length !== 1) return false;
  const ob = o.orderby[0]!;
  return ob.desc && ob.expr.t === 'path' && ob.expr.segs.length === 1 && (ob.expr.segs[0] === 'phenomenonTime' || ob.expr.segs[0] === 'resultTime');
}

/** Expanded children of `rows` (parents of `def`), attached in place as `_x_<nav>`. */
async function expand(sc: StaContext, def: EntityDef, rows: Row[], o: QueryOptions, lean = false): Promise<void> {
  for (const x of o.expand) {
    const nav = navOf(def, x);
    const target = ENTITIES[nav.target];
    // The row keys made once, not per row (a key built per row is hashed per row: 10,000 Datastreams).
    const lk = `_l_${x.nav}`, xk = `_x_${x.nav}`;
    const keys = [...new Set(rows.map((r) => r[lk]).filter((v) => v !== null && v !== undefined))];
    const byKey = new Map<string, Row[]>();
    const counts = new Map<string, number>();
    if (keys.length) {
      const c = new Ctx(sc.scope, sc.catalogue);
      const b = c.alias();
      const tfrom = target.from(c, b);
      const option = `$expand=${x.nav}($filter)`;
      let sql: string;
      if (!nav.many) {
        const where = whereSql(c, target, b, [], x.opts, option);
        c.params.push(keys);
        sql = `SELECT ${lean ? columnsOf(target, b, x.opts) : sub(target.columns, b)}${linkCols(target, b, x.opts)}, ${sub(nav.child, b)} AS _k FROM ${tfrom}
               WHERE ${sub(nav.child, b)} = ANY($${c.params.length}::${nav.pg}[]) AND ${where}`;
      } else if (isLatest(nav, x.opts)) {
        c.params.push(keys);
        const k = `$${c.params.length}::int[]`;
        // Each point's newest (time, id) over every kind from observation_latest, in one pass (DISTINCT ON: one sort,
        // not a probe and a sort per point), then one probe per point for that row by identity.
        sql = `SELECT l.point_id AS _k, x.* FROM (
            SELECT DISTINCT ON (l.point_id) l.point_id, l.kind, l.time, l.id FROM observation_latest l WHERE l.point_id = ANY(${k})
            ORDER BY l.point_id, l.time DESC, l.id DESC) l CROSS JOIN LATERAL (
          SELECT ${OBSERVATION_COLUMNS('o')}${linkCols(target, 'o', x.opts)} FROM (
            SELECT od.id, od.point_id, t.device_id, t.site_id, t.indicator, od.kind, od.time, od.value, od.avg, od.min, od.max, od.cou,
                   t.unit, t.source_flag, t.flags, coalesce(od.warnings, '{}'::text[]) AS warnings, t.adapter, od.message_id,
                   od.received_at, od.raw_value, t.raw_unit
            -- By identity from observation_data, or from its pack when the point has been silent since its day was packed.
            FROM (${latestRowOf('l')}) od
            -- The tag by primary key, one probe per row (a plain join hash-joins the whole tag table on every probe).
            CROSS JOIN LATERAL (SELECT * FROM observation_tag t WHERE t.id = od.tag OFFSET 0) t) o
          WHERE ${siteIdInScopeSql(sc.scope, 'o.site_id', c.params)}) x`;
      } else if (nav.target !== 'Observations') {
        // Registry entities: one pass numbering each parent's children (a LATERAL would re-plan the joins per parent).
        c.params.push(keys);
        const k = `$${c.params.length}::${nav.pg}[]`;
        const where = whereSql(c, target, b, [(_c, a) => `${sub(nav.child, a)} = ANY(${k})`], x.opts, option);
        const order = orderSql(new FilterCompiler(c, `$expand=${x.nav}($orderby)`), target, b, x.opts);
        c.params.push(x.opts.skip, x.opts.skip + x.opts.top + 1);
        // Numbered by id alone, the columns joined after: the window's sort then holds narrow rows (with the
        // documents it spilled to disk for 10,000 Datastreams).
        const numbered = (cols: string) => `SELECT ${cols}, ${sub(nav.child, b)} AS _k, row_number() OVER (PARTITION BY ${sub(nav.child, b)} ORDER BY ${order}) AS _rn
          FROM ${tfrom} WHERE ${where}`;
        const inPage = `x._rn > $${c.params.length - 1} AND x._rn <= $${c.params.length} ORDER BY x._k, x._rn`;
        const r = c.alias();
        // Nothing shown but ids and links ($select=id): they come with the numbering, nothing joined after.
        sql = lean && !needsPresent(target, x.opts.select)
          ? `SELECT x.* FROM (${numbered(`${sub(target.id.sql, b)} AS id${linkCols(target, b, x.opts)}`)}) x WHERE ${inPage}`
          : `SELECT ${sub(target.columns, r)}${linkCols(target, r, x.opts)}, x._k, x._rn FROM (${numbered(`${sub(target.id.sql, b)} AS _id`)}) x, ${target.from(c, r)}
          WHERE ${sub(target.id.sql, r)} = x._id AND ${inPage}`;
      } else {
        // Observations: a LATERAL per parent, each an index range scan that stops at its LIMIT.
        c.params.push(keys);
        const k = `$${c.params.length}::${nav.pg}[]`;
        const where = whereSql(c, target, b, [(_c, a) => `${sub(nav.child, a)} = p.v`], x.opts, option);
        const order = orderSql(new FilterCompiler(c, `$expand=${x.nav}($orderby)`), target, b, x.opts);
        c.params.push(x.opts.top + 1, x.opts.skip);
        sql = `SELECT p.v AS _k, x.* FROM unnest(${k}) AS p(v) CROSS JOIN LATERAL (
          SELECT ${sub(target.columns, b)}${linkCols(target, b, x.opts)} FROM ${tfrom} WHERE ${where}
          ORDER BY ${order} LIMIT $${c.params.length - 1} OFFSET $${c.params.length}) x`;
      }
      const children = (await sc.db.query<Row>(sql, c.params)).rows;
      for (const ch of children) {
        const k = String(ch._k);
        (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(ch);
      }
      if (nav.many && x.opts.count) {
        const cc = new Ctx(sc.scope, sc.catalogue);
        const cb = cc.alias();
        const cfrom = target.from(cc, cb);
        cc.params.push(keys);
        const kp = `$${cc.params.length}::${nav.pg}[]`;
        const where = whereSql(cc, target, cb, [], x.opts, option);
        const q = `SELECT ${sub(nav.child, cb)} AS _k, count(*) AS n FROM ${cfrom} WHERE ${sub(nav.child, cb)} = ANY(${kp}) AND ${where} GROUP BY 1`;
        for (const r of (await sc.db.query<{ _k: unknown; n: string }>(q, cc.params)).rows) counts.set(String(r._k), Number(r.n));
      }
      const all = [...byKey.values()].flat();
      if (all.length && x.opts.expand.length) await expand(sc, target, all, x.opts, lean);
    }
    for (const r of rows) {
      const k = String(r[lk]);
      const ch = byKey.get(k) ?? [];
      r[xk] = nav.many
        ? { rows: ch.slice(0, x.opts.top), more: ch.length > x.opts.top, count: x.opts.count ? counts.get(k) ?? 0 : undefined }
        : { one: ch[0] };
    }
  }
}

// ─── JSON ────────────────────────────────────────────────────────────────────

function checkSelect(def: EntityDef, o: QueryOptions, option = '$select') {
  if (!o.select) return;
  const known = new Set(['id', 'selfLink', 'properties', ...Object.keys(def.props), ...Object.keys(def.navs)]);
  for (const s of o.select) if (!known.has(s)) throw new OptionError(option, `"${s}" is not a property of ${def.set} (${[...known].join(', ')})`);
}

function checkTree(def: EntityDef, o: QueryOptions, path = '') {
  checkSelect(def, o, path ? `$expand=${path}($select)` : '$select');
  for (const x of o.expand) {
    const nav = navOf(def, x);
    checkTree(ENTITIES[nav.target], x.opts, path ? `${path}/${x.nav}` : x.nav);
  }
}

// ─── request ─────────────────────────────────────────────────────────────────

/** `body`: a collection page's JSON text as UTF-8 (write.ts), `rows` its entities. */
export type StaAnswer = { json: unknown } | { text: string } | { body: Buffer; rows: number };

/**
 * Answer GET <base>/<path>?<options>. `url` is the absolute URL of the path (for nextLinks). `objects`: a collection
 * page as objects (json.ts), every column read, instead of text: what the text must stringify to (test/sta-write.test.ts).
 */
export async function answer(sc: StaContext, path: string, o: QueryOptions, url: string, form: { objects?: boolean } = {}): Promise<StaAnswer> {
  const segs = parsePath(path);
  const first = segs[0]!;
  let def = ENTITIES[first.name as SetName];
  if (!def || !Object.hasOwn(ENTITIES, first.name)) throw new NotFound(`"${first.name}" is not an entity set (${Object.keys(ENTITIES).join(', ')})`);
  let conds: Cond[] = [];
  let single = false;
  let where = first.name;
  // The rows a collection of Observations reaches (packHorizon): all, or a Datastream's; undefined: not known.
  let reach: { points?: number[] } | undefined = first.key === undefined ? {} : undefined;
  if (first.key !== undefined) { conds.push(idCond(def, first.key, where)); single = true; where += `(${String(first.key)})`; }
  let property: string | undefined, value = false, ref = false;
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    if (ref || value) throw new NotFound(`nothing follows ${ref ? '$ref' : '$value'} in a path`);
    if (s.name === '$ref') { ref = true; continue; }
    if (s.name === '$value') { if (!property) throw new NotFound('$value follows a property'); value = true; continue; }
    if (property) throw new NotFound(`"${property}" is a property: only $value may follow it`);
    if (!single) throw new NotFound(`${where} is a collection: name one entity (${where}(id)) before "${s.name}"`);
    const nav = def.navs[s.name];
    if (nav) {
      const c = new Ctx(sc.scope, sc.catalogue);
      const a = c.alias();
      const from = def.from(c, a);
      const w = whereSql(c, def, a, conds, undefined, '');
      const got = (await sc.db.query<{ v: unknown }>(`SELECT ${sub(nav.parent, a)} AS v FROM ${from} WHERE ${w} LIMIT 1`, c.params)).rows[0];
      if (!got) throw new NotFound(`${where} does not exist`);
      const link = got.v;
      reach = nav.target === 'Observations' && nav.child === '{e}.point_id' ? { points: [Number(link)] } : undefined;
      def = ENTITIES[nav.target];
      conds = [(cx, ax) => { cx.params.push(link); return `${sub(nav.child, ax)} = $${cx.params.length}::${nav.pg}`; }];
      single = !nav.many;
      where += `/${s.name}`;
      if (s.key !== undefined) {
        if (!nav.many) throw new NotFound(`${where} is one entity: it takes no id`);
        conds.push(idCond(def, s.key, where)); single = true; where += `(${String(s.key)})`;
      }
      continue;
    }
    if (s.key !== undefined) throw new NotFound(`"${s.name}" is not a navigation link of ${def.set}`);
    if (s.name !== 'id' && !def.props[s.name] && s.name !== 'properties') throw new NotFound(`"${s.name}" is not a navigation link or property of ${def.set}`);
    property = s.name;
  }

  if (ref) {
    const r = single ? await page(sc, def, conds, { ...o, top: 1, skip: 0, expand: [], count: false }) : await page(sc, def, conds, { ...o, expand: [] });
    const link = (row: Row) => ({ '@iot.selfLink': `${sc.base}/${def.set}(${keyText(def, idOf(def, row))})` });
    if (single) { if (!r.rows[0]) throw new NotFound(`${where} does not exist`); return { json: link(r.rows[0]) }; }
    return { json: collection(r, r.rows.map(link), url, o) };
  }

  if (single) {
    checkTree(def, o);
    const r = await page(sc, def, conds, { ...o, top: 1, skip: 0, count: false, filter: undefined, orderby: [] });
    const row = r.rows[0];
    if (!row) throw new NotFound(`${where} does not exist`);
    await expand(sc, def, [row], o);
    const e = entityJson(sc.base, def, row, { ...o, select: property ? undefined : o.select });
    if (!property) return { json: e };
    const v = property === 'id' ? e['@iot.id'] : e[property];
    if (value) return { text: v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v) };
    return { json: { [property]: v } };
  }

  checkTree(def, o);
  if (o.resultFormat && def.set !== 'Observations') throw new OptionError('$resultFormat', 'dataArray applies to Observations only');
  const lean = !o.resultFormat && !form.objects;
  const r = await page(sc, def, conds, o, '$filter', single ? undefined : reach, lean);
  await expand(sc, def, r.rows, o, lean);
  if (o.resultFormat === 'dataArray') return { json: collection(r, dataArray(sc.base, r.rows, o), url, o) };
  if (form.objects) return { json: collection(r, r.rows.map((row) => entityJson(sc.base, def, row, o)), url, o) };
  return { body: writeCollection(sc.base, def, r, url, o), rows: r.rows.length };
}
