// Store rows → the unified Observation shape, with codes from the in-memory registry (hub/store/observation-shape.ts maps).
import type { Observation } from '../../schemas/generated/types.ts';
import type { StoredObservationRow } from '../store/observations.ts';
import type { Registry } from '../registry/registry.ts';
import { rowToObservation } from '../store/observation-shape.ts';

export function presentObservation(r: StoredObservationRow, reg: Registry): Observation {
  return rowToObservation(r, {
    point: reg.pointById.get(r.point_id)?.code,
    device: reg.deviceById.get(r.device_id)?.code,
    site: reg.siteById.get(r.site_id)?.code,
    domain: reg.catalogue.get(r.indicator)?.domain,
  });
}
