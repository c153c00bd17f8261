// Simulated lifeline stations: realistic values, the registry that makes them known, and their frames.
import type { BuildInput } from '../codec/types.ts';

/** Factors a simulated multi-sensor lifeline station reports: vendor code → indicator, source unit, level, swing. */
export const simFactors = [
  { code: 'e01201', indicator: 'water.pipe_pressure', unit: 'MPa', base: 0.35, swing: 0.05, digits: 3 },
  { code: 'e01202', indicator: 'water.pipe_flow_velocity', unit: 'm/s', base: 1.2, swing: 0.4, digits: 2 },
  { code: 'e01203', indicator: 'water.leak_noise', unit: 'dB', base: 32, swing: 6, digits: 1 },
  { code: 'e02101', indicator: 'drainage.flood_level', unit: 'm', base: 0.3, swing: 0.2, digits: 2 },
  { code: 'e02102', indicator: 'drainage.rainfall', unit: 'mm', base: 0.5, swing: 0.5, digits: 1 },
  { code: 'e03101', indicator: 'gas.underground_space_concentration', unit: '%{LEL}', base: 2, swing: 2, digits: 1 },
  { code: 'e04101', indicator: 'heating.pipe_pressure', unit: 'kPa', base: 800, swing: 50, digits: 1 },
  { code: 'e04102', indicator: 'heating.pipe_flow', unit: 'm3/h', base: 300, swing: 60, digits: 1 },
  { code: 'e05101', indicator: 'bridge.crack_width', unit: 'mm', base: 0.12, swing: 0.02, digits: 3 },
  { code: 'e05102', indicator: 'bridge.inclination', unit: 'deg', base: 0.05, swing: 0.01, digits: 4 },
] as const;

export interface SimStation { index: number; /** registry code */ code: string; /** 24 hex digits, as HJ 212-2017 wants */ mn: string; pw: string }

export function simStations(n: number, prefix = 'SIM'): SimStation[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i, code: `${prefix}-${String(i + 1).padStart(5, '0')}`, mn: `4C4C4800${(i + 1).toString(16).toUpperCase().padStart(16, '0')}`, pw: '123456',
  }));
}

/** The registry entries (sites, devices, points) for the stations, to put in a config file. */
export function simRegistry(stations: SimStation[]) {
  return {
    sites: stations.map((s) => ({ code: `${s.code}-SITE`, name: `模拟站 ${s.index + 1}`, domain: 'water' as const, enterprise: '模拟企业' })),
    devices: stations.map((s) => ({ code: s.code, site: `${s.code}-SITE`, name: 'HJ 212 数采仪 (simulated)', identities: [{ protocol: 'hj212', key: s.mn, pw: s.pw }] })),
    points: stations.flatMap((s) => simFactors.map((f) => ({ code: `${s.code}-${f.code}`, device: s.code, indicator: f.indicator, field: f.code, source_unit: f.unit }))),
  };
}

/** Deterministic wobble so runs are reproducible. */
function value(station: number, factor: number, t: number, base: number, swing: number, digits: number): string {
  const v = base + swing * Math.sin(t / 600_000 + station * 1.7 + factor * 0.9);
  return Math.max(0, v).toFixed(digits);
}

export interface FrameOptions { flag?: string; zone14: (ms: number) => string }

/** A 2011 real-time upload (kind rtd) with every factor. */
export function realtimeUpload(s: SimStation, timeMs: number, qn: string, o: FrameOptions): BuildInput {
  return {
    version: '2017', qn, st: '32', cn: '2011', pw: s.pw, mn: s.mn, ackRequested: true,
    cp: { records: [{ dataTime: o.zone14(timeMs), items: simFactors.map((f, k) => ({ code: f.code, fields: { Rtd: value(s.index, k, timeMs, f.base, f.swing, f.digits), Flag: o.flag ?? 'N' } })) }] },
  };
}

/** A 2051 minute upload (Avg/Min/Max/Cou + Flag per factor). */
export function minuteUpload(s: SimStation, timeMs: number, qn: string, o: FrameOptions): BuildInput {
  return {
    version: '2017', qn, st: '32', cn: '2051', pw: s.pw, mn: s.mn, ackRequested: true,
    cp: { records: [{ dataTime: o.zone14(timeMs), items: simFactors.map((f, k) => {
      const avg = Number(value(s.index, k, timeMs, f.base, f.swing, f.digits));
      const d = f.swing / 10;
      return { code: f.code, fields: { Avg: avg.toFixed(f.digits), Min: Math.max(0, avg - d).toFixed(f.digits), Max: (avg + d).toFixed(f.digits), Cou: (avg * 60).toFixed(1), Flag: o.flag ?? 'N' } };
    }) }] },
  };
}
