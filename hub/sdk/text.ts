// Text from outside made storable. PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses a lone UTF-16
// surrogate (JSON.stringify writes it as a `\ud800` escape, which PostgreSQL rejects): one such string in a quarantined
// record used to fail the whole batch it shared a transaction with. Both become U+FFFD, and the caller is told, so the
// record can carry the flag `text_sanitised`.

/** U+FFFD REPLACEMENT CHARACTER: what NUL and lone surrogates become. */
export const REPLACEMENT = '\uFFFD';

/** True when `s` can be stored as it is: well-formed UTF-16 and no NUL. */
export function isStorableText(s: string): boolean {
  return s.isWellFormed() && !s.includes('\u0000');
}

/** `s` with NUL and lone surrogates replaced by U+FFFD (the same string when there was nothing to replace). */
export function cleanText(s: string): string {
  return isStorableText(s) ? s : s.toWellFormed().replaceAll('\u0000', REPLACEMENT);
}

export interface Sanitised<T> {
  value: T;
  /** Something was replaced: the stored value differs from what arrived. */
  changed: boolean;
}

/** One string, cleaned, and whether it had to be. */
export function sanitiseText(s: string): Sanitised<string> {
  const value = cleanText(s);
  return { value, changed: value !== s };
}

/**
 * A JSON-like value with every string (object keys included) cleaned, recursively. Unchanged values are returned
 * as they are (no copy): this runs on every ingested record. Values nested deeper than MAX_DEPTH are replaced by
 * the text TOO_DEEP: recursion that deep (here, in JSON.stringify, in PostgreSQL's jsonb parser) is a stack
 * limit away from failing the batch, and no real record nests like that.
 */
export function sanitiseJson<T>(v: T): Sanitised<T> {
  const value = clean(v, 0);
  return { value: value as T, changed: value !== v };
}

/** Deeper than any real record, well inside what JSON.stringify and PostgreSQL's jsonb parser accept. */
export const MAX_DEPTH = 64;
export const TOO_DEEP = '\uFFFD(nested too deep)';

function clean(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return cleanText(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = clean(v[i], depth + 1);
      if (c !== v[i]) (out ??= v.slice())[i] = c;
    }
    return out ?? v;
  }
  if (!isPlainObject(v)) return v; // Buffer, Date…: JSON.stringify turns them into clean text or numbers
  const src = v as Record<string, unknown>;
  // The common case allocates nothing (for-in walks the object's cached key list; Object.keys copied it for every
  // record of every batch): only when a key or value needs cleaning is the object rebuilt, from there on.
  let dirty = false;
  for (const k in src) {
    if (!Object.hasOwn(src, k)) continue;
    if (clean(src[k], depth + 1) !== src[k] || !isStorableText(k)) { dirty = true; break; }
  }
  if (!dirty) return v;
  const keys = Object.keys(src);
  let i = 0;
  let first: unknown;
  for (; i < keys.length; i++) {
    const k = keys[i]!;
    first = clean(src[k], depth + 1);
    if (first !== src[k] || !isStorableText(k)) break;
  }
  if (i === keys.length) return v;
  // Rebuilt in the same key order; a cleaned key that collides with another gets more U+FFFD rather than overwrite it.
  const out: Record<string, unknown> = {};
  for (let j = 0; j < keys.length; j++) {
    const k = keys[j]!;
    const value = j < i ? src[k] : j === i ? first : clean(src[k], depth + 1);
    let ck = cleanText(k);
    if (ck !== k) while (ck in src || ck in out) ck += REPLACEMENT;
    // defineProperty: a key named __proto__ (JSON.parse makes it an own key) stays data, not a prototype.
    Object.defineProperty(out, ck, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** The JSON pointer of the first string (or key) that is not storable, or undefined when all are. */
export function findUnstorableText(v: unknown, path = '', depth = 0): string | undefined {
  if (typeof v === 'string') return isStorableText(v) ? undefined : path || '/';
  if (v === null || typeof v !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return path || '/';
  for (const [k, x] of Object.entries(v)) {
    const at = `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (!isStorableText(k)) return at;
    const bad = findUnstorableText(x, at, depth + 1);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

// Cutting text to a length: `s.slice(0, n)` can end between the two halves of a surrogate pair (any emoji), which
// would make it unstorable again.
/**
 * `s` cut to at most `max` UTF-16 units, never inside a surrogate pair, with `ellipsis` appended when cut.
 * @category Adapter
 */
export function truncateText(s: string, max: number, ellipsis = ''): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // the high half of a pair whose low half would be cut off
  return s.slice(0, end) + ellipsis;
}

// JSON.parse accepts any depth, but JSON.stringify, JSONata and most other consumers recurse and overflow the stack
// at a few thousand levels: a payload of '[' × 50 000 parses and then fails every later stage.
/**
 * True when `value` (a JSON.parse result) nests arrays/objects deeper than `max` levels. Recurses at most `max`
 * levels (not the value's own depth) and stops at the first path past the limit. @category Adapter
 */
export function jsonTooDeep(value: unknown, max: number = MAX_DEPTH): boolean {
  return value !== null && typeof value === 'object' && deeper(value, 0, max);
}

// Depth first, recursing at most `max` levels; nothing allocated per value (this runs on every ingest body: a pair
// per object and Object.values() per object were a tenth of what the ingest path allocated).
function deeper(v: object, depth: number, max: number): boolean {
  if (depth >= max) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const c: unknown = v[i];
      if (c !== null && typeof c === 'object' && deeper(c, depth + 1, max)) return true;
    }
    return false;
  }
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const c: unknown = (v as Record<string, unknown>)[k];
    if (c !== null && typeof c === 'object' && deeper(c, depth + 1, max)) return true;
  }
  return false;
}
