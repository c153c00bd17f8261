// jsonTooDeep: recursion bounded by the limit, agrees with a reference depth, and handles depths that overflow JSON.stringify.
import t from 'tap';
import fc from 'fast-check';
import { jsonTooDeep, MAX_DEPTH } from '../text.ts';

const depth = (v: unknown): number => (v === null || typeof v !== 'object' ? 0 : 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(depth)));

t.test('jsonTooDeep', async (t) => {
  t.equal(jsonTooDeep(1), false);
  t.equal(jsonTooDeep({ a: [1, { b: 2 }] }), false);
  const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  t.throws(() => JSON.stringify(deep), RangeError, 'what it guards against');
  t.equal(jsonTooDeep(deep), true, '100 000 levels, no stack overflow');
  const edge = JSON.parse(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`);
  t.equal(jsonTooDeep(edge), false, `${MAX_DEPTH} levels are allowed`);
  t.equal(jsonTooDeep([edge]), true, `${MAX_DEPTH + 1} are not`);
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (v, max) => jsonTooDeep(v, max) === depth(v) > max), { numRuns: 500 });
});
