// Observations → HJ 212 upload messages: which station sends each observation, its factor code, and one
// message per station + kind + DataTime (2011 Rtd, 2051/2061/2031 Cou/Min/Avg/Max, each with its Flag).
import type { Observation, ObservationKind } from '../../hub/sdk/index.ts';
import type { BuildInput } from '../hj212/codec/types.ts';
import { wallTime14 } from '../hj212/transport/qn.ts';
import type { StationConfig, UpstreamConfig } from './manifest.ts';

/** Upload CN of each kind (HJ 212-2017 Table 5): real-time, minute, hour, day. */
export const CN_OF_KIND: Readonly<Record<ObservationKind, string>> = { rtd: '2011', min: '2051', hour: '2061', day: '2031' };
/** The history requests a platform may send (CN → the kind it asks for). */
export const KIND_OF_HISTORY_CN: Readonly<Record<string, ObservationKind>> = { '2051': 'min', '2061': 'hour', '2031': 'day' };

/** The station that sends `o` and its factor code, or undefined when no station maps it. */
export function routeOf(o: Observation, stations: readonly StationConfig[]): { station: number; factor: string } | undefined {
  for (let i = 0; i < stations.length; i++) {
    const s = stations[i]!;
    if (s.devices ? !s.devices.includes(o.device) || (s.site !== undefined && s.site !== o.site) : s.site !== o.site) continue;
    const factor = s.factors[o.point] ?? s.factors[o.indicator];
    if (factor !== undefined) return { station: i, factor };
  }
  return undefined;
}

/** Finite values at 12 significant digits: unit conversion noise (0.30000000000000004) never reaches the wire. */
const num = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? undefined : Number(v.toPrecision(12)));

/** The CP item of one observation: Rtd + Flag, or Cou/Min/Avg/Max + Flag (absent values are left out). */
export function itemOf(o: Observation, factor: string): { code: string; fields: Record<string, string | number> } {
  const fields: Record<string, string | number> = {};
  const put = (k: string, v: number | null | undefined) => { const n = num(v); if (n !== undefined) fields[k] = n; };
  if (o.kind === 'rtd') put('Rtd', o.value);
  else { put('Cou', o.cou); put('Min', o.min); put('Avg', o.avg ?? o.value); put('Max', o.max); }
  fields.Flag = o.quality.source_flag ?? 'N';
  return { code: factor, fields };
}

export interface UploadMessage {
  /** station MN + CN + DataTime: identifies the message across retries of a batch. */
  key: string;
  station: number;
  input: BuildInput;
  /** Observations the message carries. */
  count: number;
}

/**
 * Group observations into messages, one per station + kind + DataTime, ordered by time then station;
 * `unrouted` counts observations no station/factor covers (not sent).
 */
export function buildMessages(obs: readonly Observation[], cfg: Pick<UpstreamConfig, 'stations' | 'version' | 'timezone'>, cn?: string): { messages: UploadMessage[]; unrouted: number } {
  const groups = new Map<string, { station: number; kind: ObservationKind; timeMs: number; dataTime: string; items: Map<string, ReturnType<typeof itemOf>>; count: number }>();
  let unrouted = 0;
  for (const o of obs) {
    const r = routeOf(o, cfg.stations);
    if (!r) { unrouted++; continue; }
    const timeMs = Date.parse(o.time);
    const dataTime = wallTime14(timeMs, cfg.timezone);
    const gk = `${r.station}|${o.kind}|${dataTime}`;
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { station: r.station, kind: o.kind, timeMs, dataTime, items: new Map(), count: 0 }));
    g.items.set(r.factor, itemOf(o, r.factor)); // the same factor twice at one time: the later one wins
    g.count++;
  }
  const ordered = [...groups.values()].sort((a, b) => a.timeMs - b.timeMs || a.station - b.station);
  const messages = ordered.map((g) => {
    const s = cfg.stations[g.station]!;
    const msgCn = cn ?? CN_OF_KIND[g.kind];
    return {
      key: `${s.mn}|${msgCn}|${g.dataTime}`,
      station: g.station,
      count: g.count,
      input: { version: cfg.version, st: s.st, cn: msgCn, pw: s.pw, mn: s.mn, cp: { records: [{ dataTime: g.dataTime, items: [...g.items.values()] }] } } satisfies BuildInput,
    };
  });
  return { messages, unrouted };
}

/** 14-digit wall time in `zone` (BeginTime, EndTime) → epoch ms, or NaN when it is not a valid time. */
export function wallToUtc(s: string, zone: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return NaN;
  const naive = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (new Date(naive).getUTCDate() !== +m[3]! || +m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) return NaN;
  const offsetAt = (ms: number) => Date.UTC(...(wallTime14(ms, zone).match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/)!.slice(1).map(Number).map((v, i) => (i === 1 ? v - 1 : v)) as [number, number, number, number, number, number])) - ms;
  let t = naive - offsetAt(naive);
  t = naive - offsetAt(t);
  return t;
}
