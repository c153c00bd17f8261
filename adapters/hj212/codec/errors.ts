// The codec's error codes (one registry, documented in docs/adapters/hj212.md) and the QnRtn each maps to.
import { LifelineError } from '../../../hub/sdk/errors.ts';

export interface Hj212ErrorInfo {
  /** What went wrong, in one sentence. */
  meaning: string;
  /** 9011 QnRtn the standard prescribes when a request fails this way (a field-specific code wins, see qnRtnFor). */
  qnRtn: number;
  /** What the sender (or the operator) can do about it. */
  fix: string;
}

/** Every code the codec raises. */
export const Hj212ErrorCodes = {
  HJ212_BAD_HEADER: { meaning: 'The frame does not start with `##` followed by a 4-digit decimal data-segment length.', qnRtn: 100, fix: 'Send `##` and the zero-padded length (e.g. `0255`); check that nothing (a modem banner, a BOM) precedes the frame.' },
  HJ212_LENGTH_MISMATCH: { meaning: 'The length field does not match the data segment: the CRC and trailer are not where it says they are.', qnRtn: 100, fix: 'Count the data segment in bytes (UTF-8), from the first header field to the closing `&&`, excluding `##`, the length, the CRC and CRLF.' },
  HJ212_TOO_LONG: { meaning: 'The data segment is longer than allowed (1024 in strict mode, maxDataLength in lenient mode; 9999 at most).', qnRtn: 100, fix: 'Split long data into packets (PNUM/PNO, Flag D bit), or raise maxDataLength for this device in lenient mode.' },
  HJ212_CRC_MISMATCH: { meaning: 'The CRC sent does not match the CRC16 of the data segment (or is missing/malformed).', qnRtn: 9, fix: 'Compute the standard\'s CRC (Appendix A, not CRC-16/MODBUS) over the data segment bytes and send it as 4 hex digits; if the device uses a Modbus dialect, configure it per device in lenient mode.' },
  HJ212_BAD_TRAILER: { meaning: 'The frame does not end with CRLF right after the 4 CRC digits (or bytes follow the trailer).', qnRtn: 100, fix: 'End every frame with `\\r\\n` immediately after the CRC; send nothing else in between frames.' },
  HJ212_BAD_FIELD: { meaning: 'A header field (QN, ST, CN, PW, MN, Flag, PNUM, PNO) has a value the standard does not allow.', qnRtn: 100, fix: 'Send the field in the format of HJ 212-2017 Table 3 (QN 17 digits, ST from Table 5, CN 4 digits, PW ≤ 6 chars, MN 24 hex / 14 chars in 2005, Flag 0–255, PNO ≤ PNUM).' },
  HJ212_MISSING_FIELD: { meaning: 'A required header field is absent.', qnRtn: 100, fix: 'Send every required field: QN (2017+), ST, CN, PW, MN, Flag; PNUM and PNO when the D bit is set.' },
  HJ212_DUPLICATE_KEY: { meaning: 'The same key occurs twice in the header or in one CP record.', qnRtn: 100, fix: 'Send each key once per record; start a new record with `DataTime=` for another time.' },
  HJ212_BAD_CP: { meaning: 'The data area does not follow the CP grammar (`CP=&&key=value;…&&`).', qnRtn: 100, fix: 'Wrap the data area in `CP=&&…&&`, write entries as `key=value` separated by `;` or `,`, no spaces, and wrap free text in `//…//`.' },
  HJ212_BAD_ENCODING: { meaning: 'The data segment is not valid UTF-8 (and no fallback applied).', qnRtn: 100, fix: 'Send Chinese text as UTF-8 (HJ 212-2017 §6.3); for legacy GBK devices use lenient mode with fallbackEncoding gb18030.' },
} as const satisfies Record<string, Hj212ErrorInfo>;

export type Hj212ErrorCode = keyof typeof Hj212ErrorCodes;

export interface Hj212ErrorDetails {
  /** Byte offset in the frame (from the first `#`), or in the stream for framer errors. */
  offset: number;
  /** The field concerned: QN, ST, CN, PW, MN, Flag, PNUM, PNO, CRC, length, CP, or a CP key. */
  field?: string;
  [k: string]: unknown;
}

/** A frame the codec cannot accept. `details.offset` is a byte offset, `details.field` names the field. */
export class Hj212Error extends LifelineError {
  declare readonly details: Hj212ErrorDetails;
  override readonly code: Hj212ErrorCode;

  constructor(code: Hj212ErrorCode, message: string, details: Hj212ErrorDetails, cause?: unknown) {
    super(code, message, { details, retryable: false, stage: 'receiving', httpStatus: 400, cause });
    this.name = 'Hj212Error';
    this.code = code;
  }
}

export const isHj212Error = (e: unknown): e is Hj212Error => e instanceof Hj212Error;

/** QnRtn by field (HJ 212-2017 Table 6): 3 PW, 4 MN, 5 ST, 6 Flag, 7 QN, 8 CN, 9 CRC. */
const QNRTN_BY_FIELD: Record<string, number> = { PW: 3, MN: 4, ST: 5, Flag: 6, PNUM: 6, PNO: 6, QN: 7, CN: 8, CRC: 9 };

/** The 9011 QnRtn the standard prescribes for this error (100 = unknown error when no field-specific code applies). */
export function qnRtnFor(error: unknown): number {
  if (!(error instanceof Hj212Error)) return 100;
  if (error.code === 'HJ212_CRC_MISMATCH') return 9;
  const byField = error.details.field !== undefined ? QNRTN_BY_FIELD[error.details.field] : undefined;
  if (byField !== undefined && (error.code === 'HJ212_BAD_FIELD' || error.code === 'HJ212_MISSING_FIELD' || error.code === 'HJ212_DUPLICATE_KEY')) return byField;
  return Hj212ErrorCodes[error.code]?.qnRtn ?? 100;
}

export interface Hj212WarningInfo {
  /** The deviation lenient mode accepted. */
  meaning: string;
  /** What strict mode raises instead (null: not a deviation strict mode sees, e.g. an option or reassembly). */
  strict: Hj212ErrorCode | null;
  /** Which public implementations or captures do this (reference). */
  seenIn: string;
}

/** Every warning lenient mode can record in Hj212Frame.warnings (documented in docs/adapters/hj212.md). */
export const Hj212Warnings = {
  // frame layout and CRC
  over_1024: { meaning: 'data segment longer than 1024 bytes (up to maxDataLength)', strict: 'HJ212_TOO_LONG', seenIn: 'tonyxia rx.log (1623 bytes), srdgame sends up to 9800' },
  length_in_chars: { meaning: 'the length field counts characters (UTF-16 units, or GB18030 characters), not bytes', strict: 'HJ212_LENGTH_MISMATCH', seenIn: 'xiaoyao9184, IceCoffee, caoyiliang UploadLogReq' },
  bare_lf_trailer: { meaning: 'frame ends with LF only', strict: 'HJ212_BAD_TRAILER', seenIn: 'line-based senders; xiaoyao9184 does not check the trailer' },
  crc_unpadded: { meaning: 'CRC written with fewer than 4 hex digits', strict: 'HJ212_CRC_MISMATCH', seenIn: 'guocay, liaogang, liruoyu (Integer.toHexString, {CRC:X2}); xiaoyao9184 issue #25' },
  no_crc: { meaning: 'no CRC at all (only with allowMissingCrc)', strict: 'HJ212_CRC_MISMATCH', seenIn: 'reference §13.10' },
  crc_modbus: { meaning: 'CRC-16/MODBUS, high byte first (device configured crc: modbus)', strict: 'HJ212_CRC_MISMATCH', seenIn: 'srdgame crc_serial.lua' },
  crc_modbus_le: { meaning: 'CRC-16/MODBUS printed low byte first (device configured crc: modbus_le)', strict: 'HJ212_CRC_MISMATCH', seenIn: 'tonyxia rx.log, srdgame crc_serial_le.lua' },
  gb18030_text: { meaning: 'data segment is not UTF-8; decoded as GB18030 (covers GBK)', strict: 'HJ212_BAD_ENCODING', seenIn: 'legacy devices; tonyxia converts GBK' },
  // header
  no_cp: { meaning: 'no CP=&&…&& area', strict: 'HJ212_BAD_CP', seenIn: '—' },
  cp_not_closed: { meaning: 'data segment does not end with the && closing CP', strict: 'HJ212_BAD_CP', seenIn: 'xiaoyao9184 ALLOW_KEY_NOT_CLOSED' },
  missing_separator: { meaning: 'no ";" before CP= (e.g. Flag=5CP=)', strict: 'HJ212_BAD_FIELD', seenIn: 'HJ 212-2017 examples' },
  header_comma: { meaning: 'header fields separated by ","', strict: 'HJ212_BAD_FIELD', seenIn: 'HJ 212-2017 examples (QN=…534,ST=32)' },
  header_key_case: { meaning: 'header key in another case (PNum, flag)', strict: 'HJ212_BAD_FIELD', seenIn: 'teafull (PNum)' },
  unknown_header_field: { meaning: 'unknown key before CP (ignored)', strict: 'HJ212_BAD_FIELD', seenIn: '—' },
  duplicate_header_field: { meaning: 'a header field twice (the last wins)', strict: 'HJ212_DUPLICATE_KEY', seenIn: '—' },
  no_flag: { meaning: 'no Flag: read as 2005, A=0, D=0', strict: 'HJ212_MISSING_FIELD', seenIn: 'most 2005 devices (tonyxia rx.log, xiaoyao README)' },
  unknown_version: { meaning: 'Flag version bits of no known generation', strict: 'HJ212_BAD_FIELD', seenIn: '—' },
  unknown_cn: { meaning: 'CN not defined for the frame\'s generation', strict: 'HJ212_BAD_FIELD', seenIn: 'vendor commands' },
  no_qn: { meaning: 'no QN where the generation requires one', strict: 'HJ212_MISSING_FIELD', seenIn: 'teafull, srdgame, caoyiliang (QN optional)' },
  bad_qn: { meaning: 'QN not 17 digits', strict: 'HJ212_BAD_FIELD', seenIn: '—' },
  no_st: { meaning: 'no ST', strict: 'HJ212_MISSING_FIELD', seenIn: '—' },
  unknown_st: { meaning: 'ST not in Table 5 (nor A0–Z9)', strict: 'HJ212_BAD_FIELD', seenIn: 'ST=80 (zblzbl), 99 (flash520), 101 (tonyxia)' },
  no_pw: { meaning: 'no PW', strict: 'HJ212_MISSING_FIELD', seenIn: '—' },
  long_pw: { meaning: 'PW longer than 6 characters', strict: 'HJ212_BAD_FIELD', seenIn: 'IceCoffee demo (24-character keys)' },
  no_mn: { meaning: 'no MN', strict: 'HJ212_MISSING_FIELD', seenIn: '—' },
  bad_mn: { meaning: 'MN not 24 hex digits (2017/2025) or 14 letters/digits (2005)', strict: 'HJ212_BAD_FIELD', seenIn: 'MNs of 7–20 characters with - or _ (teafull, guocay, chenqi92)' },
  segment_without_pnum: { meaning: 'D bit without PNUM/PNO (one packet)', strict: 'HJ212_MISSING_FIELD', seenIn: 'teafull-0367, 2005 Flag=3 requests' },
  pnum_without_d: { meaning: 'PNUM/PNO without the D bit', strict: 'HJ212_BAD_FIELD', seenIn: 'guocay sample 6' },
  // CP grammar
  empty_entry: { meaning: 'two separators in a row', strict: 'HJ212_BAD_CP', seenIn: 'xiaoyao9184 IGNORE_INVAILD_SYMBOL' },
  isolated_key: { meaning: 'CP entry without "=" (value null)', strict: 'HJ212_BAD_CP', seenIn: 'xiaoyao9184 ALLOW_ISOLATED_KEY' },
  whitespace_trimmed: { meaning: 'whitespace around keys or values (trimmed)', strict: 'HJ212_BAD_CP', seenIn: 'HJ 212-2017 examples (CP=&& PolId, LA -Rtd)' },
  empty_key: { meaning: 'empty key, factor code or suffix', strict: 'HJ212_BAD_CP', seenIn: '—' },
  duplicate_key: { meaning: 'a CP key twice in one record (the last wins)', strict: 'HJ212_DUPLICATE_KEY', seenIn: 'guocay sample 3' },
  trailing_separator: { meaning: 'CP ends with ";" or "," before &&', strict: 'HJ212_BAD_CP', seenIn: 'teafull-0367, xiaoyao9184 test frames' },
  info_unterminated: { meaning: 'a //…// value without its closing //', strict: 'HJ212_BAD_CP', seenIn: '—' },
  // reassembly
  segment_raw_split: { meaning: 'packets split inside the CP text (joined and parsed again)', strict: null, seenIn: 'liruoyu Pack()' },
} as const satisfies Record<string, Hj212WarningInfo>;

export type Hj212WarningCode = keyof typeof Hj212Warnings;
