// Simulated devices: a profile's register image with changing values, and the hub registry + adapter config for them.
import { encodeRegisters, unscaleValue } from '../codec/registers.ts';
import { isBitFunction, registerCount, type ModbusFunction } from '../codec/types.ts';
import { loadProfile, type Profile, type ProfilePoint } from '../profile.ts';
import { UnitImage } from './server.ts';

export interface SimDevice {
  index: number;
  code: string;
  host: string;
  port: number;
  unitId: number;
  profile: Profile;
  image: UnitImage;
  /** Points a client wrote: the simulator keeps their value instead of moving it. */
  pinned: Set<string>;
}

/** Register image sizes a profile needs (one past the highest address used, per table). */
export function imageSize(points: readonly ProfilePoint[]): Partial<Record<ModbusFunction, number>> {
  const size: Partial<Record<ModbusFunction, number>> = {};
  for (const p of points) {
    const end = p.address + (isBitFunction(p.function) ? 1 : registerCount(p));
    size[p.function] = Math.max(size[p.function] ?? 0, end);
  }
  return size;
}

/** The engineering value a point shows at time t (ms): base + swing·sin(2πt/period + phase), or base + step·t/s. */
export function simValue(p: ProfilePoint, dev: number, k: number, tMs: number): number | string {
  const s = p.sim ?? {};
  if (p.type === 'string') return typeof s.base === 'string' ? s.base : `SIM-${dev + 1}`;
  const base = Number(s.base ?? 0);
  if (s.step) return base + Math.floor((s.step * tMs) / 1000) % 1_000_000;
  if (!s.swing) return base;
  const period = (s.period_s ?? 600) * 1000;
  return base + s.swing * Math.sin((2 * Math.PI * tMs) / period + dev * 1.7 + k * 0.9);
}

/** Write every point's current value into the device's image (points written by a client stay as written). */
export function updateImage(d: SimDevice, tMs: number): void {
  d.profile.points.forEach((p, k) => {
    if (d.pinned.has(`${p.function}:${p.address}`)) return;
    // Bits of a status register are the register's business; strings are written once, like the rest.
    if (p.type === 'bit') return;
    const v = simValue(p, d.index, k, tMs);
    let raw: number | string = typeof v === 'number' ? unscaleValue(v, p.scale, p.offset) : v;
    if (typeof raw === 'number' && p.type !== 'float32' && p.type !== 'float64') raw = Math.round(raw);
    if (isBitFunction(p.function)) { d.image.set(p.function, p.address, [raw ? 1 : 0]); return; }
    d.image.set(p.function, p.address, encodeRegisters(raw, p));
  });
}

export interface SimLayout { devices: number; ports: number[]; host?: string; profiles: string[]; prefix?: string; profilesDir?: string }

/** N devices spread round-robin over the ports (unit ids 1, 2, … per port), profiles assigned in turn. */
export function simDevices(o: SimLayout): SimDevice[] {
  const profiles = o.profiles.map((n) => loadProfile(n, o.profilesDir));
  const perPort = new Map<number, number>();
  return Array.from({ length: o.devices }, (_, i) => {
    const port = o.ports[i % o.ports.length]!;
    const unitId = (perPort.get(port) ?? 0) + 1;
    if (unitId > 247) throw new Error(`more than 247 units on port ${port}: give more ports`);
    perPort.set(port, unitId);
    const profile = profiles[i % profiles.length]!;
    const d: SimDevice = { index: i, code: `${o.prefix ?? 'MB'}-${String(i + 1).padStart(4, '0')}`, host: o.host ?? '127.0.0.1', port, unitId, profile, image: new UnitImage(imageSize(profile.points)), pinned: new Set() };
    updateImage(d, Date.now());
    return d;
  });
}

const SITE_DOMAIN: Record<string, string> = { water: 'water', heating: 'heating', gas: 'gas', drainage: 'drainage', bridge: 'bridge' };

/** Hub registry (sites, devices, points) for the simulated devices. Only points with an indicator (and ingest on) become hub points. */
export function simRegistry(devs: readonly SimDevice[]) {
  return {
    sites: devs.map((d) => ({ code: `${d.code}-SITE`, name: `Modbus 模拟站 ${d.index + 1}`, domain: SITE_DOMAIN[d.profile.domain ?? ''] ?? 'water', enterprise: '模拟企业' })),
    devices: devs.map((d) => ({
      code: d.code, site: `${d.code}-SITE`, name: `${d.profile.title ?? d.profile.id} (simulated)`,
      ...(d.profile.vendor ? { vendor: d.profile.vendor } : {}), ...(d.profile.model ? { model: d.profile.model } : {}),
      identities: [{ protocol: 'modbus_tcp', key: `${d.host}:${d.port}/${d.unitId}` }],
    })),
    points: devs.flatMap((d) => d.profile.points.filter((p) => p.indicator && p.ingest !== false).map((p) => ({
      code: `${d.code}-${p.name}`, device: d.code, indicator: p.indicator!, field: p.name, ...(p.unit ? { source_unit: p.unit } : {}),
    }))),
  };
}

/** The adapter config block that polls the simulated devices. */
export function simAdapterConfig(devs: readonly SimDevice[], o: { intervalMs?: number } = {}) {
  return {
    interval_ms: o.intervalMs ?? 1000,
    devices: devs.map((d) => ({ host: d.host, port: d.port, unit_id: d.unitId, profile: d.profile.id })),
  };
}
