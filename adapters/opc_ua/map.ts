// One OPC UA DataValue of one monitored item → one SourceReading. Pure: no I/O.
import { shortestFloat32, type SourceReading } from '../../hub/sdk/index.ts';
import { statusQuality } from './status.ts';

export interface ItemTarget {
  /** Source field (the item's name). */
  field: string;
  /** Endpoint key (identity {protocol: opc_ua, key}) … */
  key: string;
  /** … or, when set, the hub device code. */
  device?: string;
}

/** What the mapper needs of a node-opcua DataValue. */
export interface DataValueLike {
  value?: { value: unknown; dataType?: number } | null;
  statusCode?: { value: number; name: string } | null;
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

// OPC UA's DateTime minimum (1601-01-01) and node-opcua's "no timestamp" both mean: not given.
const MIN_TIME = Date.UTC(1601, 0, 2);
const usable = (d: Date | null | undefined): d is Date => !!d && !Number.isNaN(d.getTime()) && d.getTime() > MIN_TIME;

/** OPC UA built-in type ids (node-opcua's DataType): Int64's high word is signed; Float is single precision. */
const INT64 = 8;
const FLOAT = 10;

/**
 * A number from a Variant value: numbers, booleans (1/0), Int64/UInt64 ([high, low] words or bigint). A Float is
 * its shortest decimal (1.3651905, not the double 1.3651905059814453 node-opcua widens it to), as Modbus float32.
 */
export function numeric(v: unknown, dataType?: number): number | undefined {
  if (typeof v === 'number') return !Number.isFinite(v) ? undefined : dataType === FLOAT ? shortestFloat32(v) : v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') {
    // node-opcua gives both words unsigned; an Int64's high word carries the sign.
    return (dataType === INT64 ? v[0] | 0 : v[0]) * 2 ** 32 + v[1];
  }
  return undefined;
}

export type MapOutcome = { reading: SourceReading } | { unsupported: string };

/** Source timestamp, else server timestamp, else the receive time (with a warning saying which). */
export function toReading(t: ItemTarget, dv: DataValueLike, receivedAt: number): MapOutcome {
  const st = dv.statusCode ? statusQuality(dv.statusCode.value, dv.statusCode.name) : statusQuality(0, 'Good');
  const warnings: string[] = [];
  if (st.warning) warnings.push(st.warning);
  let time: number;
  if (usable(dv.sourceTimestamp)) time = dv.sourceTimestamp.getTime();
  else if (usable(dv.serverTimestamp)) { time = dv.serverTimestamp.getTime(); warnings.push('opcua_server_timestamp'); }
  else { time = receivedAt; warnings.push('opcua_receive_time'); }
  let value: number | null = null;
  const raw = dv.value?.value;
  if (st.quality !== 'bad' && typeof raw === 'number' && !Number.isFinite(raw)) {
    // NaN / ±Infinity: the device says it has no usable value (as Modbus sentinels do), not an unsupported type.
    const reading: SourceReading = {
      ...(t.device ? { device: t.device } : { identity: { protocol: 'opc_ua', key: t.key } }),
      field: t.field, time, kind: 'rtd', value: null, quality: 'bad', flag: 'D', warnings: [...warnings, 'non_finite_value'] as SourceReading['warnings'],
    };
    return { reading };
  }
  if (st.quality !== 'bad') {
    const n = numeric(raw, dv.value?.dataType);
    if (n === undefined) return { unsupported: raw === null || raw === undefined ? 'empty' : Array.isArray(raw) ? 'array' : typeof raw };
    value = n;
  }
  const reading: SourceReading = {
    ...(t.device ? { device: t.device } : { identity: { protocol: 'opc_ua', key: t.key } }),
    field: t.field, time, kind: 'rtd', value,
  };
  if (st.quality !== 'good') reading.quality = st.quality;
  if (st.flag !== 'N') reading.flag = st.flag;
  if (warnings.length) reading.warnings = warnings as SourceReading["warnings"];
  return { reading };
}
