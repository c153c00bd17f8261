// Numbers as devices meant them: a single-precision float widened to a double carries noise in its last digits.

/**
 * The shortest decimal that is the same float32 (123.456, not 123.45600128173828): lossless, since
 * Math.fround(result) === v, and what the device's own display shows. For a value that is not a float32
 * (Math.fround(v) !== v) the shortest decimal of its float32 is returned. Used for Modbus float32 registers and
 * OPC UA Float values.
 * @category Adapter
 */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const f = Math.fround(v);
  // Fewer digits never round-trip when more do not, so search 1…9 (9 always round-trips a float32).
  // Sensor values mostly need 6–8 digits: try 7 first, then narrow down or up.
  const d7 = Number(f.toPrecision(7));
  let lo: number, hi: number, best: number;
  if (Math.fround(d7) === f) { best = d7; lo = 1; hi = 6; } else { best = Number(f.toPrecision(9)); lo = 8; hi = 8; }
  while (lo <= hi) {
    const p = (lo + hi) >> 1;
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) { best = d; hi = p - 1; } else lo = p + 1;
  }
  return best;
}
