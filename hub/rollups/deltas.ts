// The minute sums of batches this process committed, computed from the rows it still holds (hub/alarms/recent.ts)
// instead of read back from the store: what the roller's MINUTES statement sums from stored rows (its `d`), handed to
// it as JSON. The store then only folds them in: no read, sort or grouping of the step's rows in the engine.
import type { ObservationRow } from '../store/rows.ts';
import { SUSPECT_FLAGS } from '../store/rollups.ts';

/** A committed batch as the roller holds it until its step: the rows stored, and when the hub received them. */
export interface HeldBatch { readonly rows: readonly ObservationRow[]; readonly receivedAtMs: number; readonly length: number }

/** From here on every zone's minute is UTC's (MINUTE_OF in hub/store/rollups.ts). */
const ZONE_MINUTE_IS_UTC = Date.UTC(1973, 0, 1);
const SUSPECT = new Set<string>(SUSPECT_FLAGS);

// One class: every sum has the same hidden class.
class Sum {
  n = 0; s = 0; mn = Infinity; mx = -Infinity; ft = Infinity; fv = 0; lt = -Infinity; lv = 0; fl = 0; ot = 0; d = 0; si = 0;
  constructor(readonly p: number, readonly b: number, readonly ind: string, readonly u: string) {}
}

/**
 * The batches' rtd readings with a value, summed per (point, minute) as MINUTES sums stored rows: as JSON for
 * json_to_recordset (point_id, b, n, s, mn, mx, ft, fv, lt, lv, fl, ot, device_id, site_id, indicator, unit), with
 * how many sums and readings that is. `timelyS`: report_setting.timely_within_s (null: none, so nothing is on time).
 * Undefined where the store must sum them itself: a reading before 1973 or at a fraction of a millisecond, a value or
 * sum JSON cannot carry (not finite), a minute whose readings name two indicators or units (the store's max() of text
 * follows its collation, not JavaScript's); and where there are fewer than `minReadingsPerSum` readings per sum (too
 * few to be worth handing over: decided before any JSON is built).
 */
export function minuteDeltas(batches: Iterable<HeldBatch>, timelyS: number | null, minReadingsPerSum = 0): { json: string; sums: number; readings: number } | undefined {
  const byPoint = new Map<number, Map<number, Sum>>();
  let readings = 0;
  for (const batch of batches) {
    const lateAfter = timelyS === null ? Infinity : batch.receivedAtMs - timelyS * 1000; // on time: at or after this
    for (const r of batch.rows) {
      const v = r.value;
      if (r.kind !== 'rtd' || v === null) continue;
      const t = r.timeMs;
      if (t < ZONE_MINUTE_IS_UTC || !Number.isInteger(t) || !Number.isFinite(v)) return undefined;
      const b = t - (t % 60_000);
      let minutes = byPoint.get(r.pointId);
      if (!minutes) byPoint.set(r.pointId, (minutes = new Map()));
      let m = minutes.get(b);
      if (!m) minutes.set(b, (m = new Sum(r.pointId, b, r.indicator, r.unit)));
      else if (m.ind !== r.indicator || m.u !== r.unit) return undefined;
      m.n++; m.s += v; readings++;
      if (v < m.mn) m.mn = v;
      if (v > m.mx) m.mx = v;
      if (t < m.ft) { m.ft = t; m.fv = v; }
      if (t > m.lt) { m.lt = t; m.lv = v; }
      if (r.sourceFlag !== 'N' || (r.flags.length && r.flags.some((f) => SUSPECT.has(f)))) m.fl++;
      if (t >= lateAfter) m.ot++;
      if (r.deviceId > m.d) m.d = r.deviceId;
      if (r.siteId > m.si) m.si = r.siteId;
    }
  }
  let sums = 0;
  for (const minutes of byPoint.values()) sums += minutes.size;
  if (sums * minReadingsPerSum > readings) return undefined;
  const out: string[] = [];
  for (const minutes of byPoint.values()) {
    for (const m of minutes.values()) {
      if (!Number.isFinite(m.s)) return undefined;
      out.push(JSON.stringify({
        point_id: m.p, b: new Date(m.b).toISOString(), n: m.n, s: m.s, mn: m.mn, mx: m.mx, ft: new Date(m.ft).toISOString(), fv: m.fv,
        lt: new Date(m.lt).toISOString(), lv: m.lv, fl: m.fl, ot: m.ot, device_id: m.d, site_id: m.si, indicator: m.ind, unit: m.u,
      }));
    }
  }
  return { json: `[${out.join(',')}]`, sums: out.length, readings };
}
