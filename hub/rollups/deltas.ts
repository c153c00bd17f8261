// The minute sums of batches this process committed, computed from the rows it still holds (hub/alarms/recent.ts)
// instead of read back from the store: what the roller's MINUTES statement sums from stored rows (its `d`), handed to
// it as JSON. The store then only folds them in: no read, sort or grouping of the step's rows in the engine.
import type { ObservationRow } from '../store/rows.ts';
import { SUSPECT_FLAGS } from '../store/rollups.ts';

/** A committed batch as the roller holds it until its step: the rows stored, and when the hub received them. */
export interface HeldBatch { readonly rows: readonly ObservationRow[]; readonly receivedAtMs: number; readonly length: number }

/**
 * A held batch reduced to what its minute sums need: the rtd readings with a value, in columns (about 45 bytes a
 * reading instead of a row object and its numbers), so the batch's rows can go as soon as ingest and the alarm
 * evaluator are done with them. The roller holds up to a step's worth (200,000 readings; 50,000 on PGlite) for up to 2 s.
 * `declines`: the batch has a reading the sums cannot carry (minuteDeltas then declines).
 */
export interface HeldColumns {
  readonly length: number; readonly receivedAtMs: number; readonly declines: boolean; readonly n: number;
  readonly point: Int32Array; readonly device: Int32Array; readonly site: Int32Array;
  readonly time: Float64Array; readonly value: Float64Array; readonly flagged: Uint8Array;
  readonly indicator: string[]; readonly unit: string[];
}

/** The columns of a batch's rows (HeldColumns). `length` stays the batch's row count (what the roller's cap counts). */
export function heldColumns(batch: HeldBatch): HeldColumns {
  const rows = batch.rows;
  let n = 0;
  for (const r of rows) if (r.kind === 'rtd' && r.value !== null) n++;
  const c = {
    length: batch.length, receivedAtMs: batch.receivedAtMs, declines: false, n,
    point: new Int32Array(n), device: new Int32Array(n), site: new Int32Array(n), time: new Float64Array(n), value: new Float64Array(n),
    flagged: new Uint8Array(n), indicator: new Array<string>(n), unit: new Array<string>(n),
  };
  let i = 0;
  for (const r of rows) {
    const v = r.value;
    if (r.kind !== 'rtd' || v === null) continue;
    const t = r.timeMs;
    if (t < ZONE_MINUTE_IS_UTC || !Number.isInteger(t) || !Number.isFinite(v)) c.declines = true;
    c.point[i] = r.pointId; c.device[i] = r.deviceId; c.site[i] = r.siteId; c.time[i] = t; c.value[i] = v;
    c.flagged[i] = r.sourceFlag !== 'N' || (r.flags.length > 0 && r.flags.some((f) => SUSPECT.has(f))) ? 1 : 0;
    c.indicator[i] = r.indicator; c.unit[i] = r.unit;
    i++;
  }
  return c;
}

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
export function minuteDeltas(batches: Iterable<HeldBatch | HeldColumns>, timelyS: number | null, minReadingsPerSum = 0): { json: string; sums: number; readings: number } | undefined {
  const byPoint = new Map<number, Map<number, Sum>>();
  let readings = 0;
  for (const held of batches) {
    const c = 'rows' in held ? heldColumns(held) : held;
    if (c.declines) return undefined;
    const lateAfter = timelyS === null ? Infinity : c.receivedAtMs - timelyS * 1000; // on time: at or after this
    for (let i = 0; i < c.n; i++) {
      const v = c.value[i]!, t = c.time[i]!, p = c.point[i]!, ind = c.indicator[i]!, u = c.unit[i]!;
      const b = t - (t % 60_000);
      let minutes = byPoint.get(p);
      if (!minutes) byPoint.set(p, (minutes = new Map()));
      let m = minutes.get(b);
      if (!m) minutes.set(b, (m = new Sum(p, b, ind, u)));
      else if (m.ind !== ind || m.u !== u) return undefined;
      m.n++; m.s += v; readings++;
      if (v < m.mn) m.mn = v;
      if (v > m.mx) m.mx = v;
      if (t < m.ft) { m.ft = t; m.fv = v; }
      if (t > m.lt) { m.lt = t; m.lv = v; }
      m.fl += c.flagged[i]!;
      if (t >= lateAfter) m.ot++;
      if (c.device[i]! > m.d) m.d = c.device[i]!;
      if (c.site[i]! > m.si) m.si = c.site[i]!;
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
