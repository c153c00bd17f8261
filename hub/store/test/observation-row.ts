// An rtd reading of the pack tests: water pressure of device 1 at site 1, nothing rare unless `over` says so.
import type { ObservationRow } from '../rows.ts';

export function row(pointId: number, timeMs: number, value: number | null, over: Partial<ObservationRow> = {}): ObservationRow {
  return {
    pointId, deviceId: 1, siteId: 1, indicator: 'water.pipe_pressure', kind: 'rtd', timeMs, value,
    avg: null, min: null, max: null, cou: null, unit: 'MPa', sourceFlag: 'N', flags: [], warnings: [],
    messageId: null, rawValue: null, rawUnit: null, ...over,
  };
}
