// Byte-level mutations of a valid input (AFL-style): flips, random bytes, insertions of nasty bytes,
// deletions, duplications, truncation. Each returns a new buffer and a short name for reports.
import type { Rng } from './rng.ts';
import { BAD_UTF8, FIELD_BREAKERS } from './nasty.ts';

export type ByteMutation = { name: string; bytes: Buffer };

const INTERESTING = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x23, 0x26, 0x2c, 0x3b, 0x3d, 0x7f, 0x80, 0xff, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d];

export function mutateBytes(rng: Rng, input: Buffer, rounds = 1 + rng.int(3)): ByteMutation {
  let b = Buffer.from(input);
  const names: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(b.length + 1);
    const kind = rng.int(8);
    switch (kind) {
      case 0: if (b.length) { b[Math.min(at, b.length - 1)]! ^= 1 << rng.int(8); } names.push('bitflip'); break;
      case 1: if (b.length) { b[Math.min(at, b.length - 1)] = rng.pick(INTERESTING); } names.push('byte'); break;
      case 2: { const ins = rng.chance(0.5) ? rng.pick(BAD_UTF8) : Buffer.from(rng.pick(FIELD_BREAKERS), 'latin1'); b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]); names.push('insert'); break; }
      case 3: { const n = rng.size(Math.max(1, b.length - at)); b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]); names.push('delete'); break; }
      case 4: { const n = rng.size(Math.max(1, b.length - at)); const piece = b.subarray(at, at + n); b = Buffer.concat([b.subarray(0, at + n), piece, b.subarray(at + n)]); names.push('duplicate'); break; }
      case 5: b = b.subarray(0, at); names.push('truncate'); break;
      case 6: { const ins = rng.bytes(rng.size(64)); b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]); names.push('random'); break; }
      default: { const n = rng.size(Math.max(1, b.length)); const from = rng.int(Math.max(1, b.length)); b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + n), b.subarray(at)]); names.push('splice'); }
    }
  }
  return { name: names.join('+'), bytes: b };
}
