// The CP data area grammar (reference §5): `key=value` entries separated by `;` or `,` (interchangeable in
// practice), `code-Suffix` keys grouped into items by the prefix before the last `-`, a new record at every
// `DataTime=`, `//…//` values opaque, empty value → null. Hand-written scanning over one string: no regex,
// no split().
//
// Speed: an item's sub-values are collected while its entries are contiguous (the normal case) and turned
// into its `fields` object at once by a constructor specialised for that suffix sequence (Rtd,Flag /
// Avg,Min,Max,Cou,Flag …; object literal, cached), instead of one dynamic keyed store per value.
import type { CpItem, CpRecord } from './types.ts';
import { deviate, type DecodeCtx } from './context.ts';

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

function ctorFor(pattern: number, n: number): Ctor | undefined {
  let c = ctors.get(pattern);
  if (c !== undefined) return c;
  if (ctors.size >= MAX_CTORS) return undefined;
  const names: string[] = [];
  for (let k = 0, p = pattern; k < n; k++, p = Math.floor(p / 32)) names.unshift(SUFFIXES[p % 32]!);
  // Property names come from the fixed SUFFIXES list above, never from the wire.
  c = new Function('v', `return {${names.map((s, i) => `${JSON.stringify(s)}:v[${i}]`).join(',')}}`) as Ctor;
  ctors.set(pattern, c);
  return c;
}

/** Suffix id of t[s, e): 0 when not one of SUFFIXES. */
function suffixId(t: string, s: number, e: number): number {
  const n = e - s;
  const c = t.charCodeAt(s);
  if (n === 3) {
    const c1 = t.charCodeAt(s + 1), c2 = t.charCodeAt(s + 2);
    if (c === 82 && c1 === 116 && c2 === 100) return 1; // Rtd
    if (c === 65 && c1 === 118 && c2 === 103) return 3; // Avg
    if (c === 77) { if (c1 === 105 && c2 === 110) return 4; if (c1 === 97 && c2 === 120) return 5; } // Min Max
    if (c === 67 && c1 === 111 && c2 === 117) return 6; // Cou
  } else if (n === 4 && c === 70 && t.charCodeAt(s + 1) === 108 && t.charCodeAt(s + 2) === 97 && t.charCodeAt(s + 3) === 103) {
    return 2; // Flag
  }
  if (n < 2 || n > 10) return 0;
  return SUFFIX_ID.get(t.substring(s, e)) ?? 0;
}

function sameCode(t: string, s: number, e: number, code: string): boolean {
  if (code.length !== e - s) return false;
  for (let k = 0; k < code.length; k++) if (t.charCodeAt(s + k) !== code.charCodeAt(k)) return false;
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

const isSep = (c: number) => c === 59 || c === 44;

/** The item whose sub-values are being collected. */
class Open {
  item: CpItem | undefined = undefined;
  /** collecting into vals (fast) or storing into item.fields (generic) */
  fast = true;
  pattern = 0;
  mask = 0;
  n = 0;
  readonly vals: (string | null)[] = [];

  close(): void {
    const item = this.item;
    if (item === undefined) return;
    if (this.fast) item.fields = this.materialize();
    this.item = undefined;
  }

  /** The collected values as an object (keeps wire order). */
  materialize(): Fields {
    const n = this.n;
    const c = ctorFor(this.pattern, n);
    if (c !== undefined) return c(this.vals);
    const f: Fields = {};
    for (let k = n - 1, p = this.pattern; k >= 0; k--, p = Math.floor(p / 32)) this.tmp[k] = SUFFIXES[p % 32]!;
    for (let k = 0; k < n; k++) f[this.tmp[k]!] = this.vals[k]!;
    return f;
  }
  private readonly tmp: string[] = [];
}

/** Parses ctx.text[s, e) (the text between `CP=&&` and `&&`). */
export function parseCp(ctx: DecodeCtx, s: number, e: number): CpData {
  const t = ctx.text;
  const fields: Fields = {};
  const records: CpRecord[] = [];
  const open = new Open();
  let rec: CpRecord | undefined;
  let i = s;
  while (i < e) {
    let c = t.charCodeAt(i);
    if (isSep(c)) {
      deviate(ctx, 'empty_entry', 'HJ212_BAD_CP', 'empty CP entry (two separators in a row, or a separator right after CP=&&)', i, 'CP');
      i++;
      continue;
    }
    // key
    const ks = i;
    let dash = -1;
    let ws = false;
    while (i < e) {
      c = t.charCodeAt(i);
      if (c === 61 || c === 59 || c === 44) break;
      if (c === 45) dash = i;
      else if (c <= 32) ws = true;
      i++;
    }
    const ke = i;
    let vs = i, ve = i;
    let isolated = false;
    if (i < e && c === 61) {
      i++;
      vs = i;
      if (i + 1 < e && t.charCodeAt(i) === 47 && t.charCodeAt(i + 1) === 47) {
        // `//…//`: opaque up to a `//` followed by a separator or the end of CP
        let j = t.indexOf('//', i + 2);
        while (j >= 0 && j + 2 < e && !isSep(t.charCodeAt(j + 2))) j = t.indexOf('//', j + 1);
        if (j >= 0 && j + 2 <= e) {
          i = j + 2;
        } else {
          deviate(ctx, 'info_unterminated', 'HJ212_BAD_CP', 'a `//…//` value is not closed by `//` before a separator or the end of CP', vs, 'CP');
          while (i < e && !isSep(t.charCodeAt(i))) i++;
        }
      } else {
        while (i < e && !isSep(t.charCodeAt(i))) i++;
      }
      ve = i;
    } else {
      isolated = true;
      deviate(ctx, 'isolated_key', 'HJ212_BAD_CP', `CP entry "${t.substring(ks, ke)}" has no "="`, ks, 'CP');
    }
    // whitespace (the standard's own examples have some): strict rejects, lenient trims
    let code: string | undefined;
    let sub: string | undefined;
    let key: string | undefined;
    if (ws || (vs < ve && (t.charCodeAt(vs) <= 32 || t.charCodeAt(ve - 1) <= 32))) {
      deviate(ctx, 'whitespace_trimmed', 'HJ212_BAD_CP', 'whitespace around a CP key or value', ks, 'CP');
      key = t.substring(ks, ke).trim();
      const d = key.lastIndexOf('-');
      if (d >= 0) { code = key.slice(0, d).trim(); sub = key.slice(d + 1).trim(); }
      else dash = -1;
      while (vs < ve && t.charCodeAt(vs) <= 32) vs++;
      while (ve > vs && t.charCodeAt(ve - 1) <= 32) ve--;
    }
    const value = isolated || vs === ve ? null : t.substring(vs, ve);

    if (dash < 0) {
      key ??= t.substring(ks, ke);
      if (key.length === 0) {
        deviate(ctx, 'empty_key', 'HJ212_BAD_CP', 'CP entry with an empty key', ks, 'CP');
      } else if (key === 'DataTime') {
        open.close();
        rec = { dataTime: value ?? undefined, fields: {}, items: [] };
        records.push(rec);
      } else {
        put(ctx, rec ? rec.fields : fields, key, value, ks);
      }
    } else {
      // item entry: code-sub
      let id = 0;
      if (code === undefined) {
        if (open.item !== undefined && sameCode(t, ks, dash, open.item.code)) code = open.item.code;
        else code = t.substring(ks, dash);
        id = suffixId(t, dash + 1, ke);
        sub = id > 0 ? SUFFIXES[id]! : t.substring(dash + 1, ke);
      } else {
        id = SUFFIX_ID.get(sub!) ?? 0;
      }
      if (code.length === 0 || sub!.length === 0) {
        deviate(ctx, 'empty_key', 'HJ212_BAD_CP', `CP key "${t.substring(ks, ke)}" has an empty factor code or suffix`, ks, 'CP');
      }
      if (rec === undefined) {
        rec = { dataTime: undefined, fields: {}, items: [] };
        records.push(rec);
      }
      if (open.item === undefined || open.item.code !== code) {
        open.close();
        const items = rec.items;
        let found: CpItem | undefined;
        for (let k = items.length - 1; k >= 0; k--) if (items[k]!.code === code) { found = items[k]; break; }
        if (found !== undefined) {
          // the item's entries are not contiguous: store into its existing fields
          open.item = found;
          open.fast = false;
        } else {
          const item: CpItem = { code, fields: null as unknown as Fields };
          items.push(item);
          open.item = item;
          open.fast = true;
          open.pattern = 0;
          open.mask = 0;
          open.n = 0;
        }
      }
      if (open.fast) {
        const bit = id > 0 ? 1 << id : 0;
        if (bit !== 0 && (open.mask & bit) === 0 && open.n < MAX_PATTERN) {
          open.pattern = open.pattern * 32 + id;
          open.mask |= bit;
          open.vals[open.n++] = value;
        } else {
          open.item!.fields = open.materialize();
          open.fast = false;
        }
      }
      if (!open.fast) put(ctx, open.item!.fields, sub!, value, ks);
    }
    if (i < e) {
      i++; // separator
      if (i === e) deviate(ctx, 'trailing_separator', 'HJ212_BAD_CP', 'CP ends with a separator before the closing &&', i - 1, 'CP');
    }
  }
  open.close();
  return { fields, records };
}
