// $count of Observations over a time range on a packed store (migration 013): a pack wholly inside the range adds its
// `n` (or, for a scoped key, the number of its readings whose stored tag is in scope: its tag array alone, not its
// twelve arrays unnested); only the packs at the range's edges are unnested and counted reading by reading. The plain
// rows are counted as any filter is. Counting the 1.44 M readings of one packed day so reads about 10,000 pack rows.
import type { Node } from './filter-parse.ts';

type Cmp = 'gt' | 'ge' | 'lt' | 'le' | 'eq';
/** One comparison of an Observation's time with a constant instant (ms), the time on the left. */
export interface TimeBound { op: Cmp; ms: number }

const FLIP: Record<Cmp, Cmp> = { gt: 'lt', ge: 'le', lt: 'gt', le: 'ge', eq: 'eq' };
const SQL_OP: Record<Cmp, string> = { gt: '>', ge: '>=', lt: '<', le: '<=', eq: '=' };

const isTime = (n: Node) => n.t === 'path' && n.segs.length === 1 && (n.segs[0] === 'phenomenonTime' || n.segs[0] === 'resultTime');
/** A literal instant: a date-time, or a string the filter compiler reads as one (FilterCompiler.timeString). */
function instant(n: Node): number | undefined {
  if (n.t === 'datetime') return n.value;
  if (n.t === 'string') { const ms = Date.parse(n.value); return Number.isNaN(ms) ? undefined : ms; }
  return undefined;
}

/**
 * The filter as a conjunction of comparisons of phenomenonTime / resultTime (both are the row's time) with constant
 * instants, or undefined when it is anything else (then the count is the plain one: exact whatever the filter).
 */
export function timeRangeOf(n: Node | undefined): TimeBound[] | undefined {
  if (!n) return undefined;
  if (n.t === 'bin' && n.op === 'and') {
    const l = timeRangeOf(n.l), r = timeRangeOf(n.r);
    return l && r ? [...l, ...r] : undefined;
  }
  if (n.t !== 'bin' || !(n.op in FLIP)) return undefined;
  const op = n.op as Cmp;
  if (isTime(n.l)) { const ms = instant(n.r); return ms === undefined ? undefined : [{ op, ms }]; }
  if (isTime(n.r)) { const ms = instant(n.l); return ms === undefined ? undefined : [{ op: FLIP[op], ms }]; }
  return undefined;
}

/**
 * SQL counting the packed readings whose time meets every bound, of the points given (all when undefined), whose
 * stored tag passes `tagInScope` (SQL over `tag`; undefined: every tag). `bind` adds a parameter and returns its SQL.
 * Instants are bound as the filter compiler binds them (to_timestamp(ms / 1000.0)): the same edges to the microsecond.
 */
export function packedCountSql(bounds: TimeBound[], bind: (v: unknown, cast: string) => string, points: number[] | undefined, tagInScope: ((tag: string) => string) | undefined): string {
  const at = bounds.map((b) => ({ op: b.op, v: `to_timestamp(${bind(b.ms, 'float8')} / 1000.0)` }));
  const holds = (x: string) => at.map((b) => `${x} ${SQL_OP[b.op]} ${b.v}`);
  // Inside: both ends meet every bound (the readings lie between them). Meeting: some reading may (hi above every
  // lower bound, lo below every upper one; an `eq` both).
  const lower = (b: { op: Cmp }) => b.op === 'gt' || b.op === 'ge' || b.op === 'eq';
  const upper = (b: { op: Cmp }) => b.op === 'lt' || b.op === 'le' || b.op === 'eq';
  const meets = [...at.filter(lower).map((b) => `pk.hi ${SQL_OP[b.op === 'eq' ? 'ge' : b.op]} ${b.v}`), ...at.filter(upper).map((b) => `pk.lo ${SQL_OP[b.op === 'eq' ? 'le' : b.op]} ${b.v}`)];
  if (points) meets.push(`pk.point_id = ANY(${bind(points, 'int[]')})`);
  const whole = tagInScope ? `(SELECT count(*) FROM unnest(pk.tags) AS u(tag) WHERE ${tagInScope('u.tag')})` : 'pk.n';
  const edge = `(SELECT count(*) FROM unnest(pk.times, pk.tags) AS u(time, tag) WHERE ${[...holds('u.time'), ...(tagInScope ? [tagInScope('u.tag')] : [])].join(' AND ')})`;
  return `SELECT coalesce(sum(CASE WHEN ${[...holds('pk.lo'), ...holds('pk.hi')].join(' AND ')} THEN ${whole} ELSE ${edge} END), 0)
    FROM observation_pack pk WHERE ${meets.length ? meets.join(' AND ') : 'TRUE'}`;
}
