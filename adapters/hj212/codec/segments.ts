// Reassembly of segmented transfers (拆分包, reference §8). Pure: the caller passes the clock.
//
// Packets of one transfer share (MN, CN, PNUM) and, in the standard's style, carry consecutive QNs (…534,
// …535), so a packet's "first QN" is its QN − (PNO − 1). Senders that repeat one QN for every packet, or send
// none (2005 uploads), are matched to the oldest open transfer still missing that PNO.
// Merging: when every packet k > 1 starts with `DataTime=` (record-boundary style, the standard) the records
// are merged (same DataTime → items merged); otherwise (raw-split style, e.g. a CP string cut every 916
// characters) the CP texts are concatenated in PNO order and parsed again (warning segment_raw_split).
import type { CpItem, CpRecord, Hj212Frame } from './types.ts';
import { decodeCpText } from './parse.ts';
import { CP_WARNINGS } from './cp.ts';

export interface ReassemblerOptions {
  /** Drop an incomplete transfer this long after its last packet (srdgame uses 360 s). */
  expiryMs: number;
  /** Grammar for re-parsing raw-split CP text (default lenient). */
  mode?: 'strict' | 'lenient';
  /** Most open transfers held at once; beyond it the least recently active one is dropped (reported by expire()). Default 1024. */
  maxOpen?: number;
}

interface OpenSet {
  key: string;
  firstQn?: string;
  parts: Map<number, Hj212Frame>;
  pnum: number;
  lastSeen: number;
}

const hasQnDigits = (qn: string | undefined): qn is string => qn !== undefined && qn.length > 0 && qn.length <= 20 && /^\d+$/.test(qn);

function qnMinus(qn: string, k: number): string {
  const s = (BigInt(qn) - BigInt(k)).toString();
  return s.length >= qn.length ? s : s.padStart(qn.length, '0');
}

export class Reassembler {
  private readonly expiryMs: number;
  private readonly mode: 'strict' | 'lenient';
  private readonly maxOpen: number;
  private readonly sets: OpenSet[] = [];
  private dropped: Hj212Frame[] = [];

  constructor(opts: ReassemblerOptions) {
    this.expiryMs = opts.expiryMs;
    this.mode = opts.mode ?? 'lenient';
    this.maxOpen = opts.maxOpen ?? 1024;
  }

  /** Open (incomplete) transfers. */
  get open(): number {
    return this.sets.length;
  }

  /**
   * A non-segmented frame (no PNUM/PNO, or PNUM 1) comes straight back. A packet is held (`pending: true`)
   * until its transfer is complete; then the merged frame comes back (pnum set, pno undefined, `segments`
   * listing the packets). Throws Hj212Error only when raw-split CP text does not parse once joined.
   */
  add(frame: Hj212Frame, nowMs: number): { frame?: Hj212Frame; pending: boolean } {
    const { pnum, pno } = frame;
    if (pnum === undefined || pno === undefined || pnum <= 1) return { frame, pending: false };
    const key = `${frame.mn ?? ''}\u0000${frame.cn}\u0000${pnum}`;
    const firstQn = hasQnDigits(frame.qn) ? qnMinus(frame.qn, pno - 1) : undefined;

    let set: OpenSet | undefined;
    if (firstQn !== undefined) set = this.sets.find((s) => s.key === key && s.firstQn === firstQn);
    if (set === undefined) {
      // one QN for every packet, or no QN: the oldest open transfer still missing this PNO
      set = this.sets.find((s) => s.key === key && !s.parts.has(pno) &&
        (frame.qn === undefined || [...s.parts.values()].every((p) => p.qn === frame.qn) || s.firstQn === undefined));
    }
    if (set === undefined) {
      if (this.sets.length >= this.maxOpen) {
        let oldest = 0;
        for (let k = 1; k < this.sets.length; k++) if (this.sets[k]!.lastSeen < this.sets[oldest]!.lastSeen) oldest = k;
        this.drop(oldest);
      }
      set = { key, firstQn: pno === 1 ? frame.qn : firstQn, parts: new Map(), pnum, lastSeen: nowMs };
      this.sets.push(set);
    }
    if (pno === 1 && frame.qn !== undefined) set.firstQn ??= frame.qn;
    set.parts.set(pno, frame); // a retried packet replaces the earlier copy
    set.lastSeen = nowMs;
    if (set.parts.size < pnum) return { pending: true };
    this.sets.splice(this.sets.indexOf(set), 1);
    return { frame: this.merge(set), pending: false };
  }

  /** Drops transfers idle for expiryMs (and any evicted by maxOpen); returns their packets for reporting. */
  expire(nowMs: number): Hj212Frame[] {
    const out = this.dropped;
    this.dropped = [];
    for (let k = this.sets.length - 1; k >= 0; k--) {
      if (nowMs - this.sets[k]!.lastSeen >= this.expiryMs) this.drop(k, out);
    }
    return out;
  }

  private drop(index: number, into: Hj212Frame[] = this.dropped): void {
    const [set] = this.sets.splice(index, 1);
    into.push(...[...set!.parts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
  }

  private merge(set: OpenSet): Hj212Frame {
    const parts = [...set.parts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    const first = parts[0]!;
    const warnings: string[] = [];
    for (const p of parts) for (const w of p.warnings) if (!warnings.includes(w)) warnings.push(w);
    const recordStyle = parts.slice(1).every((p) => p.cpText.trimStart().startsWith('DataTime=') || p.cpText.trim() === '');
    let cp: Hj212Frame['cp'];
    let cpText: string;
    if (recordStyle) {
      cp = { fields: {}, records: [] };
      for (const p of parts) {
        Object.assign(cp.fields, p.cp.fields);
        for (const r of p.cp.records) mergeRecord(cp.records, r);
      }
      cpText = parts.map((p) => p.cpText).filter((t) => t !== '').join(';');
    } else {
      // the packets' own CP warnings describe cut text, not the joined CP: keep only the others, re-parse
      for (let k = warnings.length - 1; k >= 0; k--) if (CP_WARNINGS.has(warnings[k]!)) warnings.splice(k, 1);
      cpText = parts.map((p) => p.cpText).join('');
      cp = decodeCpText(cpText, this.mode, warnings);
      if (!warnings.includes('segment_raw_split')) warnings.push('segment_raw_split');
    }
    return {
      ...first,
      pno: undefined,
      pnum: set.pnum,
      cp,
      cpText,
      warnings,
      byteLength: parts.reduce((n, p) => n + p.byteLength, 0),
      segments: parts.map((p) => ({ qn: p.qn, pno: p.pno!, byteLength: p.byteLength })),
    };
  }
}

function mergeRecord(into: CpRecord[], r: CpRecord): void {
  const same = r.dataTime === undefined ? undefined : into.find((x) => x.dataTime === r.dataTime);
  if (same === undefined) {
    into.push({ dataTime: r.dataTime, fields: { ...r.fields }, items: r.items.map((i) => ({ code: i.code, fields: { ...i.fields } })) });
    return;
  }
  Object.assign(same.fields, r.fields);
  for (const it of r.items) {
    const existing: CpItem | undefined = same.items.find((x) => x.code === it.code);
    if (existing) Object.assign(existing.fields, it.fields);
    else same.items.push({ code: it.code, fields: { ...it.fields } });
  }
}
