// A small seeded PRNG (sfc32) so that `--seed S` makes every worker's sequence of inputs reproducible.
// Math.random cannot be seeded; a run must be replayable from its seed alone.

export class Rng {
  private a: number; private b: number; private c: number; private d: number;

  /** One independent stream per (seed, stream): worker k of a run draws from stream k. */
  constructor(seed: number, stream = 0) {
    this.a = 0x9e3779b9 ^ seed; this.b = 0x243f6a88 ^ Math.imul(stream + 1, 0x85ebca6b); this.c = 0xb7e15162 ^ stream; this.d = 1;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number { return n <= 0 ? 0 : Math.floor((this.u32() / 4294967296) * n); }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  /** Small values more often than large: a size up to max with a log-uniform spread. */
  size(max: number): number { return Math.floor(Math.exp((this.u32() / 4294967296) * Math.log(max + 1))) - 1 + (this.chance(0.5) ? 0 : 1); }
  bytes(n: number): Buffer { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff; return b; }
  /** Weighted choice: [[weight, value], …]. */
  weighted<T>(xs: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [w] of xs) total += w;
    let r = (this.u32() / 4294967296) * total;
    for (const [w, v] of xs) { if ((r -= w) < 0) return v; }
    return xs[xs.length - 1]![1];
  }
}
