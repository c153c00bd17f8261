// The HJ 212 codec's public shapes. Pure: no sockets, no clock. Bytes in, frames out (and back).

/** Protocol generation, from the Flag version bits (Flag >> 2): 0 → 2005, 1 → 2017, 2 → 2025. */
export type Hj212Version = '2005' | '2017' | '2025' | 'unknown';

/** CRC dialects: the standard's own; lenient per-device alternatives seen in the field. */
export type CrcDialect = 'hj212' | 'modbus' | 'modbus_le';

export interface DecodeOptions {
  /** strict: the standard; lenient: accept known real-world deviations, each reported in `warnings`. */
  mode: 'strict' | 'lenient';
  /** Largest data segment accepted (strict: 1024; lenient default 9999). */
  maxDataLength?: number;
  /** CRC dialect expected from this device (default hj212). */
  crc?: CrcDialect;
  /** Text fallback when CP bytes are not valid UTF-8 (lenient only): 'gb18030' (covers GBK). */
  fallbackEncoding?: 'gb18030' | 'none';
  /** Lenient only: accept a frame with no CRC at all (`…&&\r\n`, warning no_crc). Default false: it disables error detection. */
  allowMissingCrc?: boolean;
}

/** One CP item group, e.g. w01018 with { Rtd: '12.5', Flag: 'N' } — values stay strings (the wire's own text). */
export interface CpItem { code: string; fields: Record<string, string | null> }

/** One record of the data area: the part of CP that starts with DataTime (several per segment possible). */
export interface CpRecord {
  /** DataTime as sent (14 digits, or 17), or undefined when the CP carries none. */
  dataTime?: string;
  /** Plain (non-item) fields of this record, e.g. { RestartTime: '…' }. */
  fields: Record<string, string | null>;
  /** Item groups keyed by factor code, in wire order. */
  items: CpItem[];
}

export interface Hj212Frame {
  version: Hj212Version;
  /** Header fields as sent (any order on the wire). */
  qn?: string;
  st?: string;
  cn: string;
  pw?: string;
  mn?: string;
  /** Flag integer, undefined when absent. */
  flag?: number;
  /** A bit: the receiver must answer (absent Flag → false; the server may still ack, see adapter config). */
  ackRequested: boolean;
  /** D bit. */
  segmented: boolean;
  pnum?: number;
  pno?: number;
  /** Parsed data area: plain fields (e.g. QnRtn, ExeRtn, SystemTime, BeginTime) and records. */
  cp: { fields: Record<string, string | null>; records: CpRecord[] };
  /** Raw CP text between CP=&& and && (for opaque forwarding and raw-split reassembly). */
  cpText: string;
  /** Deviations accepted in lenient mode, snake_case codes (e.g. crc_modbus_le, bare_lf_trailer, duplicate_key). */
  warnings: string[];
  /** Total bytes the frame occupied on the wire (sum over the packets for a reassembled frame). */
  byteLength: number;
  /** Set on a frame the Reassembler merged from PNUM packets: each packet's QN, PNO and size, in PNO order. */
  segments?: Array<{ qn?: string; pno: number; byteLength: number }>;
}

/** What build() takes. Items/fields are written in the given order; Flag is computed from version + ack + segmented. */
export interface BuildInput {
  version?: Exclude<Hj212Version, 'unknown'>;
  qn?: string;
  st: string;
  cn: string;
  pw?: string;
  mn?: string;
  ackRequested?: boolean;
  pnum?: number;
  pno?: number;
  /** Override the computed Flag (e.g. to reproduce a peer's frame exactly). */
  flag?: number;
  /** Write no Flag field at all (the HJ/T 212-2005 9014 answer has none). */
  omitFlag?: boolean;
  cp: { fields?: Record<string, string | number | null>; records?: Array<{ dataTime?: string; fields?: Record<string, string | number | null>; items?: Array<{ code: string; fields: Record<string, string | number | null> }> }> };
}

/** Outcome of feeding bytes to the stream framer. */
export type FramerEvent =
  | { type: 'frame'; bytes: Uint8Array }
  /** Unframable bytes skipped while resynchronising to the next `##`; offset is within the stream. */
  | { type: 'error'; error: Error & { code: string; details: { offset?: number } } };
