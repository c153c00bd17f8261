// A stored observation row → the unified Observation shape (schemas/json/observation.schema.json), given the
// registry codes its ids stand for. One mapping for the API (codes from the in-memory registry) and for the
// history reader (codes joined in SQL).
import type { Observation } from '../../schemas/generated/types.ts';
import type { StoredObservationRow } from './observations.ts';

export interface ObservationCodes {
  point?: string;
  device?: string;
  site?: string;
  /** The indicator's domain (default: the code's first segment, `gas` of `gas.pressure`). */
  domain?: string;
}

export function rowToObservation(r: StoredObservationRow, codes: ObservationCodes): Observation {
  const o: Observation = {
    id: r.id,
    point: codes.point ?? `#${r.point_id}`,
    device: codes.device ?? `#${r.device_id}`,
    site: codes.site ?? `#${r.site_id}`,
    indicator: r.indicator,
    domain: (codes.domain ?? r.indicator.split('.')[0]) as Observation['domain'],
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
