// How deeply a parsed JSON value nests, without recursion. JSON.parse accepts any depth, but JSON.stringify,
// JSONata and most other consumers recurse and overflow the stack at a few thousand levels: a payload of
// '[' × 50 000 parses and then fails every later stage, including the quarantine's JSON column.

/** Nesting limit for JSON from outside: far beyond any real payload, far below any recursion limit. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` (a JSON.parse result) nests arrays/objects deeper than `max` levels. Iterative, stops at
 * the first path past the limit. @category Adapter
 */
export function jsonTooDeep(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}
