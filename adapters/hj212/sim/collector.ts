// `lifeline sim hj212 --collector`: one data collector (数采仪) as the standard describes it, against a platform:
// 2011 every RtdInterval, 2051 each minute interval (split into PNUM/PNO packets), 2061 each hour, 9015 heartbeats
// (2025), resends with the same QN per OverTime/ReCount, and the commands 1011, 1012, 1000 and history requests.
// Broken modes make it wrong the way field devices are, one fault each, so the conformance kit can be checked.
import type { BuildInput, Hj212Frame } from '../codec/types.ts';
import { encodeFrame } from '../codec/index.ts';
import { Hj212Client } from '../transport/client.ts';
import { QnSource, wallTime14, wallTimeMs } from '../transport/qn.ts';
import { simStations, realtimeUpload, minuteUpload, simFactors } from './stations.ts';
import type { ConformanceCapabilities } from '../../../schemas/generated/types.ts';

/** One fault each: the CRC in the CRC-16/MODBUS low-byte-first dialect; no resend; times in UTC; a QN used twice; a slipping schedule. */
export const BREAK_MODES = ['crc', 'no_retransmission', 'utc', 'qn_repeat', 'drift'] as const;
export type BreakMode = (typeof BREAK_MODES)[number];

export interface CollectorOptions {
  host: string;
  port: number;
  mn?: string;
  pw?: string;
  version?: '2017' | '2025';
  st?: string;
  zone?: string;
  /** Seconds between 2011, 2051, 2061 uploads and heartbeats (0: not sent). Defaults 30, 60, 3600, 60 (heartbeat 2025 only). */
  rtdS?: number;
  minuteS?: number;
  hourS?: number;
  heartbeatS?: number;
  /** OverTime (s) and ReCount. Defaults 10 and 3 (Table 1, cellular). */
  overTimeS?: number;
  reCount?: number;
  /** Split each 2051 into packets (default true). */
  segment?: boolean;
  breakMode?: BreakMode;
  /** drift mode: each period is this much longer (default 0.25 = 25 %). */
  drift?: number;
  log?: (line: string) => void;
}

export interface CollectorStats { sent: number; acked: number; failed: number; commands: number }

type Resolved = Required<Omit<CollectorOptions, 'breakMode' | 'log' | 'mn' | 'pw'>> & { mn: string; pw: string; breakMode?: BreakMode; log?: (l: string) => void };

function resolve(o: CollectorOptions): Resolved {
  const station = simStations(1)[0]!;
  const version = o.version ?? '2017';
  return {
    host: o.host, port: o.port, mn: o.mn ?? station.mn, pw: o.pw ?? station.pw, version, st: o.st ?? '32', zone: o.zone ?? 'Asia/Shanghai',
    rtdS: o.rtdS ?? 30, minuteS: o.minuteS ?? 60, hourS: o.hourS ?? 3600, heartbeatS: o.heartbeatS ?? (version === '2025' ? 60 : 0),
    overTimeS: o.overTimeS ?? 10, reCount: o.reCount ?? 3, segment: o.segment ?? true, drift: o.drift ?? 0.25, breakMode: o.breakMode, log: o.log,
  };
}

/** The capability statement this collector makes (the same in every broken mode: it claims to be right). */
export function collectorStatement(o: CollectorOptions): ConformanceCapabilities {
  const r = resolve(o);
  const uploads: Record<string, { interval_s: number }> = {};
  if (r.rtdS > 0) uploads['2011'] = { interval_s: r.rtdS };
  if (r.minuteS > 0) uploads['2051'] = { interval_s: r.minuteS };
  if (r.hourS > 0) uploads['2061'] = { interval_s: r.hourS };
  return {
    product: { vendor: 'lifeline-hub', name: 'lifeline sim hj212 --collector', model: 'SIM-COLLECTOR', version: '0.1.0' },
    profile: 'hj212-collector-full',
    hj212: {
      version: r.version, mn: r.mn, pw: r.pw, st: r.st, timezone: r.zone, uploads,
      retransmission: { over_time_s: r.overTimeS, re_count: r.reCount },
      segmented_uploads: r.segment && r.minuteS > 0,
      ...(r.heartbeatS > 0 ? { heartbeat: { interval_s: r.heartbeatS } } : {}),
      commands: ['1011', '1012'],
      history: ['2051', '2061'].filter((cn) => uploads[cn]) as ('2051' | '2061')[],
      factors: simFactors.map((f) => f.code),
    },
  };
}

export class SimCollector {
  readonly stats: CollectorStats = { sent: 0, acked: 0, failed: 0, commands: 0 };
  private readonly o: Resolved;
  private readonly client: Hj212Client;
  private readonly qns: QnSource;
  /** Device clock = host clock + offset (1012 moves it). */
  private offsetMs = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private lastAckedQn?: string;
  private uploads2011 = 0;

  constructor(opts: CollectorOptions) {
    this.o = resolve(opts);
    this.qns = new QnSource({ now: () => this.now() }, this.zone);
    this.client = new Hj212Client({
      host: this.o.host, port: this.o.port, nextQn: () => this.qns.next(), timeoutMs: this.o.overTimeS * 1000,
      retries: this.o.breakMode === 'no_retransmission' ? 0 : this.o.reCount, maxDataLength: 1024,
      crc: this.o.breakMode === 'crc' ? 'modbus_le' : undefined,
      onRequest: (f) => { void this.onRequest(f); },
    });
  }

  /** The zone its wall times are written in: the declared one, or UTC when broken that way. */
  private get zone() { return this.o.breakMode === 'utc' ? 'UTC' : this.o.zone; }
  private now() { return Date.now() + this.offsetMs; }
  private fmt(ms: number) { return wallTime14(ms, this.zone); }
  private station() { return { index: 0, code: 'SIM', mn: this.o.mn, pw: this.o.pw }; }
  private withVersion(b: BuildInput): BuildInput { return { ...b, version: this.o.version, st: b.st === '91' ? '91' : this.o.st }; }
  private write(b: BuildInput) { return this.client.write(encodeFrame(b, { crc: this.o.breakMode === 'crc' ? 'modbus_le' : undefined })).catch(() => undefined); }

  /** Connects and starts every schedule; resolves once connected. */
  async start(): Promise<void> {
    await this.client.open();
    const { rtdS, minuteS, hourS, heartbeatS } = this.o;
    if (rtdS > 0) this.every(rtdS, () => this.send2011());
    if (minuteS > 0) this.every(minuteS, () => this.sendAggregate('2051', minuteS));
    if (hourS > 0) this.every(hourS, () => this.sendAggregate('2061', hourS));
    if (heartbeatS > 0) this.every(heartbeatS, () => this.write(this.withVersion({ qn: this.qns.next(), st: this.o.st, cn: '9015', pw: this.o.pw, mn: this.o.mn, ackRequested: true, cp: {} })), false);
  }

  /** Runs `fn` now and every `s` seconds on a fixed schedule (or, in drift mode, a period that is too long). */
  private every(s: number, fn: () => unknown, driftable = true) {
    const period = s * 1000 * (driftable && this.o.breakMode === 'drift' ? 1 + this.o.drift : 1);
    const t0 = Date.now();
    let k = 0;
    const tick = () => {
      if (this.stopped) return;
      void fn();
      k++;
      this.timers.push(setTimeout(tick, Math.max(0, t0 + k * period - Date.now())));
    };
    tick();
  }

  private async upload(b: BuildInput, maxDataLength?: number) {
    this.stats.sent++;
    try {
      const r = await this.client.send(b, maxDataLength ? { maxDataLength } : {});
      this.stats.acked++;
      this.lastAckedQn = r.qns[r.qns.length - 1];
    } catch { this.stats.failed++; }
  }

  private send2011() {
    this.uploads2011++;
    const repeat = this.o.breakMode === 'qn_repeat' && this.uploads2011 % 4 === 0 && this.lastAckedQn;
    const qn = repeat ? this.lastAckedQn! : this.qns.next();
    const t = Math.floor(this.now() / 1000) * 1000;
    return this.upload(this.withVersion(realtimeUpload(this.station(), t, qn, { zone14: (ms) => this.fmt(ms) })));
  }

  private aggregate(cn: '2051' | '2061', periodStartMs: number, qn: string): BuildInput {
    return this.withVersion({ ...minuteUpload(this.station(), periodStartMs, qn, { zone14: (ms) => this.fmt(ms) }), cn });
  }

  /** Start of the period `ms` falls in, aligned to the day in the device's zone. */
  private periodStart(s: number, ms: number) {
    const wall = wallTimeMs(this.fmt(ms), 'UTC')!; // the device's wall clock as if it were UTC: aligns to its own midnight
    const aligned = Math.floor(wall / (s * 1000)) * s * 1000;
    return ms - (wall - aligned);
  }

  /** The period that just ended (its DataTime is the period start, HJ 212-2017 Appendix C). */
  private sendAggregate(cn: '2051' | '2061', s: number) {
    const start = this.periodStart(s, Math.floor(this.now() / 1000) * 1000) - s * 1000;
    const split = cn === '2051' && this.o.segment ? 400 : undefined;
    return this.upload(this.aggregate(cn, start, this.qns.next()), split);
  }

  /** Answers to the platform's request: 9011, then data, then 9012 (same QN, ST=91, Flag without A). */
  private answer(req: Hj212Frame, cn: '9011' | '9012', fields: Record<string, string | number>) {
    return this.write(this.withVersion({ qn: req.qn, st: '91', cn, pw: this.o.pw, mn: this.o.mn, ackRequested: false, cp: { fields } }));
  }

  private async onRequest(f: Hj212Frame) {
    if (this.stopped || f.mn !== this.o.mn || !f.qn) return;
    if (['9011', '9012', '9013', '9014'].includes(f.cn)) return; // answers nobody waits for (late, or not for us)
    this.stats.commands++;
    const { cn } = f;
    const fields = f.cp.fields;
    if (cn === '1011') {
      await this.answer(f, '9011', { QnRtn: 1 });
      await this.write(this.withVersion({ qn: f.qn, st: this.o.st, cn: '1011', pw: this.o.pw, mn: this.o.mn, ackRequested: false, cp: { fields: { SystemTime: this.fmt(this.now()) } } }));
      await this.answer(f, '9012', { ExeRtn: 1 });
    } else if (cn === '1012') {
      const ms = typeof fields.SystemTime === 'string' ? wallTimeMs(fields.SystemTime, this.zone) : undefined;
      if (ms === undefined) { await this.answer(f, '9011', { QnRtn: 1 }); await this.answer(f, '9012', { ExeRtn: 3 }); return; }
      await this.answer(f, '9011', { QnRtn: 1 });
      this.offsetMs = ms - Date.now();
      await this.answer(f, '9012', { ExeRtn: 1 });
    } else if (cn === '1000') {
      await this.answer(f, '9011', { QnRtn: 1 });
      await this.answer(f, '9012', { ExeRtn: 1 });
    } else if (cn === '2051' || cn === '2061') {
      const s = cn === '2051' ? this.o.minuteS : this.o.hourS;
      const b = typeof fields.BeginTime === 'string' ? wallTimeMs(fields.BeginTime, this.zone) : undefined;
      const e = typeof fields.EndTime === 'string' ? wallTimeMs(fields.EndTime, this.zone) : undefined;
      if (!(s > 0) || b === undefined || e === undefined || e < b) { await this.answer(f, '9011', { QnRtn: 1 }); await this.answer(f, '9012', { ExeRtn: s > 0 ? 3 : 100 }); return; }
      await this.answer(f, '9011', { QnRtn: 1 });
      let sent = 0;
      for (let t = this.periodStart(s, b) < b ? this.periodStart(s, b) + s * 1000 : this.periodStart(s, b); t <= e && sent < 100; t += s * 1000, sent++) {
        await this.upload(this.aggregate(cn, t, this.qns.next()));
      }
      await this.answer(f, '9012', { ExeRtn: sent ? 1 : 100 });
    } else if (f.ackRequested) {
      await this.answer(f, '9011', { QnRtn: 8 }); // CN error
    }
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.client.close();
  }
}
