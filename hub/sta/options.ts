// SensorThings query options ($filter, $expand, $select, $orderby, $top, $skip, $count, $resultFormat) → a tree the
// query builder walks. Syntax only: names are checked against the entities when the SQL is built.
import { parseFilter, FilterSyntaxError, type Node } from './filter-parse.ts';
import { OptionError } from './filter-sql.ts';

export const DEFAULT_TOP = 100;
export const MAX_TOP = 10_000;
/** How deep $expand may nest (Things → Datastreams → Observations → FeatureOfInterest is 3). */
export const MAX_EXPAND_DEPTH = 4;

export interface OrderBy { expr: Node; desc: boolean; text: string }
export interface Expand { nav: string; opts: QueryOptions }
export interface QueryOptions {
  filter?: Node;
  orderby: OrderBy[];
  top: number;
  /** $top as the request gave it (nextLink keeps the page size the client asked for). */
  topGiven: boolean;
  skip: number;
  count: boolean;
  select?: string[];
  expand: Expand[];
  resultFormat?: 'dataArray';
  /** The options as given (nextLinks repeat them). */
  raw: Record<string, string>;
}

const KNOWN = new Set(['$filter', '$orderby', '$top', '$skip', '$count', '$select', '$expand', '$resultFormat']);

/** Split at `sep` outside parentheses and quotes. */
export function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = false, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") quote = !quote;
    else if (quote) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x.length);
}

function integer(option: string, v: string, max: number): number {
  if (!/^\d{1,9}$/.test(v.trim())) throw new OptionError(option, `"${v}" is not a non-negative integer`);
  const n = Number(v);
  if (n > max) throw new OptionError(option, `${n} is above the maximum ${max}`);
  return n;
}

function filterOf(option: string, v: string): Node {
  try {
    return parseFilter(v);
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new OptionError(option, `${e.message} (at character ${e.offset + 1} of "${v.length > 120 ? v.slice(0, 120) + '…' : v}")`);
    throw e;
  }
}

/** Parse the options of one level from name → raw value. `path` names the level in messages (`$expand=Datastreams`). */
export function parseOptions(raw: Record<string, string>, depth = 0, path = ''): QueryOptions {
  const at = (o: string) => (path ? `${path}(${o})` : o);
  const o: QueryOptions = { orderby: [], top: DEFAULT_TOP, topGiven: false, skip: 0, count: false, expand: [], raw };
  for (const [k, v] of Object.entries(raw)) {
    if (!KNOWN.has(k)) {
      if (k.startsWith('$')) throw new OptionError(at(k), `is not a query option SensorThings v1.1 defines (${[...KNOWN].join(', ')})`);
      continue;
    }
    switch (k) {
      case '$top': o.top = integer(at(k), v, MAX_TOP); o.topGiven = true; break;
      case '$skip': o.skip = integer(at(k), v, 1_000_000_000); break;
      case '$count':
        if (v !== 'true' && v !== 'false') throw new OptionError(at(k), `must be true or false, not "${v}"`);
        o.count = v === 'true';
        break;
      case '$filter': o.filter = filterOf(at(k), v); break;
      case '$orderby':
        o.orderby = splitTop(v, ',').map((item) => {
          const m = /^(.*?)(?:\s+(asc|desc))?$/is.exec(item)!;
          return { expr: filterOf(at(k), m[1]!), desc: (m[2] ?? '').toLowerCase() === 'desc', text: item };
        });
        if (!o.orderby.length) throw new OptionError(at(k), 'is empty');
        break;
      case '$select':
        o.select = splitTop(v, ',');
        for (const s of o.select) if (!/^[A-Za-z@][A-Za-z0-9_.@]*$/.test(s)) throw new OptionError(at(k), `"${s}" is not a property name`);
        if (!o.select.length) throw new OptionError(at(k), 'is empty');
        break;
      case '$resultFormat':
        if (v !== 'dataArray') throw new OptionError(at(k), `"${v}" is not a result format (dataArray)`);
        o.resultFormat = 'dataArray';
        break;
      case '$expand':
        for (const item of splitTop(v, ',')) addExpand(o, item, depth, at(k));
        break;
    }
  }
  return o;
}

function addExpand(o: QueryOptions, item: string, depth: number, option: string) {
  const m = /^([A-Za-z]+(?:\/[A-Za-z]+)*)\s*(?:\((.*)\))?$/s.exec(item);
  if (!m) throw new OptionError(option, `"${item}" is not NavigationLink or NavigationLink(options)`);
  const navs = m[1]!.split('/');
  if (depth + navs.length > MAX_EXPAND_DEPTH) throw new OptionError(option, `"${item}" nests $expand deeper than ${MAX_EXPAND_DEPTH} levels`);
  // Datastreams/Observations(…) is Datastreams($expand=Observations(…)).
  let level = o, d = depth;
  for (let i = 0; i < navs.length; i++) {
    const nav = navs[i]!;
    const last = i === navs.length - 1;
    let e = level.expand.find((x) => x.nav === nav);
    if (e && last && m[2] !== undefined) throw new OptionError(option, `"${nav}" is expanded twice`);
    if (!e) {
      const inner: Record<string, string> = {};
      if (last && m[2] !== undefined) {
        for (const part of splitTop(m[2], ';')) {
          const eq = part.indexOf('=');
          if (eq < 1) throw new OptionError(option, `"${part}" in ${nav}(…) is not $option=value`);
          inner[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
        }
      }
      e = { nav, opts: parseOptions(inner, d + 1, `${option}=${nav}`) };
      level.expand.push(e);
    }
    level = e.opts;
    d++;
  }
}
