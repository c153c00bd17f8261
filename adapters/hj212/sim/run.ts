// `lifeline sim hj212`: N stations over real TCP, each sending uploads every interval and waiting for 9014.
import { Hj212Client } from '../transport/client.ts';
import { QnSource, wallTime14 } from '../transport/qn.ts';
import { simStations, realtimeUpload, minuteUpload, type SimStation } from './stations.ts';

export interface SimOptions {
  devices: number;
  intervalS: number;
  host: string;
  port: number;
  durationS?: number;
  zone?: string;
  /** Every Nth frame carries a non-N data flag (default 20). */
  flagEvery?: number;
  /** Every Nth frame is a minute upload sent in two segments (default 10). */
  segmentEvery?: number;
  prefix?: string;
  log?: (line: string) => void;
  /** Stops the stations after their current send, as SIGINT does (for a caller that runs the sim until it has seen enough). */
  signal?: AbortSignal;
}

export interface SimStats {
  sent: number; acked: number; failed: number; rtt: number[];
  /** Why sends failed: the error's code and message (QNs taken out, so one cause is one line), with its count. */
  failures: Map<string, number>;
}

/** Why the target cannot take HJ 212 frames, or undefined when a TCP connection opens (said before sending). */
export async function probeTarget(host: string, port: number, timeoutMs = 5000): Promise<string | undefined> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (why?: string) => { s.destroy(); clearTimeout(t); resolve(why); };
    const t = setTimeout(() => done(`no TCP connection to ${host}:${port} within ${timeoutMs} ms: is that address reachable?`), timeoutMs);
    s.once('connect', () => done());
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'
      ? `nothing listens on ${host}:${port} (connection refused). Start a hub whose config enables the HJ 212 adapter there (adapters.hj212: { host, port }; --registry-out FILE writes such a config), or point --target at one`
      : `cannot connect to ${host}:${port}: ${e.message}`));
  });
}

export async function runSim(o: SimOptions): Promise<SimStats> {
  const zone = o.zone ?? 'Asia/Shanghai';
  const stats: SimStats = { sent: 0, acked: 0, failed: 0, rtt: [], failures: new Map() };
  const stations = simStations(o.devices, o.prefix);
  const clock = { now: () => Date.now() };
  const qns = new QnSource(clock, zone);
  const zone14 = (ms: number) => wallTime14(ms, zone);
  const until = o.durationS ? Date.now() + o.durationS * 1000 : Number.POSITIVE_INFINITY;
  const flags = ['M', 'C', 'D', 'T'];
  let stopping = false;
  const stop = () => { stopping = true; };
  process.once('SIGINT', stop);
  if (o.signal?.aborted) stopping = true;
  o.signal?.addEventListener('abort', stop, { once: true });

  const station = async (s: SimStation) => {
    const client = new Hj212Client({ host: o.host, port: o.port, nextQn: () => qns.next(), timeoutMs: 10_000, retries: 3, maxDataLength: 1024 });
    // Spread the stations over the interval so the load is even.
    await new Promise((r) => setTimeout(r, (s.index / o.devices) * o.intervalS * 1000));
    let n = 0;
    // The schedule keeps its own clock: the frame's DataTime is whole seconds, and waiting from that would send a
    // burst for the rest of each second when the interval is under one.
    let due = Date.now();
    while (!stopping && Date.now() < until) {
      const t = Math.floor(Date.now() / 1000) * 1000;
      n++;
      const flag = o.flagEvery !== 0 && n % (o.flagEvery ?? 20) === 0 ? flags[n % flags.length] : undefined;
      const segmented = o.segmentEvery !== 0 && n % (o.segmentEvery ?? 10) === 0;
      const frame = segmented ? minuteUpload(s, Math.floor(t / 60_000) * 60_000, qns.next(), { flag, zone14 }) : realtimeUpload(s, t, qns.next(), { flag, zone14 });
      stats.sent++;
      try {
        // A segmented minute upload: a small segment limit forces a split on record boundaries.
        const r = await client.send(frame, segmented ? { maxDataLength: 400 } : {});
        stats.acked++;
        stats.rtt.push(r.roundTripMs);
      } catch (e) {
        stats.failed++;
        const why = failureReason(e);
        const seen = stats.failures.get(why) ?? 0;
        stats.failures.set(why, seen + 1);
        if (!seen) o.log?.(`sim: ${s.code}: ${why}`);
      }
      due += o.intervalS * 1000;
      const next = due - Date.now();
      // Behind schedule (a slow target): carry on from now rather than send a burst to catch up.
      if (next > 0) await new Promise((r) => setTimeout(r, next));
      else due = Date.now();
    }
    client.close();
  };

  const progress = setInterval(() => o.log?.(`sim: ${stats.sent} sent, ${stats.acked} acknowledged, ${stats.failed} failed`), 5000);
  try { await Promise.all(stations.map(station)); } finally { clearInterval(progress); process.off('SIGINT', stop); o.signal?.removeEventListener('abort', stop); }
  return stats;
}

/** One line per cause: the QN differs per frame, so it is left out to count the same cause once. */
function failureReason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const text = `${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`;
  return text.replace(/QN \d+/g, 'QN …');
}
