// The OData `$filter` language of SensorThings (v1.1 §9.3.3.5), parsed by recursive descent into a small AST. Pure: no
// SQL, no I/O. hub/sta/filter-sql.ts turns the AST into a parameterised SQL predicate.
//
// Precedence, loosest first (OData 4.0 ABNF): or; and; eq ne gt ge lt le; add sub; mul div mod; not and unary minus;
// primary (literal, property path, function call, parenthesised expression).

export type BinOp = 'or' | 'and' | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'add' | 'sub' | 'mul' | 'div' | 'mod';

export interface Geometry { type: 'Point' | 'Polygon' | 'MultiPolygon' | 'LineString'; coordinates: unknown }

export type Node =
  | { t: 'string'; value: string }
  | { t: 'number'; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'null' }
  /** An instant in epoch ms (OData writes date-times unquoted: `2026-01-01T00:00:00Z`). */
  | { t: 'datetime'; value: number }
  /** `duration'P1DT2H'` in ms. */
  | { t: 'duration'; value: number }
  | { t: 'geo'; value: Geometry }
  /** A property path: `result`, `Datastream/Thing/properties/enterprise`. */
  | { t: 'path'; segs: string[] }
  | { t: 'bin'; op: BinOp; l: Node; r: Node }
  | { t: 'not'; e: Node }
  | { t: 'neg'; e: Node }
  | { t: 'call'; name: string; args: Node[] };

/** A syntax error at a character offset of the expression. */
export class FilterSyntaxError extends Error {
  constructor(message: string, readonly offset: number) { super(message); this.name = 'FilterSyntaxError'; }
}

type Tok =
  | { k: 'punct'; v: '(' | ')' | ',' | '/'; at: number }
  | { k: 'name'; v: string; at: number }
  | { k: 'lit'; node: Node; at: number }
  | { k: 'end'; at: number };

const NAME = /[A-Za-z_@$][A-Za-z0-9_.@$]*/y;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
// An ISO 8601 date-time with an offset (or Z), or a bare date (midnight UTC).
const DATETIME = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?(?![\w:])/y;
const DURATION = /^(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const at = (re: RegExp) => { re.lastIndex = i; return re.exec(src); };
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '(' || c === ')' || c === ',' || c === '/') { out.push({ k: 'punct', v: c, at: i }); i++; continue; }
    if (c === "'") { const [s, end] = quoted(src, i); out.push({ k: 'lit', node: { t: 'string', value: s }, at: i }); i = end; continue; }
    const dt = at(DATETIME);
    if (dt) {
      const ms = Date.parse(dt[0].length === 10 ? `${dt[0]}T00:00:00Z` : dt[0]);
      if (Number.isNaN(ms)) throw new FilterSyntaxError(`"${dt[0]}" is not a valid date-time`, i);
      out.push({ k: 'lit', node: { t: 'datetime', value: ms }, at: i }); i += dt[0].length; continue;
    }
    const num = /[0-9.-]/.test(c) ? at(NUMBER) : null;
    if (num && !(c === '-' && num[0] === '-')) {
      const v = Number(num[0]);
      if (!Number.isFinite(v)) throw new FilterSyntaxError(`"${num[0]}" is not a finite number`, i);
      out.push({ k: 'lit', node: { t: 'number', value: v }, at: i }); i += num[0].length; continue;
    }
    if (c === '-') { out.push({ k: 'name', v: '-', at: i }); i++; continue; }
    const name = at(NAME);
    if (name) {
      const start = i;
      i += name[0].length;
      // Typed literals: duration'…', geography'…', geometry'…'.
      if (src[i] === "'" && /^(duration|geography|geometry)$/i.test(name[0])) {
        const [body, end] = quoted(src, i);
        i = end;
        out.push({ k: 'lit', node: name[0].toLowerCase() === 'duration' ? { t: 'duration', value: duration(body, start) } : { t: 'geo', value: wkt(body, start) }, at: start });
        continue;
      }
      out.push({ k: 'name', v: name[0], at: start });
      continue;
    }
    throw new FilterSyntaxError(`unexpected character "${c}"`, i);
  }
  out.push({ k: 'end', at: src.length });
  return out;
}

/** A '…' literal ('' is a quote) starting at `i`: its text and the offset after it. */
function quoted(src: string, i: number): [string, number] {
  let s = '';
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === "'") {
      if (src[j + 1] === "'") { s += "'"; j++; continue; }
      return [s, j + 1];
    }
    s += src[j];
  }
  throw new FilterSyntaxError('unterminated string literal', i);
}

function duration(s: string, at: number): number {
  const m = DURATION.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) throw new FilterSyntaxError(`"${s}" is not an ISO 8601 duration (PnDTnHnMnS)`, at);
  const [, neg, d, h, mi, sec] = m;
  const ms = (Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(sec ?? 0)) * 1000;
  return neg ? -ms : ms;
}

/** WKT (optionally `SRID=4326;` first) of a POINT, LINESTRING, POLYGON or MULTIPOLYGON → GeoJSON-like coordinates. */
export function wkt(s: string, at = 0): Geometry {
  const body = s.replace(/^\s*SRID=(\d+);/i, (_m, srid: string) => {
    if (srid !== '4326') throw new FilterSyntaxError(`SRID=${srid}: only WGS84 (4326) is supported`, at);
    return '';
  }).trim();
  const m = /^(POINT|LINESTRING|POLYGON|MULTIPOLYGON)\s*(\(.*\))$/i.exec(body);
  if (!m) throw new FilterSyntaxError(`"${s}" is not WKT POINT, LINESTRING, POLYGON or MULTIPOLYGON`, at);
  const pos = (p: string): [number, number] => {
    const n = p.trim().split(/\s+/).map(Number);
    if (n.length < 2 || n.length > 3 || n.some((x) => !Number.isFinite(x))) throw new FilterSyntaxError(`"${p.trim()}" is not a WKT position (x y)`, at);
    return [n[0]!, n[1]!];
  };
  // Nested parentheses → nested arrays of position strings.
  const nest = (t: string): unknown => {
    t = t.trim();
    if (!t.startsWith('(')) return pos(t);
    if (!t.endsWith(')')) throw new FilterSyntaxError(`unbalanced parentheses in "${s}"`, at);
    const inner = t.slice(1, -1);
    const parts: string[] = [];
    let depth = 0, start = 0;
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] === '(') depth++;
      else if (inner[i] === ')') depth--;
      else if (inner[i] === ',' && depth === 0) { parts.push(inner.slice(start, i)); start = i + 1; }
      if (depth < 0) throw new FilterSyntaxError(`unbalanced parentheses in "${s}"`, at);
    }
    if (depth !== 0) throw new FilterSyntaxError(`unbalanced parentheses in "${s}"`, at);
    parts.push(inner.slice(start));
    return parts.map(nest);
  };
  const kind = m[1]!.toUpperCase();
  const c = nest(m[2]!) as unknown[];
  const ring = (r: unknown) => {
    if (!Array.isArray(r) || r.length < 4 || !r.every((p) => Array.isArray(p) && typeof p[0] === 'number')) throw new FilterSyntaxError('a polygon ring needs at least 4 positions', at);
    return r as [number, number][];
  };
  if (kind === 'POINT') {
    if (c.length !== 1 || typeof (c[0] as number[])[0] !== 'number') throw new FilterSyntaxError('POINT takes one position', at);
    return { type: 'Point', coordinates: c[0] };
  }
  if (kind === 'LINESTRING') {
    if (c.length < 2 || !c.every((p) => Array.isArray(p) && typeof p[0] === 'number')) throw new FilterSyntaxError('LINESTRING takes at least 2 positions', at);
    return { type: 'LineString', coordinates: c };
  }
  if (kind === 'POLYGON') return { type: 'Polygon', coordinates: c.map(ring) };
  return { type: 'MultiPolygon', coordinates: c.map((p) => { if (!Array.isArray(p)) throw new FilterSyntaxError('MULTIPOLYGON takes polygons', at); return p.map(ring); }) };
}

/** At most this many binary operators in one expression. */
export const MAX_OPERATORS = 500;

const COMPARE = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** Parse a `$filter` expression. Throws FilterSyntaxError naming what is wrong and where. */
export function parseFilter(src: string, maxDepth = 64): Node {
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p]!;
  const isName = (v: string) => { const t = peek(); return t.k === 'name' && t.v.toLowerCase() === v; };
  const expect = (v: '(' | ')' | ',') => {
    const t = peek();
    if (t.k !== 'punct' || t.v !== v) throw new FilterSyntaxError(`expected "${v}" but found ${describe(t)}`, t.at);
    p++;
  };
  const enter = () => { if (++depth > maxDepth) throw new FilterSyntaxError(`the expression nests deeper than ${maxDepth} levels`, peek().at); };

  let operators = 0;
  const binary = (ops: Set<string>, next: () => Node, nonAssoc = false) => (): Node => {
    let l = next();
    while (peek().k === 'name' && ops.has((peek() as { v: string }).v.toLowerCase())) {
      // A chain of operators nests as deep as it is long: capped like parentheses.
      if (++operators > MAX_OPERATORS) throw new FilterSyntaxError(`the expression has more than ${MAX_OPERATORS} operators`, peek().at);
      const op = (toks[p++] as { v: string }).v.toLowerCase() as BinOp;
      const r = next();
      l = { t: 'bin', op, l, r };
      if (nonAssoc && peek().k === 'name' && ops.has((peek() as { v: string }).v.toLowerCase())) {
        throw new FilterSyntaxError(`comparisons do not chain: put "${(peek() as { v: string }).v}" in parentheses`, peek().at);
      }
    }
    return l;
  };
  const unary = (): Node => {
    enter();
    try {
      if (isName('not')) { p++; return { t: 'not', e: unary() }; }
      if (isName('-')) { p++; return { t: 'neg', e: unary() }; }
      return primary();
    } finally { depth--; }
  };
  const mul = binary(new Set(['mul', 'div', 'mod']), unary);
  const add = binary(new Set(['add', 'sub']), mul);
  const cmp = binary(COMPARE, add, true);
  const and = binary(new Set(['and']), cmp);
  const or = binary(new Set(['or']), and);

  function primary(): Node {
    const t = peek();
    if (t.k === 'lit') { p++; return t.node; }
    if (t.k === 'punct' && t.v === '(') {
      p++;
      const e = or();
      expect(')');
      return e;
    }
    if (t.k === 'name') {
      const low = t.v.toLowerCase();
      if (low === 'true' || low === 'false') { p++; return { t: 'bool', value: low === 'true' }; }
      if (low === 'null') { p++; return { t: 'null' }; }
      p++;
      const next = peek();
      if (next.k === 'punct' && next.v === '(') {
        p++;
        const args: Node[] = [];
        if (!(peek().k === 'punct' && (peek() as { v: string }).v === ')')) {
          for (;;) {
            args.push(or());
            if (peek().k === 'punct' && (peek() as { v: string }).v === ',') { p++; continue; }
            break;
          }
        }
        expect(')');
        return { t: 'call', name: low, args };
      }
      if (t.v.includes('.') || t.v === '-') throw new FilterSyntaxError(`"${t.v}" is not a property name`, t.at);
      const segs = [t.v];
      while (peek().k === 'punct' && (peek() as { v: string }).v === '/') {
        p++;
        const s = peek();
        if (s.k !== 'name' || s.v.includes('.')) throw new FilterSyntaxError(`expected a property name after "/" but found ${describe(s)}`, s.at);
        segs.push(s.v);
        p++;
      }
      return { t: 'path', segs };
    }
    throw new FilterSyntaxError(`expected a value, property or function but found ${describe(t)}`, t.at);
  }

  if (peek().k === 'end') throw new FilterSyntaxError('the expression is empty', 0);
  const e = or();
  const rest = peek();
  if (rest.k !== 'end') throw new FilterSyntaxError(`unexpected ${describe(rest)} after a complete expression`, rest.at);
  return e;
}

function describe(t: Tok): string {
  if (t.k === 'end') return 'the end';
  if (t.k === 'punct' || t.k === 'name') return `"${t.v}"`;
  return `a ${t.node.t} literal`;
}
