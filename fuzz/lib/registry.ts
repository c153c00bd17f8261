// The registry every fuzz hub starts with: HJ 212 stations (with PW, and per-device strict mode, CRC dialect
// and encoding so those paths run), and the JSON devices the shipped mapping profiles' examples name, so
// that mutated inputs still reach the mapping and the store, not only the parsers.
import { simStations, simRegistry, type SimStation } from '../../adapters/hj212/sim/stations.ts';

export const STATIONS: SimStation[] = simStations(5, 'FZ');
/** Station 0 is the liveness probe's; the generators use 1–4. */
export const PROBE_STATION = STATIONS[0]!;

const JSON_DEVICES = [
  { code: 'MH-0001', site: 'FZ-DR', fields: ['level', 'battery'] },
  { code: 'MH-0002', site: 'FZ-DR', fields: ['level'] },
  { code: 'GD-001', site: 'FZ-GS', fields: ['methane', 'ch4', 'co'] },
  { code: 'GD-002', site: 'FZ-GS', fields: ['ch4'] },
  { code: 'urn:dev:ow:10e2073a01080063', site: 'FZ-DR', fields: ['level', 'temp'] },
  { code: 'FZ-PROBE', site: 'FZ-DR', fields: ['level'] },
];
const INDICATOR: Record<string, string> = { level: 'drainage.pipe_level', battery: 'drainage.pipe_level', temp: 'drainage.pipe_level', methane: 'gas.underground_space_concentration', ch4: 'gas.underground_space_concentration', co: 'gas.underground_space_concentration' };

export function fuzzRegistry() {
  const hj = simRegistry(STATIONS);
  // Per-device decode options: station 2 strict, 3 Modbus CRC (little-endian), 4 no GB18030 fallback.
  const extra = [{}, {}, { mode: 'strict' }, { crc: 'modbus_le' }, { encoding: 'none' }];
  hj.devices.forEach((d, i) => Object.assign(d.identities[0]!, extra[i]));
  return {
    sites: [
      ...hj.sites,
      { code: 'FZ-DR', name: '模糊测试 排水', domain: 'drainage', enterprise: 'fuzz' },
      { code: 'FZ-GS', name: '模糊测试 燃气', domain: 'gas', enterprise: 'fuzz' },
    ],
    devices: [
      ...hj.devices,
      ...JSON_DEVICES.map((d) => ({ code: d.code, site: d.site, identities: ['json_http', 'json_mqtt'].map((protocol) => ({ protocol, key: d.code })) })),
    ],
    points: [
      ...hj.points,
      ...JSON_DEVICES.flatMap((d) => d.fields.map((f) => ({ code: `${d.code}-${f}`, device: d.code, indicator: INDICATOR[f]!, field: f }))),
    ],
  };
}
