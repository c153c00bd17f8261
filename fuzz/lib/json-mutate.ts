// Mutations of a valid JSON document, at two levels: the value tree (a leaf or key replaced by a nasty
// string, a wrong type, deep nesting, a huge array) serialised by JSON.stringify, which escapes NUL as
// \u0000 and lone surrogates as \ud800, exactly as a sloppy vendor's library sends them; and the text
// (raw number tokens JSON cannot hold in a double, bytes that are not UTF-8, truncation).
import type { Rng } from './rng.ts';
import { nastyString, NUMBERS } from './nasty.ts';
import { mutateBytes } from './mutate.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k]!, [...at, k], out);
  return out;
}

/** Deep nesting is written into the text (JSON.stringify itself would overflow the stack). */
const DEEP = '\u0001DEEP\u0001';
function deepText(rng: Rng): string {
  const n = rng.pick([50, 500, 5000, 20_000, 200_000]);
  return rng.chance(0.5) ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}"x"${'}'.repeat(n)}`;
}

function wrongValue(rng: Rng, old: Json): Json {
  return rng.weighted<() => Json>([
    [6, () => nastyString(rng)],
    [2, () => (typeof old === 'string' ? `${old}${nastyString(rng)}` : nastyString(rng))],
    [2, () => rng.pick<Json>([null, true, false, 0, -1, 1.5, [], {}, '', [null], { '': null }])],
    [2, () => rng.pick([Number.MAX_SAFE_INTEGER + 2, -Number.MAX_VALUE, Number.MIN_VALUE, 1e21, 2 ** 63, -0])],
    [1, () => DEEP],
    // Many copies of a small value (of a big one they would only exhaust the fuzzer's own memory).
    [1, () => Array.from({ length: rng.pick([1000, 10_000, 50_000]) }, () => (old !== null && typeof old === 'object' ? 1 : typeof old === 'string' && old.length > 64 ? 'x' : old))],
    [1, () => 'Z'.repeat(rng.pick([1000, 100_000, 1_000_000]))],
  ])();
}

/** A mutated copy of `doc` as body bytes, and the name of what was done. */
export function mutateJson(rng: Rng, doc: Json): { mut: string; bytes: Buffer } {
  const kind = rng.weighted<string>([[45, 'value'], [10, 'key'], [10, 'number'], [15, 'text'], [5, 'root'], [5, 'none']]);
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  if (kind === 'none') return { mut: 'json:valid', bytes: Buffer.from(JSON.stringify(copy), 'utf8') };
  if (kind === 'root') { const v = wrongValue(rng, copy); return { mut: 'json:root', bytes: Buffer.from(v === DEEP ? deepText(rng) : JSON.stringify(v), 'utf8') }; }
  if (kind === 'text') { const m = mutateBytes(rng, Buffer.from(JSON.stringify(copy), 'utf8')); return { mut: `jsontext:${m.name}`, bytes: m.bytes }; }
  const ps = paths(copy).filter((p) => p.length > 0);
  if (!ps.length) return { mut: 'json:root', bytes: Buffer.from(JSON.stringify(wrongValue(rng, copy)).replaceAll('"\\u0001DEEP\\u0001"', () => deepText(rng)), 'utf8') };
  const times = 1 + rng.int(2);
  const names: string[] = [];
  let text = '';
  for (let i = 0; i < times; i++) {
    const p = rng.pick(ps);
    let parent: Json = copy;
    for (const k of p.slice(0, -1)) parent = parent && typeof parent === 'object' ? (parent as Record<string, Json>)[k as string] ?? null : null;
    if (!parent || typeof parent !== 'object') continue;
    const last = p[p.length - 1]!;
    const rec = parent as Record<string, Json>;
    if (kind === 'key' && !Array.isArray(parent)) {
      const v = rec[last as string]!;
      delete rec[last as string];
      const k = rng.chance(0.3) ? rng.pick(['__proto__', 'constructor', '', 'toString']) : nastyString(rng);
      rec[k] = v;
      names.push(`key:${p.join('.')}`);
    } else if (kind === 'number') {
      rec[last as string] = '\u0001NUM\u0001';
      names.push(`number:${p.join('.')}`);
    } else {
      rec[last as string] = wrongValue(rng, rec[last as string]!);
      names.push(`value:${p.join('.')}`);
    }
  }
  try { text = JSON.stringify(copy); } catch { return { mut: 'json:too-large-to-write', bytes: Buffer.from('[]') }; }
  // Raw number tokens: JSON.stringify cannot write 1e400 or 20 digits, a sender's hand-made JSON can.
  let deepOnce = false; // one deep value per document: more would only make it too large to send
  text = text.replaceAll('"\\u0001DEEP\\u0001"', () => (deepOnce ? '1' : ((deepOnce = true), deepText(rng))));
  text = text.replaceAll('"\\u0001NUM\\u0001"', () => rng.pick([...NUMBERS.filter((n) => /^-?\d/.test(n)), '1e400', '-1e400', '123456789012345678901234567890', '0.000000000000000000000000000001']));
  // Bodies past 20 MB say nothing the 17 MB ones do not, and cost the fuzzer its memory.
  if (text.length > 20_000_000) return { mut: 'json:too-large-to-write', bytes: Buffer.from('[]') };
  return { mut: `json:${names.join('+') || kind}`.slice(0, 120), bytes: Buffer.from(text, 'utf8') };
}
