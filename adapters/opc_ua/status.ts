// OPC UA StatusCode → the hub's per-value quality, source flag and warning. Pure: no I/O.
import type { SourceQuality } from '../../hub/sdk/index.ts';

/** Bad codes that mean "no contact with the data" (flag B, communication abnormal); every other Bad is a device fault (D). */
export const COMMUNICATION_BADS = new Set([
  'BadCommunicationError', 'BadNoCommunication', 'BadNotConnected', 'BadServerNotConnected', 'BadConnectionClosed',
  'BadConnectionRejected', 'BadTimeout', 'BadRequestTimeout', 'BadSecureChannelClosed', 'BadServerHalted',
  'BadShutdown', 'BadWaitingForInitialData', 'BadTcpInternalError', 'BadDeviceNotConnected' /* not in Part 4; some gateways send it */,
]);

export interface StatusQuality {
  quality: SourceQuality;
  /** HJ 212 source flag: N normal, B communication abnormal, D device fault. */
  flag: 'N' | 'B' | 'D';
  /** snake_case warning with the status name, when the status is not plain Good (`opcua_bad_sensor_failure`). */
  warning?: string;
}

/** `BadSensorFailure` → `bad_sensor_failure`. */
export const snake = (name: string): string =>
  name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();

/**
 * Map a status (its numeric value and name, as node-opcua's StatusCode gives them) to the hub's quality.
 * The severity is the top two bits (Part 4 §7.39): 00 Good, 01 Uncertain, 10/11 Bad.
 */
export function statusQuality(value: number, name: string): StatusQuality {
  const base = name.split('#')[0]!; // node-opcua appends #StructureChanged, #Overflow … for info bits
  const severity = (value >>> 30) & 0b11;
  if (severity === 0) return base === 'Good' || !base ? { quality: 'good', flag: 'N' } : { quality: 'good', flag: 'N', warning: `opcua_${snake(base)}` };
  const warning = `opcua_${snake(base || `status_0x${(value >>> 16).toString(16)}`)}`;
  if (severity === 1) return { quality: 'uncertain', flag: 'N', warning };
  return { quality: 'bad', flag: COMMUNICATION_BADS.has(base) ? 'B' : 'D', warning };
}
