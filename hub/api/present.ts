// Store rows → the unified Observation shape (schemas/json/observation.schema.json).
import type { Observation } from '../../schemas/generated/types.ts';
import type { StoredObservationRow } from '../store/observations.ts';
import type { Registry } from '../registry/registry.ts';

export function presentObservation(r: StoredObservationRow, reg: Registry): Observation {
  const point = reg.pointById.get(r.point_id);
  const device = reg.deviceById.get(r.device_id);
  const site = reg.siteById.get(r.site_id);
  const ind = reg.catalogue.get(r.indicator);
  const o: Observation = {
    id: r.id,
    point: point?.code ?? `#${r.point_id}`,
    device: device?.code ?? `#${r.device_id}`,
    site: site?.code ?? `#${r.site_id}`,
    indicator: r.indicator,
    domain: ind?.domain ?? (r.indicator.split('.')[0] as Observation['domain']),
    kind: r.kind as Observation['kind'],
    time: r.time.toISOString(),
    value: r.value,
    unit: r.unit,
    quality: { source_flag: r.source_flag as Observation['quality']['source_flag'], flags: r.flags as Observation['quality']['flags'], warnings: r.warnings },
    source: { adapter: r.adapter, message_id: r.message_id, received_at: r.received_at.toISOString(), raw_value: r.raw_value, raw_unit: r.raw_unit },
  };
  if (r.kind !== 'rtd') { o.avg = r.avg; o.min = r.min; o.max = r.max; o.cou = r.cou; }
  return o;
}
