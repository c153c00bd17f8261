// The points a feed is declared to deliver: a hub config's registry, loaded into the same in-memory Registry the
// pipeline resolves against (Registry.load over the config's documents instead of the store's tables).
import { loadConfig } from '../../hub/config/load.ts';
import { Registry } from '../../hub/registry/registry.ts';
import { catalogueByCode } from '../../hub/registry/catalogue.ts';
import { LifelineError } from '../../hub/sdk/errors.ts';
import type { Queryable } from '../../hub/store/driver.ts';

export async function registryFromConfig(file: string): Promise<Registry> {
  let reg;
  try { reg = loadConfig(file).config.registry; } catch (e) {
    throw new LifelineError('CONFORMANCE_INVALID', `--config: ${(e as Error).message}`, { cause: e });
  }
  const sites = reg.sites.map((doc, i) => ({ id: i + 1, code: doc.code, doc }));
  const siteId = new Map(sites.map((s) => [s.code, s.id]));
  const devices = reg.devices.map((doc, i) => ({ id: i + 1, code: doc.code, site_id: siteId.get(doc.site)!, doc }));
  const deviceId = new Map(devices.map((d) => [d.code, d.id]));
  const points = reg.points.map((doc, i) => ({ id: i + 1, code: doc.code, device_id: deviceId.get(doc.device)!, doc }));
  const db: Queryable = {
    async query<T>(sql: string) {
      const rows = /FROM site\b/.test(sql) ? sites : /FROM device\b/.test(sql) ? devices : /FROM point\b/.test(sql) ? points : [];
      return { rows: rows as unknown as T[] };
    },
  };
  return Registry.load(db, catalogueByCode());
}
