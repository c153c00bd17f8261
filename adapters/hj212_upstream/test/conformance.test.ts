// Manifest and config schema of hj212_upstream (publisher checks; see publisher-conformance.ts).
import t from 'tap';
import hj212Upstream from '../index.ts';
import { publisherConformance } from './publisher-conformance.ts';

const station = { mn: '88888880000001', st: '32', site: 'WS-001', factors: { 'water.pipe_pressure': 'e01201' } };
await publisherConformance(t, hj212Upstream as never,
  [
    { host: 'platform.example.gov.cn', port: 9212, stations: [station] },
    { host: '10.0.0.1', port: 8000, version: '2005', crc: 'modbus', timeout_s: 5, recount: 1, tls: { ca: '/etc/ca.pem' }, history: { frames_per_second: 2 }, stations: [{ ...station, site: undefined, devices: ['WS-001-PT'], pw: 'x1' }] },
  ],
  [
    [{ host: 'h', port: 9212, stations: [] }, /stations/],
    [{ host: 'h', port: 9212, stations: [{ ...station, mn: 'a b' }] }, /mn/],
    [{ host: 'h', port: 9212, stations: [{ ...station, factors: {} }] }, /factors/],
    [{ host: 'h', port: 9212, version: '2020', stations: [station] }, /version/],
    [{ host: 'h', port: 9212, stations: [{ ...station, site: undefined }] }, /site/], // a station covering nothing would send nothing
  ]);
