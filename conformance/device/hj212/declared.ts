// What the kit needs from the capability statement (and the command line) for an HJ 212 run, with defaults filled.
import type { CapabilityStatement } from '../../capabilities.ts';
import type { KnownVersion } from '../../../adapters/hj212/codec/index.ts';

export interface Declared {
  version: KnownVersion;
  mn: string;
  pw?: string;
  st?: string;
  zone: string;
  uploads: Record<string, number>;
  retx?: { overTimeS: number; reCount: number };
  segmented: boolean;
  heartbeatS?: number;
  commands: string[];
  history: string[];
  factors?: string[];
}

/** Default period of an aggregate upload when the statement gives none. */
export const DEFAULT_PERIOD_S: Record<string, number> = { '2011': 30, '2051': 60, '2061': 3600, '2031': 86400 };

export function declaredOf(s: CapabilityStatement, over: { mn?: string; pw?: string }): Declared {
  const h = s.hj212!;
  const uploads: Record<string, number> = {};
  for (const [cn, c] of Object.entries(h.uploads ?? {})) if (c) uploads[cn] = c.interval_s;
  return {
    version: h.version, mn: over.mn ?? h.mn ?? '', pw: over.pw ?? h.pw, st: h.st, zone: h.timezone ?? 'Asia/Shanghai', uploads,
    retx: h.retransmission ? { overTimeS: h.retransmission.over_time_s, reCount: h.retransmission.re_count } : undefined,
    segmented: h.segmented_uploads ?? false, heartbeatS: h.heartbeat?.interval_s, commands: h.commands ?? [], history: h.history ?? [], factors: h.factors,
  };
}
