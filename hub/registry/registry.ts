// The in-memory registry the pipeline resolves against; rebuilt from the store after every change.
import type { Site, Device, Point, Indicator, SourceReading } from '../../schemas/generated/types.ts';
import type { RegistryView } from '../sdk/adapter.ts';
import type { Queryable } from '../store/driver.ts';

export interface SiteEntry { id: number; code: string; doc: Site }
export interface DeviceEntry { id: number; code: string; doc: Device; site: SiteEntry }
export interface PointEntry { id: number; code: string; doc: Point; device: DeviceEntry; indicator: Indicator }

export type Resolution =
  | { point: PointEntry }
  | { error: 'UNKNOWN_POINT' | 'UNKNOWN_DEVICE'; message: string; field: string };

const idKey = (protocol: string, key: string) => `${protocol}\u0000${key}`;

export class Registry implements RegistryView {
  readonly sites = new Map<string, SiteEntry>();
  readonly devices = new Map<string, DeviceEntry>();
  readonly points = new Map<string, PointEntry>();
  readonly siteById = new Map<number, SiteEntry>();
  readonly deviceById = new Map<number, DeviceEntry>();
  readonly pointById = new Map<number, PointEntry>();
  private readonly byIdentity = new Map<string, DeviceEntry>();
  private readonly byField = new Map<string, PointEntry>();

  constructor(readonly catalogue: Map<string, Indicator>) {}

  static async load(db: Queryable, catalogue: Map<string, Indicator>): Promise<Registry> {
    const r = new Registry(catalogue);
    const sites = await db.query<{ id: number; code: string; doc: Site }>('SELECT id, code, doc FROM site ORDER BY id');
    for (const s of sites.rows) { const e = { id: s.id, code: s.code, doc: s.doc }; r.sites.set(s.code, e); r.siteById.set(s.id, e); }
    const devices = await db.query<{ id: number; code: string; site_id: number; doc: Device }>('SELECT id, code, site_id, doc FROM device ORDER BY id');
    for (const d of devices.rows) {
      const e: DeviceEntry = { id: d.id, code: d.code, doc: d.doc, site: r.siteById.get(d.site_id)! };
      r.devices.set(d.code, e); r.deviceById.set(d.id, e);
      for (const id of d.doc.identities ?? []) r.byIdentity.set(idKey(id.protocol, id.key), e);
    }
    const points = await db.query<{ id: number; code: string; device_id: number; doc: Point }>('SELECT id, code, device_id, doc FROM point ORDER BY id');
    for (const p of points.rows) {
      const indicator = catalogue.get(p.doc.indicator);
      if (!indicator) continue; // an indicator removed from the catalogue: the point no longer resolves (UNKNOWN_POINT)
      const e: PointEntry = { id: p.id, code: p.code, doc: p.doc, device: r.deviceById.get(p.device_id)!, indicator };
      r.points.set(p.code, e); r.pointById.set(p.id, e);
      if (p.doc.field) r.byField.set(`${p.device_id}\u0000${p.doc.field}`, e);
    }
    return r;
  }

  devicesFor(protocol: string): Device[] {
    return [...this.devices.values()].filter((d) => d.doc.identities?.some((i) => i.protocol === protocol)).map((d) => d.doc);
  }

  findDevice(protocol: string, key: string): Device | undefined {
    return this.byIdentity.get(idKey(protocol, key))?.doc;
  }

  /** Source identifiers → registered point. */
  resolve(r: SourceReading): Resolution {
    if (r.point !== undefined) {
      const p = this.points.get(r.point);
      return p ? { point: p } : { error: 'UNKNOWN_POINT', message: `point "${r.point}" is not registered`, field: '/point' };
    }
    let device: DeviceEntry | undefined;
    if (r.device !== undefined) {
      device = this.devices.get(r.device);
      if (!device) return { error: 'UNKNOWN_DEVICE', message: `device "${r.device}" is not registered`, field: '/device' };
    } else if (r.identity) {
      device = this.byIdentity.get(idKey(r.identity.protocol, r.identity.key));
      if (!device) return { error: 'UNKNOWN_DEVICE', message: `no device has ${r.identity.protocol} identity "${r.identity.key}"`, field: '/identity/key' };
    } else {
      return { error: 'UNKNOWN_POINT', message: 'a reading needs `point`, or `device`/`identity` with `field`', field: '/point' };
    }
    if (r.field === undefined) return { error: 'UNKNOWN_POINT', message: `a reading for device "${device.code}" needs \`field\``, field: '/field' };
    const p = this.byField.get(`${device.id}\u0000${r.field}`);
    return p ? { point: p } : { error: 'UNKNOWN_POINT', message: `device "${device.code}" has no point for field "${r.field}"`, field: '/field' };
  }

  /** The three lists as documents (for checks and the API). */
  docs() {
    return {
      sites: [...this.sites.values()].map((s) => s.doc),
      devices: [...this.devices.values()].map((d) => d.doc),
      points: [...this.points.values()].map((p) => p.doc),
    };
  }
}
