// Helper functions every mapping expression can call, besides JSONata's own.

/** `$entries(obj)`: [{key, value}] of an object, for name-keyed payloads (`{"GD-001": {...}}`). */
export function entries(obj: unknown): { key: string; value: unknown }[] | undefined {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  return Object.entries(obj as Record<string, unknown>).map(([key, value]) => ({ key, value }));
}

export interface SenmlRecord {
  n: string; bn: string; name: string; u?: string; v?: number; vs?: string; vb?: boolean; vd?: string; s?: number; t: number; ut?: number;
  /** Conveniences: `n` up to its last `/` or `:` and the rest; the numeric value v, else vb, else s. */
  device?: string; field: string; value?: number | boolean;
}

const REL_LIMIT = 2 ** 28;

/**
 * `$senml(pack)`: an RFC 8428 SenML pack resolved (§4.6): base name/time/unit/value/sum applied and
 * carried forward, relative times (< 2^28 s) made absolute against the receive time. Each record gets
 * `n` (full name), `bn` (base name in effect), `name` (its own n), `t` in epoch seconds, and its values; plus
 * `device`/`field` (n split at its last `/` or `:`) and `value` (v, else vb, else s).
 * Records carrying no value (only base fields) are left out.
 */
export function senml(pack: unknown, nowMs: number): SenmlRecord[] | undefined {
  const list = Array.isArray(pack) ? pack : pack && typeof pack === 'object' ? [pack] : undefined;
  if (!list) return undefined;
  let bn = '', bt = 0, bu: string | undefined, bv = 0, bs = 0;
  const out: SenmlRecord[] = [];
  for (const r of list as Record<string, unknown>[]) {
    if (!r || typeof r !== 'object') continue;
    if (typeof r.bn === 'string') bn = r.bn;
    if (typeof r.bt === 'number') bt = r.bt;
    if (typeof r.bu === 'string') bu = r.bu;
    if (typeof r.bv === 'number') bv = r.bv;
    if (typeof r.bs === 'number') bs = r.bs;
    const has = ['v', 'vs', 'vb', 'vd', 's'].some((k) => r[k] !== undefined);
    if (!has) continue;
    let t = bt + (typeof r.t === 'number' ? r.t : 0);
    if (t < REL_LIMIT) t = nowMs / 1000 + t;
    const name = typeof r.n === 'string' ? r.n : '';
    const full = bn + name;
    const cut = Math.max(full.lastIndexOf('/'), full.lastIndexOf(':'));
    const rec: SenmlRecord = { n: full, bn, name, t, field: full.slice(cut + 1) };
    if (cut > 0) rec.device = full.slice(0, cut);
    const u = typeof r.u === 'string' ? r.u : bu;
    if (u !== undefined) rec.u = u;
    if (typeof r.v === 'number') rec.v = bv + r.v;
    if (typeof r.vs === 'string') rec.vs = r.vs;
    if (typeof r.vb === 'boolean') rec.vb = r.vb;
    if (typeof r.vd === 'string') rec.vd = r.vd;
    if (typeof r.s === 'number') rec.s = bs + r.s;
    if (typeof r.ut === 'number') rec.ut = r.ut;
    const value = rec.v ?? rec.vb ?? rec.s;
    if (value !== undefined) rec.value = value;
    out.push(rec);
  }
  return out;
}
