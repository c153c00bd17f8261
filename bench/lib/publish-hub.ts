// The hub config both publish benches start from: PostgreSQL at `url`, files in `dir`, one site, 10 devices,
// `points` water-pressure points BP0… (the observations the benches write refer to them).
import { loadConfig, sampleConfigPath, type LoadedConfig } from '../../hub/config/load.ts';

export function publishBenchConfig(dir: string, url: string, points = 1000): LoadedConfig {
  const loaded = loadConfig(sampleConfigPath, {});
  loaded.baseDir = dir;
  const c = loaded.config;
  c.data_dir = dir; c.store.url = url; c.server.port = 0; c.server.host = '127.0.0.1'; c.log.level = 'silent';
  c.registry = {
    sites: [{ code: 'B', name: 'bench', domain: 'water' }],
    devices: Array.from({ length: 10 }, (_, i) => ({ code: `BD${i}`, site: 'B' })),
    points: Array.from({ length: points }, (_, i) => ({ code: `BP${i}`, device: `BD${i % 10}`, indicator: 'water.pipe_pressure', field: `f${i}` })),
  } as never;
  return loaded;
}
