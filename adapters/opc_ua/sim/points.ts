// What the simulator serves: lifeline variables under /Objects/<Station>/<Tag>.PV, and the hub registry for them.

export const SIM_NAMESPACE = 'urn:lifeline:sim';

/** The user the simulator accepts unless told otherwise. */
export const DEFAULT_USER = { username: 'lifeline', password: 'lifeline-sim' };

/** One simulated variable kind: tag prefix, indicator, source unit, level and swing. */
export const simKinds = [
  { tag: 'PT1', object: 'WaterPlant', indicator: 'water.pipe_pressure', unit: 'MPa', base: 0.35, swing: 0.05, title: '供水管网压力' },
  { tag: 'FT1', object: 'WaterPlant', indicator: 'water.pipe_flow_velocity', unit: 'm/s', base: 1.2, swing: 0.4, title: '供水管道流速' },
  { tag: 'PT2', object: 'HeatingStation', indicator: 'heating.pipe_pressure', unit: 'kPa', base: 800, swing: 50, title: '供热管网压力' },
  { tag: 'FT2', object: 'HeatingStation', indicator: 'heating.pipe_flow', unit: 'm3/h', base: 300, swing: 60, title: '供热管网流量' },
  { tag: 'AT3', object: 'GasMonitor', indicator: 'gas.underground_space_concentration', unit: '%{vol}', base: 0.2, swing: 0.1, title: '地下空间可燃气体浓度' },
] as const;

export interface SimItem {
  /** Field name (hub point field), e.g. `PT101`. */
  name: string;
  /** Folder under Objects, e.g. `WaterPlant` (`WaterPlant002` for the second group). */
  folder: string;
  /** NodeId of the variable, by namespace URI (the sim's namespace is not index 1: the server's own is). */
  nodeId: string;
  /** Browse path in the adapter's syntax. */
  browsePath: string;
  indicator: string;
  unit: string;
  base: number;
  swing: number;
  title: string;
}

/** `n` items: round-robin over the kinds; tags PT101, FT101, PT201 … then PT102 …; 100 items per folder. */
export function simItems(n: number = simKinds.length): SimItem[] {
  return Array.from({ length: n }, (_, i) => {
    const k = simKinds[i % simKinds.length]!;
    const seq = Math.floor(i / simKinds.length) + 1;
    const group = Math.floor(i / 100);
    const folder = group ? `${k.object}${String(group + 1).padStart(3, '0')}` : k.object;
    const name = `${k.tag}${String(seq).padStart(2, '0')}`;
    return {
      name, folder, nodeId: `nsu=${SIM_NAMESPACE};s=${folder}.${name}.PV`, browsePath: `/Objects/${folder}/${name}.PV`,
      indicator: k.indicator, unit: k.unit, base: k.base, swing: k.swing, title: k.title,
    };
  });
}

/** Deterministic wobble. */
export function simValue(item: number, t: number, base: number, swing: number): number {
  return Math.round((base + swing * Math.sin(t / 60_000 + item * 1.7)) * 1e4) / 1e4;
}

export interface SimRegistryOptions {
  /** Endpoint key the adapter uses as identity (default `sim`). */
  key?: string;
  /** OPC UA endpoint URL. */
  url: string;
  /** Items by browse path instead of NodeId. */
  byBrowsePath?: boolean;
  security?: { mode: string; policy: string };
  user?: { username: string; password: string };
  samplingIntervalMs?: number;
}

/** Registry (one site and one device per simulated server; a point per item) plus the opc_ua adapter block. */
export function simRegistry(items: SimItem[], o: SimRegistryOptions) {
  const key = o.key ?? 'sim';
  const dev = `OPCUA-${key.toUpperCase()}`;
  return {
    adapters: {
      opc_ua: {
        endpoints: [{
          key, url: o.url, namespace: SIM_NAMESPACE,
          security_mode: o.security?.mode ?? 'SignAndEncrypt', security_policy: o.security?.policy ?? 'Basic256Sha256',
          ...(o.user ? { auth: { type: 'username', username: o.user.username, password: o.user.password } } : {}),
          items: items.map((it) => ({
            name: it.name, ...(o.byBrowsePath ? { browse_path: it.browsePath } : { node_id: it.nodeId }),
            ...(o.samplingIntervalMs ? { sampling_interval_ms: o.samplingIntervalMs } : {}),
          })),
        }],
      },
    },
    registry: {
      sites: [{ code: `${dev}-SITE`, name: 'OPC UA 模拟站', domain: 'water', enterprise: '模拟企业' }],
      devices: [{ code: dev, site: `${dev}-SITE`, name: 'OPC UA server (simulated)', identities: [{ protocol: 'opc_ua', key }] }],
      points: items.map((it) => ({ code: `${dev}-${it.name}`, device: dev, indicator: it.indicator, field: it.name, source_unit: it.unit })),
    },
  };
}
