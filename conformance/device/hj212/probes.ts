// The active cases: the kit withholds or falsifies answers (retransmission, negative cases) and sends the
// commands the device declares (1011, 1012, history). Each probe writes its outcome into the session.
import { wallTime14, wallTimeMs, QnSource } from '../../../adapters/hj212/transport/qn.ts';
import { flagFor, type BuildInput } from '../../../adapters/hj212/codec/index.ts';
import { passed, failed, warned, type Outcome, type Evidence } from '../../model.ts';
import type { KitPlatform, Rx } from './platform.ts';
import { DEFAULT_PERIOD_S, type Declared } from './declared.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
export const keyOf = (rx: Rx) => `${rx.frame?.mn ?? ''}|${rx.frame?.qn ?? ''}`;
const same = (a: Rx, b: Rx) => Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes)) === 0;
const frameEv = (rx: Rx, text: string): Evidence => ({ kind: 'frame', event: rx.n, text });
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Shared state of one run: what probes claimed, which QNs the kit used, which frames answer a history request. */
export class Hj212Session {
  readonly outcomes = new Map<string, Outcome>();
  readonly kitQns = new Set<string>();
  readonly historyFrames = new Set<number>();
  /** Frames after which the device's clock was moved by the kit (1012): excluded from the DataTime check. */
  setWindow?: [number, number];
  /** Per MN|QN: the first frame seen and when the kit acknowledged it properly. */
  readonly first = new Map<string, Rx>();
  readonly ackedAt = new Map<string, number>();
  /** Frames that repeat an earlier frame byte for byte (resends); every other frame is a first transmission. */
  readonly copies = new Set<number>();
  private readonly contents = new Map<string, Uint8Array[]>();
  private readonly claims = new Map<string, (rx: Rx) => void>();
  private claimQueue: Array<(rx: Rx) => void> = [];
  private readonly qns: QnSource;
  private historyOpen?: { cn: string; before: string };
  deviceSt?: string;
  readonly otMs: number;

  constructor(readonly p: KitPlatform, readonly d: Declared, readonly tolMs: number) {
    this.qns = new QnSource({ now: Date.now }, d.zone);
    this.otMs = (d.retx?.overTimeS ?? 10) * 1000;
  }

  get retxCn(): string { return this.d.uploads['2011'] !== undefined ? '2011' : Object.keys(this.d.uploads)[0] ?? '2011'; }

  /** Platform hook: every frame comes here first; the kit answers unless a probe claimed the frame. */
  intercept(rx: Rx): boolean {
    const f = rx.frame;
    if (f?.st && f.mn === this.d.mn && !f.cn.startsWith('90')) this.deviceSt ??= f.st;
    if (f && this.historyOpen && f.cn === this.historyOpen.cn && (f.cp.records[0]?.dataTime ?? '').slice(0, 14) < this.historyOpen.before) this.historyFrames.add(rx.n);
    const key = keyOf(rx);
    const fresh = f?.qn !== undefined && !this.first.has(key);
    if (fresh) this.first.set(key, rx);
    else if (f?.qn !== undefined && (this.contents.get(key) ?? []).some((b) => Buffer.compare(b, rx.bytes) === 0)) this.copies.add(rx.n);
    if (f?.qn !== undefined && !this.copies.has(rx.n)) this.contents.set(key, [...(this.contents.get(key) ?? []), rx.bytes]);
    const claim = this.claims.get(key);
    if (claim && f) { claim(rx); return true; }
    if (fresh && f && this.claimQueue.length && f.mn === this.d.mn && f.cn === this.retxCn && f.ackRequested && !f.segmented && !this.historyFrames.has(rx.n)) {
      this.claimQueue.shift()!(rx);
      return true;
    }
    this.ack(rx);
    return true;
  }

  ack(rx: Rx, opts: { corruptCrc?: boolean; qn?: string } = {}): number | undefined {
    const n = this.p.answer(rx, opts);
    if (n !== undefined && !opts.corruptCrc && !opts.qn && rx.frame?.cn !== '9015') this.ackedAt.set(keyOf(rx), Math.min(this.ackedAt.get(keyOf(rx)) ?? Infinity, Date.now()));
    return n;
  }

  /** The next fresh upload of the retransmission CN, withheld from the default answer; later copies go to `onCopy`. */
  private claimNext(untilMs: number, onCopy: (rx: Rx) => void): Promise<Rx | undefined> {
    return new Promise((resolve) => {
      const take = (rx: Rx) => { clearTimeout(timer); this.claims.set(keyOf(rx), (c) => (same(c, rx) ? onCopy(c) : this.ack(c))); resolve(rx); };
      const timer = setTimeout(() => { this.claimQueue = this.claimQueue.filter((x) => x !== take); resolve(undefined); }, Math.max(0, untilMs - Date.now()));
      this.claimQueue.push(take);
    });
  }
  private release(rx: Rx) { this.claims.delete(keyOf(rx)); }

  private set(id: string, o: Outcome) { this.outcomes.set(id, o); }
  private window() { return { lo: 0.5 * this.otMs - 250, hi: 1.5 * this.otMs + 500 }; }

  /** RETX-001/002: withhold the 9014 for good; the same bytes must come back 1 + ReCount times, OverTime apart. */
  async withholdAll(deadline: number) {
    const copies: Rx[] = [];
    const first = await this.claimNext(deadline, (c) => copies.push(c));
    if (!first) { const o = warned(`no ${this.retxCn} upload with A=1 to withhold before the run ended`); this.set('HJ212-RETX-001', o); this.set('HJ212-RETX-002', o); return; }
    const note = this.p.note(`probe RETX-001/002: withholding the 9014 for QN ${first.frame!.qn} (frame #${first.n}) for good`);
    const rc = this.d.retx!.reCount;
    await sleep(first.t + (rc + 1) * this.window().hi + 1000 - Date.now());
    this.release(first);
    const all = [first, ...copies];
    const gaps = all.slice(1).map((c, i) => c.t - all[i]!.t);
    const { lo, hi } = this.window();
    const ev: Evidence[] = [{ kind: 'note', event: note, text: 'kit withheld the 9014' }, ...all.slice(0, 6).map((r, i) => frameEv(r, i ? `copy ${i} after ${secs(gaps[i - 1]!)}` : 'first transmission'))];
    const timing: Evidence = { kind: 'timing', text: `OverTime ${this.d.retx!.overTimeS} s (accepted ${secs(lo)}–${secs(hi)}); gaps ${gaps.map(secs).join(', ') || 'none'}` };
    if (!copies.length) this.set('HJ212-RETX-001', failed(`QN ${first.frame!.qn} was never resent in ${secs(Date.now() - first.t)} without a 9014`, [...ev, timing]));
    else if (gaps[0]! < lo || gaps[0]! > hi) this.set('HJ212-RETX-001', failed(`first resend after ${secs(gaps[0]!)}, declared OverTime ${this.d.retx!.overTimeS} s`, [...ev, timing]));
    else this.set('HJ212-RETX-001', passed(`resent with the same QN and bytes after ${secs(gaps[0]!)}`, [...ev, timing]));
    const badGap = gaps.find((g) => g < lo || g > hi);
    if (copies.length !== rc) this.set('HJ212-RETX-002', failed(`${copies.length} resend(s) of QN ${first.frame!.qn}; declared ReCount ${rc}`, [...ev, timing]));
    else if (badGap !== undefined) this.set('HJ212-RETX-002', failed(`${rc} resends, but one came ${secs(badGap)} after the previous (OverTime ${this.d.retx!.overTimeS} s)`, [...ev, timing]));
    else this.set('HJ212-RETX-002', passed(`${rc} resends, then none`, [...ev, timing]));
  }

  /** RETX-003: withhold the first transmission, answer the first resend; no further copy may follow. */
  async answerFirstResend(deadline: number) {
    let resend: Rx | undefined;
    const after: Rx[] = [];
    const first = await this.claimNext(deadline, (c) => {
      if (!resend) { resend = c; this.ack(c); } else { after.push(c); this.ack(c); }
    });
    if (!first) { this.set('HJ212-RETX-003', warned(`no ${this.retxCn} upload with A=1 to test before the run ended`)); return; }
    const note = this.p.note(`probe RETX-003: withholding the first 9014 for QN ${first.frame!.qn} (frame #${first.n}), answering its first resend`);
    await sleep(first.t + this.window().hi - Date.now());
    if (!resend) {
      this.ack(first);
      this.release(first);
      this.set('HJ212-RETX-003', failed(`no resend of QN ${first.frame!.qn} arrived to be answered (answered late instead)`, [{ kind: 'note', event: note, text: 'kit withheld the 9014' }, frameEv(first, 'first transmission')]));
      return;
    }
    await sleep(resend.t + 2 * this.otMs + 1000 - Date.now());
    this.release(first);
    const ev = [{ kind: 'note' as const, event: note, text: 'kit withheld the first 9014' }, frameEv(first, 'first transmission'), frameEv(resend, `resend after ${secs(resend.t - first.t)}, answered 9014`), ...after.slice(0, 3).map((r) => frameEv(r, `copy after the 9014, ${secs(r.t - resend!.t)} later`))];
    this.set('HJ212-RETX-003', after.length ? failed(`QN ${first.frame!.qn} was sent ${after.length} more time(s) after its 9014`, ev) : passed(`no copy in ${secs(2 * this.otMs + 1000)} after the 9014`, ev));
  }

  /** NEG-001/002: a false 9014 (bad CRC, or a QN the device never used); the device must resend. */
  async falseAck(id: 'HJ212-NEG-001' | 'HJ212-NEG-002', deadline: number) {
    let resend: Rx | undefined;
    const first = await this.claimNext(deadline, (c) => { if (!resend) resend = c; this.ack(c); });
    if (!first) { this.set(id, warned(`no ${this.retxCn} upload with A=1 to test before the run ended`)); return; }
    const crc = id === 'HJ212-NEG-001';
    let qn: string | undefined;
    if (!crc) {
      const q = first.frame!.qn!;
      for (let k = 500; !qn || this.first.has(`${this.d.mn}|${qn}`); k += 37) qn = q.slice(0, -3) + String((Number(q.slice(-3)) + k) % 1000).padStart(3, '0');
    }
    const tx = this.ack(first, crc ? { corruptCrc: true } : { qn });
    await sleep(first.t + this.window().hi - Date.now());
    this.release(first);
    const what = crc ? 'a 9014 with a CRC wrong in every dialect' : `a well-formed 9014 for QN ${qn}`;
    const ev: Evidence[] = [frameEv(first, 'upload'), { kind: 'frame', event: tx, text: `kit answered ${what}` }];
    if (resend) { this.set(id, passed(`resent after ${secs(resend.t - first.t)}: ${what} was not taken as an acknowledgement`, [...ev, frameEv(resend, 'resend (then answered properly)')])); return; }
    this.ack(first);
    this.set(id, { status: 'fail', message: `no resend of QN ${first.frame!.qn} after ${what}: the device took it as an acknowledgement`, evidence: ev });
    this.pendingNeg.push(id);
  }
  /** NEG outcomes that rest on the device resending at all (settled once RETX-001 is known). */
  readonly pendingNeg: string[] = [];

  // ----- commands -----------------------------------------------------------------------------------------

  private fmt(ms: number) { return wallTime14(ms, this.d.zone); }

  /** Sends a request and collects the device's frames for it until 9012 (or the timeout). */
  async request(cn: string, fields: Record<string, string | number>, opts: { get?: boolean; history?: { cn: string; before: string } } = {}) {
    const qn = this.qns.next();
    this.kitQns.add(qn);
    if (opts.history) this.historyOpen = opts.history;
    const input: BuildInput = { qn, st: this.d.st ?? this.deviceSt ?? '32', cn, pw: this.d.pw, mn: this.d.mn, flag: flagFor(this.d.version, true, false), cp: { fields } };
    const answers: Rx[] = [];
    const data: Rx[] = [];
    let r9011: Rx | undefined, r9012: Rx | undefined;
    const conn = this.p.current;
    const got: Rx[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.p.subscribe((r) => {
      if (r.frame?.qn === qn || (opts.history !== undefined && this.historyFrames.has(r.n))) { got.push(r); wake?.(); }
    });
    const tx = conn === undefined ? undefined : this.p.send(conn, input);
    const timeout = Date.now() + (this.d.retx ? (this.d.retx.reCount + 1) * this.otMs : 30_000) + 2000;
    const take = async (until: number): Promise<Rx | undefined> => {
      if (!got.length && Date.now() < until) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((res) => { wake = res; timer = setTimeout(res, Math.max(0, until - Date.now())); });
        clearTimeout(timer);
      }
      wake = undefined;
      return got.shift();
    };
    try {
      while (Date.now() < timeout && !r9012) {
        const rx = await take(timeout);
        if (!rx) continue;
        if (this.historyFrames.has(rx.n)) { data.push(rx); continue; }
        answers.push(rx);
        if (rx.frame!.cn === '9011') { r9011 = rx; if (String(rx.frame!.cp.fields.QnRtn) !== '1') break; } else if (rx.frame!.cn === '9012') r9012 = rx;
        else {
          data.push(rx);
          if (opts.get) {
            const until = Date.now() + Math.min(2000, this.otMs);
            for (let e = await take(until); e; e = await take(until)) { answers.push(e); if (e.frame!.cn === '9012') { r9012 = e; break; } }
            break;
          }
        }
      }
    } finally { unsubscribe(); }
    if (opts.history) this.historyOpen = undefined;
    return { qn, tx, answers, data, r9011, r9012 };
  }

  private answerEvidence(r: Awaited<ReturnType<Hj212Session['request']>>, what: string): Evidence[] {
    return [...(r.tx ? [{ kind: 'frame' as const, event: r.tx, text: `kit request ${what}` }] : []), ...[...new Set([...r.answers, ...r.data])].sort((a, b) => a.n - b.n).slice(0, 8).map((a) => frameEv(a, `CN ${a.frame!.cn}`))];
  }

  private qnRtnProblem(r: { r9011?: Rx }): string | undefined {
    if (!r.r9011) return 'no 9011 answer to the request';
    const q = String(r.r9011.frame!.cp.fields.QnRtn ?? '');
    return q === '1' ? undefined : `9011 QnRtn=${q || '(none)'} (1 = ready to execute)`;
  }

  async getTime() {
    const r = await this.request('1011', {}, { get: true });
    const ev = this.answerEvidence(r, '1011 (get time)');
    const bad = this.qnRtnProblem(r);
    if (bad) { this.set('HJ212-CMD-001', failed(bad, ev)); return; }
    const ans = r.data.find((a) => a.frame!.cn === '1011');
    const st = ans?.frame!.cp.fields.SystemTime ?? ans?.frame!.cp.records[0]?.fields.SystemTime;
    if (!ans || typeof st !== 'string') { this.set('HJ212-CMD-001', failed('no 1011 answer with SystemTime and the request QN', ev)); return; }
    const ms = wallTimeMs(st.slice(0, 14), this.d.zone);
    if (ms === undefined) { this.set('HJ212-CMD-001', failed(`SystemTime "${st}" is not a valid time`, ev)); return; }
    const off = ms - ans.t;
    ev.push({ kind: 'value', text: `SystemTime ${st} read in ${this.d.zone}; kit clock ${this.fmt(ans.t)}; offset ${secs(off)}` });
    this.set('HJ212-CMD-001', Math.abs(off) <= this.tolMs ? passed(`SystemTime ${st}, ${secs(off)} from the kit's clock${r.r9012 ? '' : ' (no 9012 after the answer)'}`, ev) : failed(`SystemTime ${st} is ${secs(off)} from the kit's clock in ${this.d.zone}${utcHint(off, ans.t, this.d.zone, this.tolMs)}`, ev));
  }

  /** Sets the device clock ahead, checks the next 2011, then sets it back. */
  async setTime() {
    const delta = 3 * this.tolMs;
    const start = Date.now();
    this.setWindow = [start, Infinity];
    const target = this.fmt(Date.now() + delta);
    const r = await this.request('1012', { SystemTime: target });
    const ev = this.answerEvidence(r, `1012 SystemTime=${target} (kit clock + ${secs(delta)})`);
    const problem = this.qnRtnProblem(r) ?? (r.r9012 ? (String(r.r9012.frame!.cp.fields.ExeRtn) === '1' ? undefined : `9012 ExeRtn=${r.r9012.frame!.cp.fields.ExeRtn}`) : 'no 9012 answer');
    let outcome: Outcome;
    if (problem) outcome = failed(problem, ev);
    else {
      const cn = '2011';
      const next = await this.p.next((x) => x.frame?.cn === cn && x.frame.mn === this.d.mn && !this.copies.has(x.n) && x.t > (r.r9012?.t ?? 0), 2 * (this.d.uploads[cn] ?? 30) * 1000 + this.tolMs);
      const dt = next?.frame!.cp.records[0]?.dataTime;
      const ms = dt ? wallTimeMs(dt.slice(0, 14), this.d.zone) : undefined;
      if (!next || ms === undefined) outcome = failed(`no ${cn} with a valid DataTime after the clock was set`, ev);
      else {
        const off = ms - (next.t + delta);
        ev.push(frameEv(next, `next ${cn}: DataTime ${dt}, expected about ${this.fmt(next.t + delta)}`));
        outcome = Math.abs(off) <= this.tolMs ? passed(`after 1012 the next ${cn} DataTime ${dt} follows the set clock (${secs(off)})`, ev) : failed(`after 1012 the next ${cn} DataTime ${dt} is ${secs(off)} from the set clock: the time was not applied`, ev);
      }
    }
    const back = await this.request('1012', { SystemTime: this.fmt(Date.now()) });
    this.p.note(`kit set the device clock back (QN ${back.qn}): ${back.r9012 ? `9012 ExeRtn=${back.r9012.frame!.cp.fields.ExeRtn}` : 'no 9012'}`);
    this.setWindow = [start, Date.now() + 1000];
    this.set('HJ212-CMD-002', outcome);
  }

  async history() {
    const cn = this.d.history.includes('2051') ? '2051' : this.d.history[0]!;
    const periodS = this.d.uploads[cn] ?? DEFAULT_PERIOD_S[cn] ?? 3600;
    const now = Date.now();
    const wall = wallTimeMs(this.fmt(now), 'UTC')!;
    const cur = Math.floor(wall / (periodS * 1000)) * periodS * 1000;
    // Two periods back at the latest: an upload of the period just ended (still arriving) is never taken for history.
    const begin = wallTime14(cur - 4 * periodS * 1000, 'UTC'), end = wallTime14(cur - 2 * periodS * 1000, 'UTC');
    const r = await this.request(cn, { BeginTime: begin, EndTime: end }, { history: { cn, before: wallTime14(cur - 2 * periodS * 1000 + 1000, 'UTC') } });
    const ev = this.answerEvidence(r, `${cn} history BeginTime=${begin} EndTime=${end}`);
    const bad = this.qnRtnProblem(r);
    if (bad) { this.set('HJ212-CMD-003', failed(bad, ev)); return; }
    const out = r.data.filter((x) => { const t = x.frame!.cp.records[0]?.dataTime?.slice(0, 14) ?? ''; return t < begin || t > end; });
    const exe = r.r9012 ? String(r.r9012.frame!.cp.fields.ExeRtn) : undefined;
    if (!r.r9012) this.set('HJ212-CMD-003', failed(`no 9012 with the request QN after ${r.data.length} data frame(s)`, ev));
    else if (exe === '100' && !r.data.length) this.set('HJ212-CMD-003', warned('9012 ExeRtn=100 (no data) for the range: run longer before the request, or check the device\'s storage', ev));
    else if (exe !== '1') this.set('HJ212-CMD-003', failed(`9012 ExeRtn=${exe}`, ev));
    else if (!r.data.length) this.set('HJ212-CMD-003', failed('9012 ExeRtn=1 but no data frame came', ev));
    else if (out.length) this.set('HJ212-CMD-003', failed(`${out.length} data frame(s) outside ${begin}…${end} (e.g. DataTime ${out[0]!.frame!.cp.records[0]?.dataTime})`, ev));
    else this.set('HJ212-CMD-003', passed(`${r.data.length} ${cn} frame(s) within ${begin}…${end}, then 9012 ExeRtn=1`, ev));
  }
}

/** " — it matches UTC" when the offset is the zone's offset from UTC (a device writing UTC instead of local time). */
export function utcHint(offMs: number, at: number, zone: string, tolMs: number): string {
  const zoneOff = (wallTimeMs(wallTime14(at, zone), 'UTC') ?? at) - Math.floor(at / 1000) * 1000;
  return zoneOff !== 0 && Math.abs(offMs + zoneOff) <= tolMs ? `: it is UTC, not ${zone} local time (${(zoneOff / 3_600_000).toFixed(1)} h behind)` : '';
}
