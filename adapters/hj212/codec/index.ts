// The HJ 212 codec: pure functions over bytes (no sockets, no clock). See docs/adapters/hj212.md.
export type * from './types.ts';
export { crc16, crcHex, crc16Hj212, crc16Modbus, CRC_DIALECTS } from './crc.ts';
export { Hj212Error, Hj212ErrorCodes, Hj212Warnings, isHj212Error, qnRtnFor, type Hj212ErrorCode, type Hj212ErrorInfo, type Hj212ErrorDetails, type Hj212WarningCode, type Hj212WarningInfo } from './errors.ts';
export {
  versionOfFlag, flagFor, cnInfo, isKnownSt, VERSION_BITS, KNOWN_VERSIONS, CN_TABLE, ST_TABLE, QN_RTN, EXE_RTN, DATA_FLAGS,
  FIELD_SUFFIXES, PLAIN_CP_FIELDS, INFO_STATES, DEFAULT_TIMEOUTS, MAX_DATA_STANDARD, MAX_DATA_FIELD, FLAG_A, FLAG_D,
  type KnownVersion, type CnKind, type CnEntry, type StEntry, type CodeEntry, type DataFlagEntry, type SuffixEntry, type SuffixType,
} from './tables.ts';
export { decodeFrame, decodeCpText, maxDataLengthFor } from './parse.ts';
export { encodeFrame, replyTo, splitRecords, dataSegmentOf, cpTextOf, qnPlus } from './build.ts';
export { Framer, type FramerOptions } from './framer.ts';
export { Reassembler, type ReassemblerOptions } from './segments.ts';
export { dataTimeToIso, isoToDataTime } from './time.ts';
export { unwrapInfo } from './info.ts';
export { peekHeader, type PeekedHeader } from './peek.ts';
