// The kit's ingest boundary: wraps the hub's real pipeline (createIngest) and, per phase, holds commits back or fails
// the first calls with a retryable or permanent error before anything is stored. It records which sequence numbers
// were committed (accepted), once or more, and which committed readings the source never sent (phantoms).
import type { SourceReading, IngestResult } from '../../hub/sdk/index.ts';
import { LifelineError } from '../../hub/sdk/errors.ts';
import type { Ingest } from '../../hub/pipeline/ingest.ts';
import { scanCodes } from './static-checks.ts';

export type Fault = 'retryable' | 'permanent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultyIngest {
  /** seq → how many times a record carrying it was accepted (stored), and the event of the first. */
  readonly stored = new Map<number, { count: number; event: number }>();
  /** Every seq the kit asked the source to send. */
  readonly sent = new Set<number>();
  /** seq → the reason it was quarantined instead of stored (a driver whose registry does not fit its readings). */
  readonly quarantined = new Map<number, string>();
  private readonly phantom: Array<{ value: unknown; event: number; phase: string }> = [];
  private phase = '';
  /** The ingest calls the kit failed, by phase (evidence). */
  readonly faultEvents: Array<{ phase: string; event: number }> = [];
  seqOf: (r: SourceReading) => number | null = () => null;
  onBeforeCommit?: () => void;
  lastCallAt = 0;
  /** Seqs of calls inside the real commit right now: an acknowledgement seen meanwhile is judged after it. */
  readonly committing = new Set<number>();
  private faults: Fault[] = [];
  private slow = false;
  private phaseSeqs: readonly number[] = [];
  private readonly closed = new Set<number>();
  private calls = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly real: Ingest, private readonly note: (t: string) => number, private readonly codes: Map<string, string>) {}

  /** Faults for the next calls that carry one of `seqs` (a live array: the phase adds its batches to it). */
  arm(phase: string, faults: Fault[], slow: boolean, seqs: readonly number[]) {
    this.phase = phase;
    this.faults = [...faults];
    this.slow = slow;
    this.phaseSeqs = seqs;
  }

  disarm() { this.faults = []; this.slow = false; }

  /** Resolves when the next call carrying a phase reading enters the boundary. */
  nextCall(): Promise<void> { return new Promise((r) => this.waiters.push(r)); }

  /** The hub stopped this instance: its store is closed to it from now on. */
  close(generation: number) { this.closed.add(generation); }

  /** Readings committed during `phase` that carry a number the kit never asked the source to send. */
  phantomsIn(phase: string): Array<{ value: unknown; event: number }> { return this.phantom.filter((p) => p.phase === phase); }

  /** Committed: stored, or (a driver problem) quarantined. */
  committed(seq: number): boolean { return this.stored.has(seq) || this.quarantined.has(seq); }

  forGeneration(gen: number): Ingest {
    return async (adapter: string, batch: SourceReading[], opts?: Parameters<Ingest>[2]): Promise<IngestResult> => {
      const call = ++this.calls;
      this.lastCallAt = Date.now();
      for (const r of opts?.rejected ?? []) scanCodes({ code: r.reason }, 'quarantine reason', this.codes);
      const seqs = batch.map((r) => this.seqOf(r));
      const mine = seqs.some((s) => s !== null && this.phaseSeqs.includes(s));
      const list = seqs.filter((s) => s !== null).join(', ');
      if (mine) { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
      const fault = mine ? this.faults.shift() : undefined;
      const quietCall = !list && !opts?.checkpoint && !opts?.rejected?.length; // an idle value: counted, not logged
      const ev = quietCall ? 0 : this.note(`ingest call #${call}: ${batch.length} reading(s)${list ? ` (seq ${list})` : ''}${opts?.checkpoint ? `, checkpoint ${JSON.stringify(opts.checkpoint.value)}` : ''}${fault ? `; the kit fails it (${fault})` : ''}`);
      await sleep(this.slow && mine ? 300 : 25);
      this.onBeforeCommit?.();
      if (this.closed.has(gen)) {
        this.note(`ingest call #${call}: the store is closed (stop() resolved): STORE_UNAVAILABLE`);
        throw new LifelineError('STORE_UNAVAILABLE', 'the hub is stopping: the store is closed (conformance kit)', { retryable: true });
      }
      if (fault) this.faultEvents.push({ phase: this.phase, event: ev });
      if (fault === 'retryable') throw new LifelineError('STORE_COMMIT_FAILED', 'injected by the conformance kit: the transaction failed and was rolled back; nothing was stored. Retry.', { retryable: true });
      if (fault === 'permanent') throw new LifelineError('INGEST_INVALID', 'injected by the conformance kit: the batch was refused permanently; nothing was stored.', { retryable: false });
      const inside = seqs.filter((s): s is number => s !== null);
      for (const s of inside) this.committing.add(s);
      let res: IngestResult;
      try { res = await this.real(adapter, batch, opts); } finally { for (const s of inside) this.committing.delete(s); }
      this.lastCallAt = Date.now();
      const done = quietCall ? 0 : this.note(`ingest call #${call} committed: ${res.accepted} accepted, ${res.duplicates} duplicate, ${res.quarantined} quarantined`);
      // (committing was cleared above, but what follows runs in the same tick: no acknowledgement poll runs between)
      res.results.forEach((r, i) => {
        const s = seqs[i];
        if (s === null || s === undefined) return;
        if (r.outcome === 'quarantined' && Number.isInteger(s)) { this.quarantined.set(s, r.reason); return; }
        if (r.outcome !== 'accepted') return;
        if (!Number.isInteger(s) || !this.sent.has(s)) { this.phantom.push({ value: batch[i]!.value ?? s, event: done, phase: this.phase }); return; }
        const e = this.stored.get(s);
        if (e) e.count++;
        else this.stored.set(s, { count: 1, event: done });
      });
      return res;
    };
  }
}
