// The CP data area grammar (reference §5): `key=value` entries separated by `;` or `,` (interchangeable in
// practice), `code-Suffix` keys grouped into items by the prefix before the last `-`, a new record at every
// `DataTime=`, `//…//` values opaque, empty value → null. Hand-written scanning over one string: no regex,
// no split().
//
// Speed: an item's sub-values are collected while its entries are contiguous (the normal case) and turned
// into its `fields` object at once by a constructor specialised for that suffix sequence (Rtd,Flag /
// Avg,Min,Max,Cou,Flag …; object literal, cached), instead of one dynamic keyed store per value.
import type { CpItem, CpRecord } from './types.ts';
import { deviate as deviateImport, type DecodeCtx } from './context.ts';

const deviate = deviateImport; // bound once (see parse.ts)

/** Warnings the CP grammar raises (as opposed to frame and header warnings). */
export const CP_WARNINGS: ReadonlySet<string> = new Set(['empty_entry', 'info_unterminated', 'isolated_key', 'whitespace_trimmed', 'empty_key', 'duplicate_key', 'trailing_separator']);

export interface CpData { fields: Record<string, string | null>; records: CpRecord[] }

type Fields = Record<string, string | null>;
const hasOwn = Object.prototype.hasOwnProperty;

/** Suffixes with an id (1…31) get the fast path; others are stored one by one. */
const SUFFIXES = ['', 'Rtd', 'Flag', 'Avg', 'Min', 'Max', 'Cou', 'ZsRtd', 'ZsAvg', 'ZsMin', 'ZsMax', 'EFlag', 'SampleTime', 'SN', 'Info',
  'Data', 'DayData', 'NightData', 'RS', 'RT', 'Ala', 'UpValue', 'LowValue', 'ValidNum', 'TotalNum', 'flag'];
const SUFFIX_ID = new Map(SUFFIXES.map((s, i) => [s, i]));
const MAX_PATTERN = 10; // 32^10 < 2^53
const MAX_CTORS = 512;

type Ctor = (v: (string | null)[]) => Fields;
const ctors = new Map<number, Ctor>();

let codegenOff = false;
let lastPattern = -1;
let lastCtor: Ctor | undefined;

function ctorFor(pattern: number, n: number): Ctor | undefined {
  if (pattern === lastPattern) return lastCtor;
  let c = ctors.get(pattern);
  if (c !== undefined) { lastPattern = pattern; lastCtor = c; return c; }
  if (ctors.size >= MAX_CTORS) return undefined;
  const names: string[] = [];
  for (let k = 0, p = pattern; k < n; k++, p = Math.floor(p / 32)) names.unshift(SUFFIXES[p % 32]!);
  // Property names come from the fixed SUFFIXES list above, never from the wire.
  if (codegenOff) return undefined;
  try {
    c = new Function('v', `return {${names.map((s, i) => `${JSON.stringify(s)}:v[${i}]`).join(',')}}`) as Ctor;
  } catch {
    codegenOff = true; // node --disallow-code-generation-from-strings: build objects one property at a time
    return undefined;
  }
  ctors.set(pattern, c);
  return c;
}

/** Suffix id of a[s, e): 0 when not one of SUFFIXES. */
function suffixId(a: Uint8Array, t: string, d: number, s: number, e: number): number {
  const n = e - s;
  const c = a[s]!;
  if (n === 3) {
    const c1 = a[s + 1]!, c2 = a[s + 2]!;
    if (c === 82 && c1 === 116 && c2 === 100) return 1; // Rtd
    if (c === 65 && c1 === 118 && c2 === 103) return 3; // Avg
    if (c === 77) { if (c1 === 105 && c2 === 110) return 4; if (c1 === 97 && c2 === 120) return 5; } // Min Max
    if (c === 67 && c1 === 111 && c2 === 117) return 6; // Cou
  } else if (n === 4 && c === 70 && a[s + 1] === 108 && a[s + 2] === 97 && a[s + 3] === 103) {
    return 2; // Flag
  }
  if (n < 2 || n > 10) return 0;
  return SUFFIX_ID.get(t.substring(s - d, e - d)) ?? 0;
}

/** a[s, e) equals a[p, p + (e - s)) (compared from the end: factor codes differ in their last digits). */
function sameRun(a: Uint8Array, s: number, e: number, p: number): boolean {
  for (let k = e - 1, q = p + (e - 1 - s); k >= s; k--, q--) if (a[k] !== a[q]) return false;
  return true;
}

function put(ctx: DecodeCtx, target: Fields, key: string, value: string | null, at: number): void {
  const prev = target[key];
  if (prev !== undefined && hasOwn.call(target, key)) {
    deviate(ctx, 'duplicate_key', 'HJ212_DUPLICATE_KEY', `CP key "${key}" occurs twice in one record (values "${prev}" and "${value}")`, at, key);
  }
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}


/** Character classes for the scanning loops: 0 plain, 1 '=', 2 separator (; ,), 3 '-', 4 whitespace/control. */
const CLS = /* @__PURE__ */ (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c <= 32; c++) t[c] = 4;
  t[61] = 1;
  t[59] = 2;
  t[44] = 2;
  t[45] = 3;
  return t;
})();

/** An item's collected values (suffix ids packed in `pattern`, 5 bits each) as its fields object, wire order. */
function build(pattern: number, n: number, vals: (string | null)[]): Fields {
  const c = ctorFor(pattern, n);
  if (c !== undefined) return c(vals);
  const names: string[] = [];
  for (let k = 0, p = pattern; k < n; k++, p = Math.floor(p / 32)) names.unshift(SUFFIXES[p % 32]!);
  const f: Fields = {};
  for (let k = 0; k < n; k++) f[names[k]!] = vals[k]!;
  return f;
}

// Scratch state, reused across calls (parseCp is synchronous and not re-entrant).
const VALS: (string | null)[] = [];
const SEEN = new Int32Array(8);

/** Parses the CP text between `CP=&&` and `&&`: ctx.codes[s, e) (ctx.text[s - d, e - d)). */
export function parseCp(ctx: DecodeCtx, s: number, e: number): CpData {
  const t = ctx.text;
  const a = ctx.codes;
  const d = ctx.d;
  const exact = ctx.exact;
  const fields: Fields = {};
  const records: CpRecord[] = [];
  let rec: CpRecord | undefined;
  // The open item: its sub-values are collected in VALS while its entries are contiguous (`fast`), then
  // turned into its fields object at once; otherwise stored into item.fields one by one.
  let item: CpItem | undefined;
  let fast = false;
  let pattern = 0, mask = 0, n = 0;
  let codeAt = -1, codeLen = 0; // where the open item's code is in `a` (exact codes only)
  const vals = VALS;
  // Which item codes the current record may already hold (256-bit filter over a hash of the code): a new
  // code whose bit is clear cannot be a non-contiguous repeat, so the item list is not searched.
  const seen = SEEN;
  seen.fill(0);
  let i = s;
  while (i < e) {
    // -- key
    const ks = i;
    let dash = -1;
    let ws = false;
    let k = 0;
    let id = -1; // suffix id, once known
    let same = false; // the key starts with the open item's code and '-'
    let scan = true;
    if (codeAt >= 0) {
      // fast path for the next entry of the open item: compare its code instead of scanning it, and
      // recognise `Rtd=` / `Flag=` directly
      const p = i + codeLen;
      if (p < e && a[p] === 45 && sameRun(a, i, p, codeAt)) {
        same = true;
        dash = p;
        i = p + 1;
        if (i + 3 < e && a[i + 3] === 61) {
          const s3 = suffixId(a, t, d, i, i + 3);
          if (s3 > 0) { id = s3; i += 3; k = 1; scan = false; }
        } else if (i + 4 < e && a[i + 4] === 61 && a[i] === 70 && a[i + 1] === 108 && a[i + 2] === 97 && a[i + 3] === 103) {
          id = 2; i += 4; k = 1; scan = false;
        }
      }
    }
    if (scan) {
      while (i < e) {
        k = CLS[a[i]!]!;
        if (k === 0) { i++; continue; }
        if (k === 3) { dash = i; i++; continue; }
        if (k === 4) { ws = true; i++; continue; }
        break;
      }
      if (same && dash !== ks + codeLen) { same = false; id = -1; }
    }
    const ke = i;
    if (ke === ks && k === 2) {
      deviate(ctx, 'empty_entry', 'HJ212_BAD_CP', 'empty CP entry (two separators in a row, or a separator right after CP=&&)', i - d, 'CP');
      i++;
      continue;
    }
    // -- value
    let vs = i, ve = i;
    let isolated = false;
    if (i < e && k === 1) {
      i++;
      vs = i;
      if (a[i] === 47 && i + 1 < e && a[i + 1] === 47) {
        // `//…//`: opaque up to a `//` followed by a separator or the end of CP
        let j = t.indexOf('//', i + 2 - d);
        while (j >= 0 && j + 2 + d < e && CLS[a[j + 2 + d]!] !== 2) j = t.indexOf('//', j + 1);
        if (j >= 0 && j + 2 + d <= e) {
          i = j + 2 + d;
        } else {
          deviate(ctx, 'info_unterminated', 'HJ212_BAD_CP', 'a `//…//` value is not closed by `//` before a separator or the end of CP', vs - d, 'CP');
          while (i < e && CLS[a[i]!] !== 2) i++;
        }
      } else {
        while (i < e && CLS[a[i]!] !== 2) i++;
      }
      ve = i;
    } else {
      isolated = true;
      deviate(ctx, 'isolated_key', 'HJ212_BAD_CP', `CP entry "${t.substring(ks - d, ke - d)}" has no "="`, ks - d, 'CP');
    }
    // whitespace (the standard's own examples have some): strict rejects, lenient trims
    let code: string | undefined;
    let sub: string | undefined;
    let key: string | undefined;
    if (ws || (vs < ve && (a[vs]! <= 32 || a[ve - 1]! <= 32))) {
      deviate(ctx, 'whitespace_trimmed', 'HJ212_BAD_CP', 'whitespace around a CP key or value', ks - d, 'CP');
      key = t.substring(ks - d, ke - d).trim();
      const kd = key.lastIndexOf('-');
      same = false;
      if (kd >= 0) { code = key.slice(0, kd).trim(); sub = key.slice(kd + 1).trim(); id = SUFFIX_ID.get(sub) ?? 0; }
      else dash = -1;
      while (vs < ve && a[vs]! <= 32) vs++;
      while (ve > vs && a[ve - 1]! <= 32) ve--;
    }
    const value = isolated || vs === ve ? null : t.substring(vs - d, ve - d);

    if (dash >= 0) {
      // -- item entry `code-sub`
      if (code === undefined) {
        code = same ? item!.code : t.substring(ks - d, dash - d);
        if (id < 0) id = suffixId(a, t, d, dash + 1, ke);
        if (id === 0) sub = t.substring(dash + 1 - d, ke - d);
        if (dash === ks || dash + 1 === ke) deviate(ctx, 'empty_key', 'HJ212_BAD_CP', `CP key "${t.substring(ks - d, ke - d)}" has an empty factor code or suffix`, ks - d, 'CP');
      } else if (code.length === 0 || sub!.length === 0) {
        deviate(ctx, 'empty_key', 'HJ212_BAD_CP', `CP key "${key}" has an empty factor code or suffix`, ks - d, 'CP');
      }
      if (!same && (item === undefined || item.code !== code)) {
        // another item: close the open one, then find (non-contiguous entries) or create this one
        if (item !== undefined && fast) item.fields = build(pattern, n, vals);
        if (rec === undefined) {
          rec = { dataTime: undefined, fields: {}, items: [] };
          records.push(rec);
        }
        const items = rec.items;
        let hc = code.length;
        if (exact && sub === undefined && key === undefined) for (let q = ks; q < dash; q++) hc = (Math.imul(hc, 31) + a[q]!) | 0;
        else for (let q = 0; q < code.length; q++) hc = (Math.imul(hc, 31) + code.charCodeAt(q)) | 0;
        const h8 = (hc ^ (hc >>> 8) ^ (hc >>> 16)) & 255;
        let found: CpItem | undefined;
        if ((seen[h8 >>> 5]! & (1 << (h8 & 31))) !== 0) {
          for (let q = items.length - 1; q >= 0; q--) if (items[q]!.code === code) { found = items[q]; break; }
        } else {
          seen[h8 >>> 5] |= 1 << (h8 & 31);
        }
        if (found !== undefined) {
          item = found;
          fast = false;
        } else {
          item = { code, fields: null as unknown as Fields };
          items.push(item);
          fast = true;
          pattern = 0;
          mask = 0;
          n = 0;
        }
        if (exact && key === undefined) { codeAt = ks; codeLen = dash - ks; } else codeAt = -1;
      }
      if (fast) {
        const bit = id > 0 ? 1 << id : 0;
        if (bit !== 0 && (mask & bit) === 0 && n < MAX_PATTERN) {
          pattern = pattern * 32 + id;
          mask |= bit;
          vals[n++] = value;
        } else {
          item!.fields = build(pattern, n, vals);
          fast = false;
        }
      }
      if (!fast) put(ctx, item!.fields, id > 0 ? SUFFIXES[id]! : sub!, value, ks - d);
    } else {
      // -- plain field; DataTime opens a record
      if (key === undefined) {
        key = ke - ks === 8 && a[ks] === 68 && a[ks + 1] === 97 && a[ks + 2] === 116 && a[ks + 3] === 97 && a[ks + 4] === 84 &&
          a[ks + 5] === 105 && a[ks + 6] === 109 && a[ks + 7] === 101 ? 'DataTime' : t.substring(ks - d, ke - d);
      }
      if (key.length === 0) {
        deviate(ctx, 'empty_key', 'HJ212_BAD_CP', 'CP entry with an empty key', ks - d, 'CP');
      } else if (key === 'DataTime') {
        if (item !== undefined && fast) item.fields = build(pattern, n, vals);
        item = undefined;
        codeAt = -1;
        rec = { dataTime: value ?? undefined, fields: {}, items: [] };
        records.push(rec);
        seen.fill(0);
      } else {
        put(ctx, rec ? rec.fields : fields, key, value, ks - d);
      }
    }
    if (i < e) {
      i++; // separator
      if (i === e) deviate(ctx, 'trailing_separator', 'HJ212_BAD_CP', 'CP ends with a separator before the closing &&', i - 1 - d, 'CP');
    }
  }
  if (item !== undefined && fast) item.fields = build(pattern, n, vals);
  return { fields, records };
}
