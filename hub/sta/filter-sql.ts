// A parsed `$filter` / `$orderby` expression → a parameterised SQL expression over one entity's alias. Values are bound
// as parameters; property names come only from the entity definitions (hub/sta/entities.ts), never from the request.
import type { Node, Geometry } from './filter-parse.ts';
import { ENTITIES, sub, type EntityDef, type Prop, type PType, type SqlCtx } from './entities.ts';

type Bound = Node & { bound?: { def: EntityDef; a: string } };

function hasPath(n: Node): boolean {
  switch (n.t) {
    case 'path': return true;
    case 'bin': return hasPath(n.l) || hasPath(n.r);
    case 'not': case 'neg': return hasPath(n.e);
    case 'call': return n.args.some(hasPath);
    default: return false;
  }
}

/** The first property path of a leaf condition (not below and/or/not) that starts with a to-many link. */
function firstMany(n: Node, def: EntityDef, a: string): { nav: string; def: EntityDef; a: string } | undefined {
  switch (n.t) {
    case 'path': {
      const b = (n as Bound).bound;
      const d = b?.def ?? def;
      const nav = d.navs[n.segs[0]!];
      return nav?.many && n.segs.length > 1 ? { nav: n.segs[0]!, def: d, a: b?.a ?? a } : undefined;
    }
    case 'bin': return firstMany(n.l, def, a) ?? firstMany(n.r, def, a);
    case 'neg': return firstMany(n.e, def, a);
    case 'call': for (const x of n.args) { const f = firstMany(x, def, a); if (f) return f; } return undefined;
    default: return undefined;
  }
}

/** `n` with every path through `nav` of (pdef, pa) bound to the related entity's alias instead. */
function rebind(n: Node, nav: string, pdef: EntityDef, pa: string, target: EntityDef, b: string): Node {
  const r = (x: Node) => rebind(x, nav, pdef, pa, target, b);
  switch (n.t) {
    case 'path': {
      const bound = (n as Bound).bound;
      if ((bound ? bound.def === pdef && bound.a === pa : true) && n.segs[0] === nav && n.segs.length > 1) {
        return { t: 'path', segs: n.segs.slice(1), bound: { def: target, a: b } } as Bound;
      }
      return n;
    }
    case 'bin': return { ...n, l: r(n.l), r: r(n.r) };
    case 'neg': case 'not': return { ...n, e: r(n.e) };
    case 'call': return { ...n, args: n.args.map(r) };
    default: return n;
  }
}

const FLIP: Record<string, string> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

/**
 * An Observation's time or id compared with a value the same for every row (no property in it): the bound that
 * comparison implies on the pack the row came from (migration 013: pack_lo, pack_hi, pack_ids of the view), so a
 * packed day is unpacked only when it may hold a match. Implied by the comparison for every row, so adding it changes
 * no answer, under NOT and OR too; at the top of a $filter it is an index condition on the packs.
 */
function packBound(op: string, l: Expr, r: Expr, ln: Node, rn: Node): string | undefined {
  const O = ENTITIES.Observations;
  const what = (e: Expr) => (e.prop === O.props.phenomenonTime || e.prop === O.props.resultTime ? 'time' : e.prop === O.id ? 'id' : undefined);
  let [col, val, vn, o] = [l, r, rn, op];
  if (!what(l) || hasPath(rn)) [col, val, vn, o] = [r, l, ln, FLIP[op]!];
  const w = what(col);
  if (!w || hasPath(vn)) return undefined;
  const a = col.sql.replace(/\.(time|id)$/, '');
  if (w === 'id') {
    if (o !== 'eq' || vn.t !== 'number' || !Number.isSafeInteger(vn.value)) return undefined;
    const id = `${val.sql.replace(/::float8$/, '')}::bigint`;
    return `${a}.pack_ids @> ${id} AND (${a}.pack_id_list IS NULL OR ${id} = ANY(${a}.pack_id_list))`;
  }
  switch (o) {
    case 'gt': return `${a}.pack_hi > ${val.sql}`;
    case 'ge': return `${a}.pack_hi >= ${val.sql}`;
    case 'lt': return `${a}.pack_lo < ${val.sql}`;
    case 'le': return `${a}.pack_lo <= ${val.sql}`;
    case 'eq': return `${a}.pack_lo <= ${val.sql} AND ${a}.pack_hi >= ${val.sql}`;
    default: return undefined;
  }
}

/** A request error in one option (`$filter`, `$orderby` …): the route answers 400 naming it. */
export class OptionError extends Error {
  constructor(readonly option: string, message: string) { super(`${option}: ${message}`); this.name = 'OptionError'; }
}

interface Expr { sql: string; type: PType | 'null' | 'duration'; prop?: Prop; geo?: Geometry }

const CMP: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };
const ARITH: Record<string, string> = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' };

export class FilterCompiler {
  constructor(private readonly c: SqlCtx, private readonly option: string) {}

  private bad(msg: string): never { throw new OptionError(this.option, msg); }
  private bind(v: unknown, cast: string): string { this.c.params.push(v); return `$${this.c.params.length}::${cast}`; }

  /** A boolean predicate. */
  predicate(n: Node, def: EntityDef, a: string): string {
    const e = this.expr(n, def, a);
    if (e.type !== 'bool') this.bad(`the expression is a ${e.type}, not a condition`);
    // Bare, not coalesce(…, false): in WHERE a null is false anyway, and only a bare predicate can use an index
    // and prune partitions (phenomenonTime ge …).
    return e.sql;
  }

  /** An expression to order by. */
  orderExpr(n: Node, def: EntityDef, a: string): string {
    // A constant orders nothing (and PostgreSQL refuses some, e.g. ORDER BY NULL).
    if (!hasPath(n)) this.bad('order by a property or an expression of one');
    const e = this.expr(n, def, a);
    if (e.type === 'geo') this.bad('cannot order by a geometry');
    return e.sql;
  }

  expr(n: Node, def: EntityDef, a: string): Expr {
    switch (n.t) {
      case 'string': return { sql: this.bind(n.value, 'text'), type: 'string' };
      case 'number': return { sql: this.bind(n.value, 'float8'), type: 'number' };
      case 'bool': return { sql: n.value ? 'TRUE' : 'FALSE', type: 'bool' };
      case 'null': return { sql: 'NULL', type: 'null' };
      case 'datetime': return { sql: `to_timestamp(${this.bind(n.value, 'float8')} / 1000.0)`, type: 'datetime' };
      case 'duration': return { sql: `make_interval(secs => ${this.bind(n.value / 1000, 'float8')})`, type: 'duration' };
      case 'geo': return { sql: 'NULL', type: 'geo', geo: n.value };
      case 'path': {
        const bound = (n as Bound).bound;
        return bound ? this.path(n.segs, bound.def, bound.a) : this.path(n.segs, def, a);
      }
      case 'not': {
        const e = this.expr(n.e, def, a);
        if (e.type !== 'bool') this.bad('"not" takes a condition');
        return { sql: `(NOT ${e.sql})`, type: 'bool' };
      }
      case 'neg': {
        const e = this.expr(n.e, def, a);
        if (e.type !== 'number') this.bad('unary "-" takes a number');
        return { sql: `(-${e.sql})`, type: 'number' };
      }
      case 'bin': return n.op === 'and' || n.op === 'or' ? this.binary(n.op, n.l, n.r, def, a) : this.throughMany(n, def, a) ?? this.binary(n.op, n.l, n.r, def, a);
      case 'call': return this.throughMany(n, def, a) ?? this.call(n.name, n.args, def, a);
    }
  }

  /**
   * A comparison or function whose operands go through a to-many link (`Datastreams/name eq 'x'` on Things,
   * `geo.intersects(Locations/location, …)`): true when some related entity makes it true, an EXISTS over them.
   */
  private throughMany(n: Node, def: EntityDef, a: string): Expr | undefined {
    const found = firstMany(n, def, a);
    if (!found) return undefined;
    const { nav: name, def: pdef, a: pa } = found;
    const nav = pdef.navs[name]!;
    const target = ENTITIES[nav.target];
    const b = this.c.alias();
    const rewritten = rebind(n, name, pdef, pa, target, b);
    const inner = this.expr(rewritten, def, a);
    if (inner.type !== 'bool') this.bad(`"${name}" is a collection: use it inside a condition`);
    return { sql: `EXISTS (SELECT 1 FROM ${target.from(this.c, b)} WHERE ${sub(nav.child, b)} = ${sub(nav.parent, pa)} AND ${target.scope(this.c, b)} AND ${inner.sql})`, type: 'bool' };
  }

  private path(segs: string[], def: EntityDef, a: string): Expr {
    const [head, ...rest] = segs as [string, ...string[]];
    if (head === 'id' || head === '@iot.id') {
      if (rest.length) this.bad('"id" has no sub-properties');
      return { sql: sub(def.id.sql, a), type: def.id.type, prop: def.id };
    }
    const nav = def.navs[head];
    if (nav) {
      if (!rest.length) this.bad(`"${head}" is an entity; name one of its properties (${head}/id)`);
      if (nav.many) this.bad(`"${head}" is a collection; filtering through it is not supported (filter on ${ENTITIES[nav.target].set} instead)`);
      const target = ENTITIES[nav.target];
      const b = this.c.alias();
      const inner = this.path(rest, target, b);
      const related = (x: string) => `(SELECT ${x} FROM ${target.from(this.c, b)} WHERE ${sub(nav.child, b)} = ${sub(nav.parent, a)} AND ${target.scope(this.c, b)} LIMIT 1)`;
      // A related entity's point: its longitude and latitude, each a scalar subquery.
      if (inner.type === 'geo') return { sql: 'NULL', type: 'geo', prop: { ...inner.prop!, lon: related(inner.prop!.lon!), lat: related(inner.prop!.lat!) } };
      return { sql: related(inner.sql), type: inner.type };
    }
    const p = def.props[head];
    if (!p) this.bad(`"${head}" is not a property of ${def.set} (${['id', ...Object.keys(def.props), ...Object.keys(def.navs)].join(', ')})`);
    if (!rest.length) {
      if (p.type === 'geo') return { sql: sub(p.sql, a), type: 'geo', prop: { ...p, lon: sub(p.lon!, a), lat: sub(p.lat!, a) } };
      return { sql: sub(p.sql, a), type: p.type, prop: p };
    }
    if (p.type !== 'json') this.bad(`"${head}" has no sub-properties`);
    const field = rest.length === 1 ? p.fields?.[rest[0]!] : undefined;
    if (field) return { sql: sub(field.sql, a), type: field.type };
    return { sql: `(${sub(p.sql, a)} #> ${this.bind(rest, 'text[]')})`, type: 'json' };
  }

  /** Bring a JSON value to the type of the other side (JSON numbers compare as numbers, text as text). */
  private coerce(e: Expr, to: Expr['type']): Expr {
    if (e.type !== 'json') return e;
    switch (to) {
      case 'number': return { sql: `(CASE WHEN jsonb_typeof(${e.sql}) = 'number' THEN (${e.sql} #>> '{}')::float8 END)`, type: 'number' };
      case 'bool': return { sql: `(CASE WHEN jsonb_typeof(${e.sql}) = 'boolean' THEN (${e.sql} #>> '{}')::boolean END)`, type: 'bool' };
      case 'string': case 'datetime': return { sql: `(${e.sql} #>> '{}')`, type: 'string' };
      default: return e;
    }
  }

  private binary(op: string, ln: Node, rn: Node, def: EntityDef, a: string): Expr {
    let l = this.expr(ln, def, a), r = this.expr(rn, def, a);
    if (op === 'and' || op === 'or') {
      if (l.type !== 'bool' || r.type !== 'bool') this.bad(`"${op}" joins conditions`);
      return { sql: `(${l.sql} ${op.toUpperCase()} ${r.sql})`, type: 'bool' };
    }
    if (CMP[op]) {
      if (r.type === 'null' || l.type === 'null') {
        const other = r.type === 'null' ? l : r;
        if (op !== 'eq' && op !== 'ne') this.bad(`null compares only with eq or ne`);
        return { sql: `(${other.sql} IS ${op === 'eq' ? '' : 'NOT '}NULL)`, type: 'bool' };
      }
      // An integer compared with an id binds as the id's type, so the id's index serves (id eq 5, Datastream/id eq 5).
      // (The literal is already bound as `$n::float8`: only its cast changes.)
      const asId = (lit: Expr, id: Expr): Expr => ({ sql: lit.sql.replace(/::float8$/, `::${(id.prop as unknown as { pg: string }).pg}`), type: id.type });
      if (l.prop && 'pg' in l.prop && rn.t === 'number' && Number.isSafeInteger(rn.value)) r = asId(r, l);
      if (r.prop && 'pg' in r.prop && ln.t === 'number' && Number.isSafeInteger(ln.value)) l = asId(l, r);
      l = this.coerce(l, r.type); r = this.coerce(r, l.type);
      // A date-time written as a string compares as a date-time.
      if (l.type === 'datetime' && r.type === 'string' && rn.t === 'string') r = this.timeString(rn.value, r.sql);
      if (r.type === 'datetime' && l.type === 'string' && ln.t === 'string') l = this.timeString(ln.value, l.sql);
      if (l.type === 'geo' || r.type === 'geo') this.bad('compare geometries with geo.intersects or st_equals');
      if (l.type !== r.type) this.bad(`cannot compare a ${l.type} with a ${r.type}`);
      const bound = packBound(op, l, r, ln, rn);
      return { sql: bound ? `(${l.sql} ${CMP[op]} ${r.sql} AND ${bound})` : `(${l.sql} ${CMP[op]} ${r.sql})`, type: 'bool' };
    }
    // Arithmetic.
    if ((l.type === 'datetime' && r.type === 'duration' && (op === 'add' || op === 'sub'))) return { sql: `(${l.sql} ${ARITH[op]} ${r.sql})`, type: 'datetime' };
    l = this.coerce(l, 'number'); r = this.coerce(r, 'number');
    if (l.type !== 'number' || r.type !== 'number') this.bad(`"${op}" takes numbers (or a date-time and a duration), not ${l.type} and ${r.type}`);
    // Division by zero answers null, not an SQL error.
    if (op === 'div') return { sql: `(${l.sql} / nullif(${r.sql}, 0))`, type: 'number' };
    if (op === 'mod') return { sql: `mod(${l.sql}::numeric, nullif(${r.sql}, 0)::numeric)::float8`, type: 'number' };
    return { sql: `(${l.sql} ${ARITH[op]} ${r.sql})`, type: 'number' };
  }

  /** The string literal bound as `was` ($n::text), as a date-time: its parameter reused (one left unused has no type). */
  private timeString(s: string, was: string): Expr {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) this.bad(`"${s}" is not a date-time`);
    const n = /^\$(\d+)::text$/.exec(was);
    if (!n) return { sql: `to_timestamp(${this.bind(ms, 'float8')} / 1000.0)`, type: 'datetime' };
    this.c.params[Number(n[1]) - 1] = ms;
    return { sql: `to_timestamp($${n[1]}::float8 / 1000.0)`, type: 'datetime' };
  }

  private call(name: string, argNodes: Node[], def: EntityDef, a: string): Expr {
    const arity = (n: number, m = n) => { if (argNodes.length < n || argNodes.length > m) this.bad(`${name}() takes ${n === m ? n : `${n} to ${m}`} argument${m === 1 ? '' : 's'}`); };
    const args = () => argNodes.map((x) => this.expr(x, def, a));
    const typed = (t: PType, ...es: Expr[]) => es.map((e) => { const c = this.coerce(e, t); if (c.type !== t) this.bad(`${name}() takes ${t} arguments, not ${c.type}`); return c.sql; });
    const fn = (sql: string, type: Expr['type']): Expr => ({ sql, type });
    switch (name) {
      // Strings.
      case 'substringof': { arity(2); const [x, y] = typed('string', ...args()); return fn(`(strpos(${y}, ${x}) > 0)`, 'bool'); }
      case 'contains': { arity(2); const [x, y] = typed('string', ...args()); return fn(`(strpos(${x}, ${y}) > 0)`, 'bool'); }
      case 'startswith': { arity(2); const [x, y] = typed('string', ...args()); return fn(`(left(${x}, char_length(${y})) = ${y})`, 'bool'); }
      case 'endswith': { arity(2); const [x, y] = typed('string', ...args()); return fn(`(right(${x}, char_length(${y})) = ${y})`, 'bool'); }
      case 'length': { arity(1); const [x] = typed('string', ...args()); return fn(`char_length(${x})::float8`, 'number'); }
      case 'indexof': { arity(2); const [x, y] = typed('string', ...args()); return fn(`(strpos(${x}, ${y}) - 1)::float8`, 'number'); }
      case 'substring': {
        arity(2, 3);
        const [s, ...n] = args();
        const [x] = typed('string', s!);
        const nums = typed('number', ...n);
        return fn(nums.length === 1 ? `substr(${x}, (${nums[0]})::int + 1)` : `substr(${x}, (${nums[0]})::int + 1, greatest((${nums[1]})::int, 0))`, 'string');
      }
      case 'tolower': { arity(1); return fn(`lower(${typed('string', ...args())[0]})`, 'string'); }
      case 'toupper': { arity(1); return fn(`upper(${typed('string', ...args())[0]})`, 'string'); }
      case 'trim': { arity(1); return fn(`btrim(${typed('string', ...args())[0]})`, 'string'); }
      case 'concat': { arity(2); const [x, y] = typed('string', ...args()); return fn(`(${x} || ${y})`, 'string'); }
      // Date-times (in UTC: SensorThings times carry their offset; the hub's are UTC).
      case 'year': case 'month': case 'day': case 'hour': case 'minute': {
        arity(1); const [x] = typed('datetime', ...args());
        return fn(`extract(${name} FROM ${x} AT TIME ZONE 'UTC')::float8`, 'number');
      }
      case 'second': { arity(1); const [x] = typed('datetime', ...args()); return fn(`floor(extract(second FROM ${x}))::float8`, 'number'); }
      case 'fractionalseconds': { arity(1); const [x] = typed('datetime', ...args()); return fn(`(extract(second FROM ${x}) - floor(extract(second FROM ${x})))::float8`, 'number'); }
      case 'date': { arity(1); const [x] = typed('datetime', ...args()); return fn(`(date_trunc('day', ${x} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`, 'datetime'); }
      case 'time': { arity(1); const [x] = typed('datetime', ...args()); return fn(`to_char(${x} AT TIME ZONE 'UTC', 'HH24:MI:SS.MS')`, 'string'); }
      case 'totaloffsetminutes': { arity(1); typed('datetime', ...args()); return fn('0::float8', 'number'); }
      case 'now': arity(0); return fn('now()', 'datetime');
      case 'mindatetime': arity(0); return fn(`'0001-01-01T00:00:00Z'::timestamptz`, 'datetime');
      case 'maxdatetime': arity(0); return fn(`'9999-12-31T23:59:59.999Z'::timestamptz`, 'datetime');
      // Maths.
      case 'round': { arity(1); return fn(`round(${typed('number', ...args())[0]})`, 'number'); }
      case 'floor': { arity(1); return fn(`floor(${typed('number', ...args())[0]})`, 'number'); }
      case 'ceiling': { arity(1); return fn(`ceil(${typed('number', ...args())[0]})`, 'number'); }
      // Geometry: a location (a WGS84 point) against a literal geometry.
      case 'geo.intersects': case 'st_intersects': case 'st_within': case 'st_contains': case 'st_equals': case 'st_disjoint': {
        arity(2);
        const [x, y] = args() as [Expr, Expr];
        if (name === 'st_contains') return this.pointIn(y, x, name, false);
        return this.pointIn(x, y, name, name === 'st_disjoint');
      }
      case 'geo.distance': case 'st_distance': {
        arity(2);
        const [x, y] = args() as [Expr, Expr];
        const [loc, lit] = x.prop?.lon ? [x, y] : [y, x];
        if (!loc.prop?.lon || lit.geo?.type !== 'Point') this.bad(`${name}() takes a location and a geography'POINT(x y)' literal`);
        const [px, py] = lit.geo.coordinates as [number, number];
        return fn(`sqrt(power(${loc.prop.lon} - ${this.bind(px, 'float8')}, 2) + power(${loc.prop.lat} - ${this.bind(py, 'float8')}, 2))`, 'number');
      }
      default:
        this.bad(`unknown function ${name}()`);
    }
  }

  /** `loc` (a point property) within / intersecting `lit` (a literal point, polygon or multipolygon). */
  private pointIn(loc: Expr, lit: Expr, name: string, negate: boolean): Expr {
    if (!loc.prop?.lon || !lit.geo) this.bad(`${name}() takes a location property and a geography'…' literal, in that order`);
    const lon = loc.prop.lon, lat = loc.prop.lat!;
    const g = lit.geo;
    let sql: string;
    if (g.type === 'Point') {
      const [x, y] = g.coordinates as [number, number];
      sql = `(${lon} = ${this.bind(x, 'float8')} AND ${lat} = ${this.bind(y, 'float8')})`;
    } else if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
      // Even-odd ray casting over every ring's edges (holes and several polygons included), after a bounding-box test.
      const polys = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as [number, number][][][];
      const x1: number[] = [], y1: number[] = [], x2: number[] = [], y2: number[] = [];
      for (const poly of polys) for (const ring of poly) for (let i = 0; i + 1 < ring.length; i++) {
        x1.push(ring[i]![0]); y1.push(ring[i]![1]); x2.push(ring[i + 1]![0]); y2.push(ring[i + 1]![1]);
      }
      const xs = [...x1, ...x2], ys = [...y1, ...y2];
      sql = `(${lon} BETWEEN ${this.bind(Math.min(...xs), 'float8')} AND ${this.bind(Math.max(...xs), 'float8')}
        AND ${lat} BETWEEN ${this.bind(Math.min(...ys), 'float8')} AND ${this.bind(Math.max(...ys), 'float8')}
        AND (SELECT count(*) % 2 = 1 FROM unnest(${this.bind(x1, 'float8[]')}, ${this.bind(y1, 'float8[]')}, ${this.bind(x2, 'float8[]')}, ${this.bind(y2, 'float8[]')}) AS g(x1, y1, x2, y2)
             WHERE (g.y1 > ${lat}) <> (g.y2 > ${lat}) AND ${lon} < (g.x2 - g.x1) * (${lat} - g.y1) / (g.y2 - g.y1) + g.x1))`;
    } else {
      this.bad(`${name}() supports POINT, POLYGON and MULTIPOLYGON literals, not ${g.type.toUpperCase()}`);
    }
    return { sql: negate ? `(${lon} IS NOT NULL AND NOT coalesce(${sql}, false))` : sql, type: 'bool' };
  }
}
