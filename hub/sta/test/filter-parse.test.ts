// The $filter parser on its own: precedence, literals, functions, errors with offsets, and a property test that
// printing any expression and parsing it back gives the same tree.
import t from 'tap';
import fc from 'fast-check';
import { parseFilter, FilterSyntaxError, wkt, type Node, type BinOp } from '../filter-parse.ts';
import { parseOptions, splitTop } from '../options.ts';
import { OptionError } from '../filter-sql.ts';

const path = (...segs: string[]): Node => ({ t: 'path', segs });
const num = (value: number): Node => ({ t: 'number', value });
const str = (value: string): Node => ({ t: 'string', value });
const bin = (op: BinOp, l: Node, r: Node): Node => ({ t: 'bin', op, l, r });

t.test('precedence: or < and < comparison < add < mul < not/neg', async (t) => {
  t.same(parseFilter('result gt 1 and result lt 2 or id eq 3'),
    bin('or', bin('and', bin('gt', path('result'), num(1)), bin('lt', path('result'), num(2))), bin('eq', path('id'), num(3))));
  t.same(parseFilter('result add 2 mul 3 eq 10'), bin('eq', bin('add', path('result'), bin('mul', num(2), num(3))), num(10)));
  t.same(parseFilter('result sub 1 sub 2 eq 0'), bin('eq', bin('sub', bin('sub', path('result'), num(1)), num(2)), num(0)), 'left-associative');
  t.same(parseFilter('not (result eq 1) and -result lt -2'), bin('and', { t: 'not', e: bin('eq', path('result'), num(1)) }, bin('lt', { t: 'neg', e: path('result') }, num(-2))));
  t.same(parseFilter('(result eq 1 or result eq 2) and id eq 3').t, 'bin');
  t.same(parseFilter('Result Eq 1 AND id NE 2'), bin('and', bin('eq', path('Result'), num(1)), bin('ne', path('id'), num(2))), 'operators are case-insensitive');
});

t.test('literals', async (t) => {
  t.same(parseFilter("name eq 'it''s'"), bin('eq', path('name'), str("it's")));
  t.same(parseFilter('phenomenonTime ge 2026-11-25T00:00:00+08:00'), bin('ge', path('phenomenonTime'), { t: 'datetime', value: Date.parse('2026-11-24T16:00:00Z') }));
  t.same(parseFilter('phenomenonTime ge 2026-11-25'), bin('ge', path('phenomenonTime'), { t: 'datetime', value: Date.parse('2026-11-25T00:00:00Z') }));
  t.same(parseFilter('result eq 1.5e3'), bin('eq', path('result'), num(1500)));
  t.same(parseFilter('result eq null'), bin('eq', path('result'), { t: 'null' }));
  t.same(parseFilter('true'), { t: 'bool', value: true });
  t.same(parseFilter("phenomenonTime add duration'P1DT2H' gt now()"), bin('gt', bin('add', path('phenomenonTime'), { t: 'duration', value: 26 * 3600_000 }), { t: 'call', name: 'now', args: [] }));
  t.same(parseFilter("st_within(location, geography'POLYGON((0 0, 1 0, 1 1, 0 0))')"),
    { t: 'call', name: 'st_within', args: [path('location'), { t: 'geo', value: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] } }] });
  t.same(wkt('SRID=4326;POINT(120.1 30.2)'), { type: 'Point', coordinates: [120.1, 30.2] });
  t.same(wkt('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))').type, 'MultiPolygon');
});

t.test('paths and functions', async (t) => {
  t.same(parseFilter("Datastream/Thing/properties/enterprise eq 'x'"), bin('eq', path('Datastream', 'Thing', 'properties', 'enterprise'), str('x')));
  t.same(parseFilter("substringof('a', name)"), { t: 'call', name: 'substringof', args: [str('a'), path('name')] });
  t.same(parseFilter("geo.intersects(location, geography'POINT(1 2)')").t, 'call');
  t.same(parseFilter('round(result) eq 2'), bin('eq', { t: 'call', name: 'round', args: [path('result')] }, num(2)));
});

t.test('syntax errors say what and where', async (t) => {
  const cases: Array<[string, RegExp, number]> = [
    ['', /empty/, 0],
    ['result eq', /expected a value/, 9],
    ['result eq 1 eq 2', /do not chain/, 12],
    ["name eq 'open", /unterminated string/, 8],
    ['(result eq 1', /expected "\)"/, 12],
    ['result eq 1 foo', /unexpected "foo"/, 12],
    ['result # 1', /unexpected character "#"/, 7],
    ["location eq geography'CIRCLE(1 2)'", /not WKT/, 12],
    ["x eq duration'1D'", /not an ISO 8601 duration/, 5],
    ['phenomenonTime eq 2026-13-45T00:00:00Z', /not a valid date-time/, 18],
    ["geography'SRID=3857;POINT(1 2)' eq x", /only WGS84/, 0],
    ['a.b eq 1', /not a property name/, 0],
  ];
  for (const [src, re, at] of cases) {
    try { parseFilter(src); t.fail(`parsed "${src}"`); } catch (e) {
      t.ok(e instanceof FilterSyntaxError, src);
      t.match((e as Error).message, re, src);
      t.equal((e as FilterSyntaxError).offset, at, `${src}: offset`);
    }
  }
  t.throws(() => parseFilter('('.repeat(200) + '1' + ')'.repeat(200)), /deeper than 64/, 'nesting is capped (no stack overflow)');
  t.throws(() => parseFilter(Array.from({ length: 300 }, () => 'id eq 1').join(' or ')), /more than 500 operators/, 'so are chains of operators');
  t.ok(parseFilter(Array.from({ length: 200 }, () => 'id eq 1').join(' or ')), '200 alternatives are fine');
});

t.test('query options: nested $expand, $orderby, limits, errors naming the option', async (t) => {
  const o = parseOptions({ $top: '5', $expand: "Datastreams($filter=name eq 'a;b';$expand=Observations($top=1;$orderby=phenomenonTime desc)),Locations", $count: 'true' });
  t.equal(o.top, 5);
  t.equal(o.count, true);
  t.same(o.expand.map((x) => x.nav), ['Datastreams', 'Locations']);
  const ds = o.expand[0]!.opts;
  t.same(ds.filter, bin('eq', path('name'), str('a;b')), 'a ; inside a string does not split options');
  t.equal(ds.expand[0]!.opts.top, 1);
  t.same(ds.expand[0]!.opts.orderby.map((x) => x.desc), [true]);
  const short = parseOptions({ $expand: 'Datastreams/Observations' });
  t.equal(short.expand[0]!.opts.expand[0]!.nav, 'Observations', 'a/b is a nested expand');
  t.equal(parseOptions({}).top, 100, '$top defaults to 100');
  t.same(splitTop("a(b,c),'d,e',f", ','), ['a(b,c)', "'d,e'", 'f']);
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ $top: '10001' }, /^\$top: 10001 is above the maximum 10000/],
    [{ $top: '-1' }, /^\$top: "-1" is not a non-negative integer/],
    [{ $skip: 'x' }, /^\$skip:/],
    [{ $count: 'yes' }, /^\$count: must be true or false/],
    [{ $filter: 'result eq' }, /^\$filter: expected a value.* \(at character 10/],
    [{ $orderby: 'result sideways' }, /^\$orderby:/],
    [{ $expand: 'A/B/C/D/E' }, /^\$expand: .* deeper than 4/],
    [{ $expand: 'Datastreams($top=x)' }, /^\$expand=Datastreams\(\$top\): "x"/],
    [{ $expand: 'Datastreams($foo=1)' }, /^\$expand=Datastreams\(\$foo\): is not a query option/],
    [{ $resultFormat: 'csv' }, /^\$resultFormat:/],
    [{ $search: 'x' }, /^\$search: is not a query option/],
  ];
  for (const [raw, re] of bad) {
    try { parseOptions(raw); t.fail(`accepted ${JSON.stringify(raw)}`); } catch (e) {
      t.ok(e instanceof OptionError, JSON.stringify(raw));
      t.match((e as Error).message, re, JSON.stringify(raw));
    }
  }
});

// Property: print any tree (fully parenthesised) and parse it back to the same tree.
const NAMES = ['result', 'id', 'name', 'phenomenonTime', 'properties'];
const leaf: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom(...NAMES).chain((n) => fc.array(fc.constantFrom('a', 'kind', 'code'), { maxLength: 2 }).map((rest) => path(n, ...rest))),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((v) => num(Object.is(v, -0) ? 0 : v)),
  fc.string({ maxLength: 8 }).map(str),
  fc.boolean().map((value): Node => ({ t: 'bool', value })),
  fc.constant<Node>({ t: 'null' }),
  fc.integer({ min: 0, max: 4_000_000_000_000 }).map((value): Node => ({ t: 'datetime', value })),
);
const tree = fc.letrec<{ n: Node }>((tie) => ({
  n: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom<BinOp>('or', 'and', 'eq', 'ne', 'gt', 'ge', 'lt', 'le', 'add', 'sub', 'mul', 'div', 'mod'), tie('n'), tie('n')).map(([op, l, r]) => bin(op, l, r)),
    tie('n').map((e): Node => ({ t: 'not', e })),
    fc.tuple(fc.constantFrom('contains', 'round', 'geo.distance', 'now'), fc.array(tie('n'), { maxLength: 3 })).map(([name, args]): Node => ({ t: 'call', name, args })),
  ),
})).n;

function print(n: Node): string {
  switch (n.t) {
    case 'string': return `'${n.value.replaceAll("'", "''")}'`;
    case 'number': return String(n.value);
    case 'bool': return String(n.value);
    case 'null': return 'null';
    case 'datetime': return new Date(n.value).toISOString();
    case 'path': return n.segs.join('/');
    case 'bin': return `(${print(n.l)} ${n.op} ${print(n.r)})`;
    case 'not': return `not (${print(n.e)})`;
    case 'neg': return `-(${print(n.e)})`;
    case 'call': return `${n.name}(${n.args.map(print).join(', ')})`;
    default: throw new Error(n.t);
  }
}

t.test('print → parse is the identity', async (t) => {
  fc.assert(fc.property(tree, (n) => { t.same(parseFilter(print(n)), n); return true; }), { numRuns: 300 });
  t.pass('300 random expressions');
});

t.test('no input throws anything but FilterSyntaxError', async (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
    try { parseFilter(s); } catch (e) { if (!(e instanceof FilterSyntaxError)) throw e; }
    return true;
  }), { numRuns: 2000 });
  t.pass('2000 random strings');
});
