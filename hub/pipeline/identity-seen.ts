// Dedup within a batch by identity (point, kind, time) without a string per reading: identityKey() built one per
// reading (its time as text, then the joined key), a share of the CPU and garbage of every large batch. A number
// hash finds the earlier row with the same hash, which is compared field by field; the rare other identity with the
// same hash is kept under its exact key.
import { identityKey } from '../store/rows.ts';

interface Identity { pointId: number; kind: string; timeMs: number }

/** A 30-bit integer (a small integer to V8 on every build: no allocation as a Map key). */
function hash(pointId: number, kind: string, timeMs: number): number {
  let h = Math.imul(pointId, 0x9e3779b1) ^ (timeMs | 0) ^ Math.imul((timeMs / 4294967296) | 0, 0x85ebca6b) ^ Math.imul(kind.charCodeAt(0), 0xc2b2ae35);
  h ^= h >>> 15;
  return h & 0x3fffffff;
}

export class IdentitySeen {
  private readonly byHash = new Map<number, number>();
  private exact?: Map<string, number>;

  /** `rows`: the rows kept so far, which the indexes given to firstOf() name. */
  constructor(private readonly rows: ReadonlyArray<Identity>) {}

  /** The index of an earlier row with this identity; else undefined, and `index` is remembered as this identity's. */
  firstOf(pointId: number, kind: string, timeMs: number, index: number): number | undefined {
    const h = hash(pointId, kind, timeMs);
    const prior = this.byHash.get(h);
    if (prior === undefined) { this.byHash.set(h, index); return undefined; }
    const r = this.rows[prior]!;
    if (r.pointId === pointId && r.timeMs === timeMs && r.kind === kind) return prior;
    const key = identityKey(pointId, kind, timeMs);
    this.exact ??= new Map();
    const other = this.exact.get(key);
    if (other !== undefined) return other;
    this.exact.set(key, index);
    return undefined;
  }
}
