// Register answers -> SourceReadings: decode, scale, sentinels, and quality for what could not be read. Pure.
import type { SourceReading, SourceQuality } from '../../hub/sdk/index.ts';
import { LifelineError } from '../../hub/sdk/index.ts';
import { decodeAt, scaleValue } from './codec/registers.ts';
import type { ReadRequest } from './codec/plan.ts';
import type { ProfilePoint } from './profile.ts';

/** Who the readings are for: the hub device code, or the protocol identity host:port/unit. */
export interface ReadingTarget { device?: string; key: string }

/** SourceReading with the source-quality fields the pipeline accepts (quality bad ⇒ value may be null). */
export type ModbusReading = SourceReading & { quality?: SourceQuality };

const identities = new WeakMap<ReadingTarget, { protocol: string; key: string }>();

function base(t: ReadingTarget, p: ProfilePoint, time: number): ModbusReading {
  // Plain assignments (no spreads): this runs for every value of every poll.
  const r = { field: p.name, time } as ModbusReading;
  if (t.device) r.device = t.device;
  else {
    let id = identities.get(t);
    if (!id) { id = { protocol: 'modbus_tcp', key: t.key }; identities.set(t, id); }
    r.identity = id;
  }
  if (p.unit) r.unit = p.unit;
  return r;
}

/** Warning code for an error that prevented reading a point. */
export function warningFor(e: unknown): string {
  if (e instanceof LifelineError) {
    if (e.code === 'MODBUS_TIMEOUT') return 'modbus_timeout';
    if (e.code === 'MODBUS_EXCEPTION') return `modbus_exception_${Number(e.details.exception) || 0}`;
    if (e.code === 'MODBUS_CONNECTION_FAILED') return 'modbus_connection_failed';
    if (e.code === 'MODBUS_VALUE_INVALID') return String(e.details.reason ?? 'modbus_decode_error');
  }
  return 'modbus_read_failed';
}

/** A point that could not be read: quality bad, flag B (communication abnormal), value null. */
export function failedReading(t: ReadingTarget, p: ProfilePoint, time: number, error: unknown): ModbusReading {
  return { ...base(t, p, time), value: null, quality: 'bad', flag: 'B', warnings: [warningFor(error)] };
}

const sentinelCache = new WeakMap<ReadonlyArray<number | string>, { nums: number[]; nan: boolean }>();

/** Is this raw value one of the point's "sensor fault" sentinels (numbers, "NaN", hex strings like "0xFFFF")? */
export function isSentinel(raw: number, sentinels: ReadonlyArray<number | string> | undefined): boolean {
  if (!sentinels?.length) return false;
  let c = sentinelCache.get(sentinels);
  if (!c) {
    const all = sentinels.map((s) => (typeof s === 'number' ? s : Number(String(s).trim())));
    c = { nums: all.filter((n) => !Number.isNaN(n)), nan: all.some((n) => Number.isNaN(n)) };
    sentinelCache.set(sentinels, c);
  }
  return Number.isNaN(raw) ? c.nan : c.nums.includes(raw);
}

/** Decode one point from the words/bits of its request and turn it into a reading. */
export function pointReading(t: ReadingTarget, p: ProfilePoint, words: ArrayLike<number>, time: number, start = 0): ModbusReading | undefined {
  let raw: number | string;
  try { raw = decodeAt(words, start, p); } catch (e) {
    return { ...base(t, p, time), value: null, quality: 'bad', flag: 'D', warnings: [warningFor(e)] };
  }
  if (typeof raw === 'string') return undefined; // strings are not measurements: readable by command only
  if (isSentinel(raw, p.sentinels)) return { ...base(t, p, time), value: null, quality: 'bad', flag: 'D', warnings: ['sensor_fault_sentinel'] };
  if (!Number.isFinite(raw)) return { ...base(t, p, time), value: null, quality: 'bad', flag: 'D', warnings: ['non_finite_value'] };
  const r = base(t, p, time);
  r.value = scaleValue(raw, p.scale, p.offset);
  return r;
}

/** All readings of one answered request (points with ingest: false are skipped). */
export function requestReadings(t: ReadingTarget, req: ReadRequest, data: ArrayLike<number>, time: number): ModbusReading[] {
  const out: ModbusReading[] = [];
  for (const { point, index } of req.points) {
    const p = point as ProfilePoint;
    if (p.ingest === false) continue;
    const r = pointReading(t, p, data, time, index);
    if (r) out.push(r);
  }
  return out;
}

/** Readings for every ingested point of a request that failed. */
export function requestFailed(t: ReadingTarget, req: ReadRequest, time: number, error: unknown): ModbusReading[] {
  return req.points.filter(({ point }) => (point as ProfilePoint).ingest !== false && point.type !== 'string').map(({ point }) => failedReading(t, point as ProfilePoint, time, error));
}
