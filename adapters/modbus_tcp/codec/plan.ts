// Pure request planner: merge the points of one unit into as few read requests as the protocol allows.
import { isBitFunction, registerCount, type ModbusFunction, type PointSpec } from './types.ts';

export interface PlanOptions {
  /** Registers per read request (protocol maximum 125 for FC 3/4). */
  maxRegisters?: number;
  /** Bits per read request (protocol maximum 2000 for FC 1/2). */
  maxBits?: number;
  /** Largest run of unused registers a request may span to merge two points (0: only adjacent). */
  maxGapRegisters?: number;
  /** Largest run of unused bits a request may span. */
  maxGapBits?: number;
}

/** One read request and where each of its points sits in the answer. */
export interface ReadRequest {
  function: ModbusFunction;
  address: number;
  /** Registers (FC 3/4) or bits (FC 1/2). */
  count: number;
  /** Points in the request with their position (register or bit index) in the answer. */
  points: Array<{ point: PointSpec; index: number; count: number }>;
}

export const PROTOCOL_MAX_REGISTERS = 125;
export const PROTOCOL_MAX_BITS = 2000;

/**
 * Plan the reads for a register map: per function, points sorted by address, merged while the request stays
 * within the size limit and the hole between two points is at most the allowed gap. Overlapping points
 * (a bit-in-register next to the whole register) share a request. Deterministic.
 */
export function planReads(points: readonly PointSpec[], o: PlanOptions = {}): ReadRequest[] {
  const maxReg = Math.min(o.maxRegisters ?? PROTOCOL_MAX_REGISTERS, PROTOCOL_MAX_REGISTERS);
  const maxBits = Math.min(o.maxBits ?? PROTOCOL_MAX_BITS, PROTOCOL_MAX_BITS);
  const out: ReadRequest[] = [];
  const order: ModbusFunction[] = ['coils', 'discrete_inputs', 'holding_registers', 'input_registers'];
  for (const fn of order) {
    const bits = isBitFunction(fn);
    const max = bits ? maxBits : maxReg;
    const gap = Math.max(0, bits ? o.maxGapBits ?? 0 : o.maxGapRegisters ?? 0);
    const list = points
      .filter((p) => p.function === fn)
      .map((p) => ({ p, n: bits ? 1 : registerCount(p) }))
      .sort((a, b) => a.p.address - b.p.address || b.n - a.n);
    let cur: { address: number; end: number; items: Array<{ p: PointSpec; n: number }> } | undefined;
    const close = () => {
      if (!cur) return;
      out.push({ function: fn, address: cur.address, count: cur.end - cur.address, points: cur.items.map(({ p, n }) => ({ point: p, index: p.address - cur!.address, count: n })) });
      cur = undefined;
    };
    for (const it of list) {
      const end = it.p.address + it.n;
      if (cur && it.p.address - cur.end <= gap && Math.max(cur.end, end) - cur.address <= max) {
        cur.end = Math.max(cur.end, end);
        cur.items.push(it);
        continue;
      }
      close();
      cur = { address: it.p.address, end, items: [it] };
    }
    close();
  }
  return out;
}
