// decodeFrame: one complete frame's bytes → Hj212Frame, or a typed Hj212Error. Strict mode is the standard;
// lenient mode accepts the deviations real devices send and lists each in `warnings` (docs/adapters/hj212.md).
//
// Hot path (a valid ASCII frame): one pass over the data segment computing the CRC (four independent chains,
// crc.ts) and checking for non-ASCII bytes; one native latin1 slice into a string; then header and CP are
// scanned over the frame's bytes themselves, with substring() of that string for values. No regex, no split(),
// no TextDecoder. Everything unusual (lenient layouts, diagnostics, other encodings) is off this path.
import type { DecodeOptions, Hj212Frame, Hj212Version } from './types.ts';
import { CRC_DIALECTS, crc16, crc16Hj212Scan as crcScanImport, crcHex, hexDigit as hexDigitImport } from './crc.ts';
import { Hj212Error } from './errors.ts';
import { FAIL, NEED, locate, tail, tailAt } from './layout.ts';
import { asciiSlice as asciiSliceImport, firstInvalidUtf8, gb18030, utf8CharEnd, utf8OrUndefined, type TextEncoding } from './text.ts';
import { codesOf, deviate, fail, type DecodeCtx } from './context.ts';
import { parseCp as parseCpImport, type CpData } from './cp.ts';
import { describeChar, firstUnsafeFieldChar as firstUnsafeImport } from './charset.ts';
import { MAX_DATA_FIELD, MAX_DATA_STANDARD, cnInfoByNumber as cnInfoImport, isKnownSt as isKnownStImport, versionOfFlag as versionOfFlagImport } from './tables.ts';

// Hot-path imports bound once: under a CommonJS-style loader (tsx) every use of an imported binding is a
// getter call that V8 does not inline; local consts make these direct calls. (Harmless under native ESM.)
const crc16Hj212Scan = crcScanImport;
const hexDigit = hexDigitImport;
const asciiSlice = asciiSliceImport;
const parseCp = parseCpImport;
const cnInfoByNumber = cnInfoImport;
const isKnownSt = isKnownStImport;
const versionOfFlag = versionOfFlagImport;
const firstUnsafeFieldChar = firstUnsafeImport;
const MAX_STD = MAX_DATA_STANDARD;
const MAX_FIELD = MAX_DATA_FIELD;

/** Largest data segment accepted under these options. */
export function maxDataLengthFor(opts: Pick<DecodeOptions, 'mode' | 'maxDataLength'>): number {
  return opts.mode === 'lenient'
    ? Math.min(opts.maxDataLength ?? MAX_FIELD, MAX_FIELD)
    : Math.min(opts.maxDataLength ?? MAX_STD, MAX_STD);
}

function frameError(code: ConstructorParameters<typeof Hj212Error>[0], message: string, offset: number, field?: string): Hj212Error {
  return new Hj212Error(code, `${message} (byte ${offset})`, field === undefined ? { offset } : { offset, field });
}

/** Decodes exactly one frame (`##` … CRLF). Throws Hj212Error; never anything else. */
export function decodeFrame(bytes: Uint8Array, opts: DecodeOptions): Hj212Frame {
  const b = bytes;
  const n = b.length;
  const lenient = opts.mode === 'lenient';
  const warnings: string[] = [];

  // -- header "##LLLL"
  if (n < 2 || b[0] !== 35 || b[1] !== 35) {
    throw frameError('HJ212_BAD_HEADER', 'a frame must start with "##"', 0);
  }
  let L = 0;
  for (let k = 2; k < 6; k++) {
    const d = k < n ? b[k]! - 48 : -1;
    if (d < 0 || d > 9) throw frameError('HJ212_BAD_HEADER', 'the 4 characters after "##" must be the decimal data-segment length (e.g. 0255)', Math.min(k, n), 'length');
    L = L * 10 + d;
  }
  const max = maxDataLengthFor(opts);
  if (L > max) {
    throw frameError('HJ212_TOO_LONG', `the data segment is ${L} bytes; the limit is ${max}${lenient ? ' (maxDataLength)' : ' in strict mode (the standard allows 1024); lenient mode accepts up to maxDataLength with warning over_1024'}`, 2, 'length');
  }
  if (L > MAX_STD) warnings.push('over_1024');

  // -- where the data ends, CRC, trailer
  let dataEnd = 6 + L;
  let crcStart = dataEnd;
  let crcLen = 4;
  let sent = -1;
  if (dataEnd + 6 === n && b[n - 2] === 13 && b[n - 1] === 10) {
    const h0 = hexDigit(b[dataEnd]!), h1 = hexDigit(b[dataEnd + 1]!), h2 = hexDigit(b[dataEnd + 2]!), h3 = hexDigit(b[dataEnd + 3]!);
    if ((h0 | h1 | h2 | h3) >= 0) sent = (h0 << 12) | (h1 << 8) | (h2 << 4) | h3;
  }
  if (sent < 0) {
    // slow path: diagnose, or accept a lenient layout
    const r = locate(b, 0, n, L, lenient, 6 + max);
    if (r === NEED || r === FAIL) throw layoutError(b, L, lenient, r === NEED ? 'length' : tail.why, max);
    if (r !== n) throw frameError('HJ212_BAD_TRAILER', `${n - r} byte(s) follow the frame's CRLF; pass exactly one frame`, r);
    dataEnd = tail.dataEnd;
    crcStart = tail.crcStart;
    crcLen = tail.crcLen;
    if (tail.lengthInChars) warnings.push('length_in_chars');
    if (tail.trailerLen === 1) warnings.push('bare_lf_trailer');
    if (crcLen > 0 && crcLen < 4) warnings.push('crc_unpadded');
    sent = 0;
    for (let k = 0; k < crcLen; k++) sent = (sent << 4) | hexDigit(b[crcStart + k]!);
  }

  // -- CRC (and ASCII check) in one pass
  const scan = crc16Hj212Scan(b, 6, dataEnd);
  const r = scan & 0xffff;
  const ascii = scan < 0x10000;
  if (crcLen === 0) {
    if (!(lenient && opts.allowMissingCrc)) throw lengthOffByCrc(b, L, dataEnd, opts.crc ?? 'hj212', lenient) ?? frameError('HJ212_CRC_MISMATCH', 'the frame has no CRC between the data segment and CRLF; lenient mode with allowMissingCrc accepts this with warning no_crc', crcStart, 'CRC');
    warnings.push('no_crc');
  } else if (sent !== r) {
    const dialect = opts.crc ?? 'hj212';
    if (lenient && dialect !== 'hj212' && crc16(b, 6, dataEnd, dialect) === sent) warnings.push(dialect === 'modbus' ? 'crc_modbus' : 'crc_modbus_le');
    else throw lengthOffByCrc(b, L, dataEnd, dialect, lenient) ?? crcError(b, dataEnd, crcStart, crcLen, r, sent, lenient, dialect);
  }

  // -- text
  let text: string;
  let enc: TextEncoding;
  if (ascii) {
    text = asciiSlice(b, 6, dataEnd);
    enc = 'ascii';
  } else {
    const u = utf8OrUndefined(b, 6, dataEnd);
    if (u !== undefined) {
      text = u;
      enc = 'utf8';
    } else if (lenient && opts.fallbackEncoding !== 'none') {
      text = gb18030(b, 6, dataEnd);
      enc = 'gb18030';
      warnings.push('gb18030_text');
    } else {
      const at = firstInvalidUtf8(b, 6, dataEnd);
      throw frameError('HJ212_BAD_ENCODING', `the data segment is not valid UTF-8 (HJ 212-2017 §6.3)${lenient ? '' : '; lenient mode decodes it as GB18030 with warning gb18030_text'}`, at < 0 ? 6 : at);
    }
  }

  const ctx: DecodeCtx = enc === 'ascii'
    ? { lenient, warnings, text, base: 6, enc, codes: b, d: 6, exact: true }
    : { lenient, warnings, text, base: 6, enc, codes: codesOf(text), d: 0, exact: false };
  return parseDataSegment(ctx, n);
}

// Header keys: QN ST CN PW MN Flag PNUM PNO
const K_QN = 0, K_ST = 1, K_CN = 2, K_PW = 3, K_MN = 4, K_FLAG = 5, K_PNUM = 6, K_PNO = 7;
const KEY_NAMES = ['QN', 'ST', 'CN', 'PW', 'MN', 'Flag', 'PNUM', 'PNO'];

function headerKey(a: Uint8Array, s: number, e: number): number {
  const n = e - s;
  const c0 = a[s], c1 = a[s + 1];
  if (n === 2) {
    if (c1 === 78) { if (c0 === 81) return K_QN; if (c0 === 67) return K_CN; if (c0 === 77) return K_MN; }
    else if (c0 === 83 && c1 === 84) return K_ST;
    else if (c0 === 80 && c1 === 87) return K_PW;
  } else if (n === 4) {
    if (c0 === 70 && c1 === 108 && a[s + 2] === 97 && a[s + 3] === 103) return K_FLAG;
    if (c0 === 80 && c1 === 78 && a[s + 2] === 85 && a[s + 3] === 77) return K_PNUM;
  } else if (n === 3) {
    if (c0 === 80 && c1 === 78 && a[s + 2] === 79) return K_PNO;
  }
  return -1;
}

function headerKeyCaseless(key: string): number {
  const u = key.toUpperCase();
  for (let k = 0; k < KEY_NAMES.length; k++) if (KEY_NAMES[k]!.toUpperCase() === u) return k;
  return -1;
}

/** The decimal number a[p, p + n) (1 ≤ n ≤ max digits), or -1. */
function intAt(a: Uint8Array, p: number, n: number, max: number): number {
  if (n < 1 || n > max) return -1;
  let v = 0;
  for (let k = p; k < p + n; k++) { const dgt = a[k]! - 48; if (dgt < 0 || dgt > 9) return -1; v = v * 10 + dgt; }
  return v;
}

/** a[p, p + n) are all decimal digits, n within [min, max]. */
function digitsAt(a: Uint8Array, p: number, n: number, min: number, max: number): boolean {
  if (n < min || n > max) return false;
  for (let k = p; k < p + n; k++) { const c = a[k]!; if (c < 48 || c > 57) return false; }
  return true;
}

function upperHexAt(a: Uint8Array, p: number, n: number): boolean {
  for (let k = p; k < p + n; k++) { const c = a[k]!; if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70))) return false; }
  return true;
}

function alnumAt(a: Uint8Array, p: number, n: number): boolean {
  for (let k = p; k < p + n; k++) { const c = a[k]! | 0x20; if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return false; }
  return true;
}

/** Header fields and CP of a decoded data segment (ctx.text). */
function parseDataSegment(ctx: DecodeCtx, byteLength: number): Hj212Frame {
  const t = ctx.text;
  const tl = t.length;
  const vals: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  const at = [0, 0, 0, 0, 0, 0, 0, 0];

  const cpIdx = t.indexOf('CP=&&');
  let headerEnd: number, cpS: number, cpE: number;
  if (cpIdx < 0) {
    deviate(ctx, 'no_cp', 'HJ212_BAD_CP', 'the data segment has no CP=&&…&& area', tl, 'CP');
    headerEnd = cpS = cpE = tl;
  } else {
    headerEnd = cpIdx;
    cpS = cpIdx + 5;
    if (tl >= cpS + 2 && t.charCodeAt(tl - 1) === 38 && t.charCodeAt(tl - 2) === 38) cpE = tl - 2;
    else {
      deviate(ctx, 'cp_not_closed', 'HJ212_BAD_CP', 'the data segment must end with the && that closes CP=&&', tl, 'CP');
      cpE = tl;
    }
    if (cpIdx > 0) {
      const c = t.charCodeAt(cpIdx - 1);
      if (c !== 59 && c !== 44) deviate(ctx, 'missing_separator', 'HJ212_BAD_FIELD', 'no ";" between the last header field and CP=', cpIdx, 'CP');
    }
  }

  // -- header: unordered key=value list (scanned over ctx.codes; index i ↔ text index i - d)
  const a = ctx.codes;
  const d = ctx.d;
  const hEnd = headerEnd + d;
  let i = d;
  while (i < hEnd) {
    let c = a[i]!;
    if (c === 59 || c === 44) {
      deviate(ctx, 'empty_entry', 'HJ212_BAD_FIELD', 'empty header entry (two separators in a row)', i - d);
      i++;
      continue;
    }
    const ks = i;
    while (i < hEnd) { c = a[i]!; if (c === 61 || c === 59 || c === 44) break; i++; }
    const ke = i;
    if (i >= hEnd || c !== 61) {
      deviate(ctx, 'isolated_key', 'HJ212_BAD_FIELD', `header entry "${t.substring(ks - d, ke - d)}" has no "="`, ks - d);
      if (i < hEnd) i++;
      continue;
    }
    i++;
    const vs = i;
    while (i < hEnd) { c = a[i]!; if (c === 59 || c === 44) break; i++; }
    const ve = i;
    if (i < hEnd && c === 44) deviate(ctx, 'header_comma', 'HJ212_BAD_FIELD', 'header fields must be separated by ";", not ","', i - d);
    i++;
    let k = headerKey(a, ks, ke);
    let value: string;
    let vp = vs;
    if (k >= 0 && (vs === ve || (a[vs]! > 32 && a[ve - 1]! > 32))) {
      value = t.substring(vs - d, ve - d);
    } else {
      let k0 = ks, k1 = ke, v1 = ve;
      while (k0 < k1 && a[k0]! <= 32) k0++;
      while (k1 > k0 && a[k1 - 1]! <= 32) k1--;
      while (vp < v1 && a[vp]! <= 32) vp++;
      while (v1 > vp && a[v1 - 1]! <= 32) v1--;
      const key = t.substring(k0 - d, k1 - d);
      value = t.substring(vp - d, v1 - d);
      if (k0 !== ks || k1 !== ke || vp !== vs || v1 !== ve) deviate(ctx, 'whitespace_trimmed', 'HJ212_BAD_FIELD', `whitespace around header field "${key}"`, ks - d, key);
      if (k < 0) k = headerKey(a, k0, k1);
      if (k < 0) {
        k = headerKeyCaseless(key);
        if (k >= 0) deviate(ctx, 'header_key_case', 'HJ212_BAD_FIELD', `header field "${key}" must be spelt "${KEY_NAMES[k]}"`, ks - d, KEY_NAMES[k]);
      }
      if (k < 0) {
        deviate(ctx, 'unknown_header_field', 'HJ212_BAD_FIELD', `unknown header field "${key}"`, ks - d, key);
        continue;
      }
    }
    if (vals[k] !== undefined) {
      deviate(ctx, 'duplicate_header_field', 'HJ212_DUPLICATE_KEY', `header field ${KEY_NAMES[k]} occurs twice`, ks - d, KEY_NAMES[k]);
    }
    vals[k] = value;
    at[k] = vp - d;
  }

  // -- characters, in both modes: a control character, space or separator inside a value is no deviation a
  // device makes on purpose, and the answer echoes QN, PW and MN, which the builder could not write back
  for (let k = 0; k < 8; k++) {
    const v = vals[k];
    if (v === undefined) continue;
    const j = firstUnsafeFieldChar(v);
    if (j >= 0) fail(ctx, 'HJ212_BAD_FIELD', `${KEY_NAMES[k]} contains ${describeChar(v.charCodeAt(j))}, which no header field may carry (control characters, spaces, = ; , &)`, at[k]! + j, KEY_NAMES[k]);
  }

  // -- CN, Flag, version
  const cn = vals[K_CN];
  if (cn === undefined) fail(ctx, 'HJ212_MISSING_FIELD', 'the frame has no CN (command code)', headerEnd, 'CN');
  const cnNum = cn.length === 4 ? intAt(a, at[K_CN]! + d, 4, 4) : -1;
  if (cnNum < 0) fail(ctx, 'HJ212_BAD_FIELD', `CN must be 4 digits, got "${cn}"`, at[K_CN]!, 'CN');

  let flag: number | undefined;
  const flagS = vals[K_FLAG];
  if (flagS === undefined || flagS === '') {
    // the HJ/T 212-2005 data answer has no Flag (ST=91;CN=9014;CP=&&QN=…;CN=…&&): that is the standard's own form
    if (cnNum !== 9014) deviate(ctx, 'no_flag', 'HJ212_MISSING_FIELD', 'the frame has no Flag', headerEnd, 'Flag');
  } else {
    flag = intAt(a, at[K_FLAG]! + d, flagS.length, 3);
    if (flag < 0 || flag > 255) fail(ctx, 'HJ212_BAD_FIELD', `Flag must be an integer 0–255, got "${flagS}"`, at[K_FLAG]!, 'Flag');
  }
  const version: Hj212Version = versionOfFlag(flag);
  if (version === 'unknown') deviate(ctx, 'unknown_version', 'HJ212_BAD_FIELD', `Flag=${flag} carries version bits ${flag! >>> 2}, which no known generation uses (0 = 2005, 1 = 2017, 2 = 2025)`, at[K_FLAG]!, 'Flag');
  const info = cnInfoByNumber(cnNum, version);
  if (info === undefined) deviate(ctx, 'unknown_cn', 'HJ212_BAD_FIELD', `CN ${cn} is not a command of HJ 212-${version === 'unknown' ? '2005/2017/2025' : version}`, at[K_CN]!, 'CN');
  const v2005 = version === '2005';
  const kind = info?.kind;

  // -- QN, ST, PW, MN
  const qn = vals[K_QN];
  if (qn === undefined) {
    // 2005: optional on uploads (对于上传数据 QN，PNO，PNUM 为可选项); answers carry it inside CP
    if (!(v2005 && (kind === 'upload' || kind === 'answer'))) deviate(ctx, 'no_qn', 'HJ212_MISSING_FIELD', 'the frame has no QN', headerEnd, 'QN');
  } else if (!digitsAt(a, at[K_QN]! + d, qn.length, 17, 17)) {
    deviate(ctx, 'bad_qn', 'HJ212_BAD_FIELD', `QN must be 17 digits (YYYYMMDDhhmmsszzz), got "${qn}"`, at[K_QN]!, 'QN');
  }
  const st = vals[K_ST];
  if (st === undefined) deviate(ctx, 'no_st', 'HJ212_MISSING_FIELD', 'the frame has no ST', headerEnd, 'ST');
  else if (!isKnownSt(st, version)) deviate(ctx, 'unknown_st', 'HJ212_BAD_FIELD', `ST=${st} is not a system code of HJ 212 Table 5`, at[K_ST]!, 'ST');
  const answer2005 = v2005 && cn === '9014';
  const pw = vals[K_PW];
  if (pw === undefined) { if (!answer2005) deviate(ctx, 'no_pw', 'HJ212_MISSING_FIELD', 'the frame has no PW', headerEnd, 'PW'); }
  else if (pw.length > 6) deviate(ctx, 'long_pw', 'HJ212_BAD_FIELD', `PW is at most 6 characters, got ${pw.length}`, at[K_PW]!, 'PW');
  const mn = vals[K_MN];
  if (mn === undefined) { if (!answer2005) deviate(ctx, 'no_mn', 'HJ212_MISSING_FIELD', 'the frame has no MN', headerEnd, 'MN'); }
  else if (v2005 ? !(mn.length === 14 && alnumAt(a, at[K_MN]! + d, 14)) : !(mn.length === 24 && upperHexAt(a, at[K_MN]! + d, 24))) {
    deviate(ctx, 'bad_mn', 'HJ212_BAD_FIELD', v2005 ? `MN must be 14 letters or digits in HJ/T 212-2005, got "${mn}"` : `MN must be 24 hex digits (EPC-96), got "${mn}"`, at[K_MN]!, 'MN');
  }

  // -- segmentation
  const segmented = flag !== undefined && (flag & 2) !== 0;
  const pnumS = vals[K_PNUM], pnoS = vals[K_PNO];
  let pnum: number | undefined, pno: number | undefined;
  if (pnumS !== undefined) {
    pnum = intAt(a, at[K_PNUM]! + d, pnumS.length, 4);
    if (pnum < 1) fail(ctx, 'HJ212_BAD_FIELD', `PNUM must be 1–9999, got "${pnumS}"`, at[K_PNUM]!, 'PNUM');
  }
  if (pnoS !== undefined) {
    pno = intAt(a, at[K_PNO]! + d, pnoS.length, 4);
    if (pno < 1) fail(ctx, 'HJ212_BAD_FIELD', `PNO must be 1–9999, got "${pnoS}"`, at[K_PNO]!, 'PNO');
  }
  if (pnum !== undefined && pno !== undefined && pno > pnum) fail(ctx, 'HJ212_BAD_FIELD', `PNO ${pno} is greater than PNUM ${pnum}`, at[K_PNO]!, 'PNO');
  if (segmented && (pnum === undefined || pno === undefined)) {
    deviate(ctx, 'segment_without_pnum', 'HJ212_MISSING_FIELD', 'Flag has the D bit (segmented) but PNUM/PNO are missing', headerEnd, pnum === undefined ? 'PNUM' : 'PNO');
  } else if (!segmented && (pnum !== undefined || pno !== undefined)) {
    deviate(ctx, 'pnum_without_d', 'HJ212_BAD_FIELD', 'PNUM/PNO are present but Flag has no D bit', at[pnum !== undefined ? K_PNUM : K_PNO]!, 'Flag');
  }

  // -- CP
  let cp: CpData;
  let cpText: string;
  if (cpS < cpE) {
    cp = parseCp(ctx, cpS + d, cpE + d);
    cpText = t.substring(cpS, cpE);
  } else {
    cp = { fields: {}, records: [] };
    cpText = '';
  }

  return {
    version,
    qn,
    st,
    cn,
    pw,
    mn,
    flag,
    ackRequested: flag !== undefined && (flag & 1) !== 0,
    segmented,
    pnum,
    pno,
    cp,
    cpText,
    warnings: ctx.warnings,
    byteLength,
  };
}

/** Re-parses CP text on its own (reassembled raw-split segments). */
export function decodeCpText(cpText: string, mode: 'strict' | 'lenient', warnings: string[] = []): CpData {
  const ctx: DecodeCtx = { lenient: mode === 'lenient', warnings, text: cpText, base: 0, enc: 'utf8', codes: codesOf(cpText), d: 0, exact: false };
  return parseCp(ctx, 0, cpText.length);
}

// ---------------------------------------------------------------------------------------------------------
// Diagnostics (error path only)

function layoutError(b: Uint8Array, L: number, lenient: boolean, why: '' | 'length' | 'crc' | 'trailer', max: number): Hj212Error {
  const n = b.length;
  const p = 6 + L;
  const off = lengthOffByCrc(b, L, p, 'hj212', false, charsHint(b, L, lenient, max));
  if (off) return off;
  if (why === 'trailer') {
    const lf = p + 4 < n && b[p + 4] === 10;
    return frameError('HJ212_BAD_TRAILER', lf && !lenient
      ? 'the frame ends with LF only; HJ 212 requires CRLF; lenient mode accepts this with warning bare_lf_trailer'
      : 'expected CRLF right after the 4 CRC digits', p + 4);
  }
  if (why === 'crc' && !lenient) {
    let h = 0;
    while (p + h < n && hexDigit(b[p + h]!) >= 0) h++;
    return frameError('HJ212_CRC_MISMATCH', `the CRC must be 4 hex digits, zero-padded; got ${h}; lenient mode accepts this with warning crc_unpadded`, p, 'CRC');
  }
  // The declared length does not land on CRC + CRLF: say what the frame actually holds.
  let actual = -1;
  if (n >= 12 && b[n - 2] === 13 && b[n - 1] === 10) {
    let ok = true;
    for (let k = n - 6; k < n - 2; k++) if (hexDigit(b[k]!) < 0) ok = false;
    if (ok) actual = n - 12;
  }
  const hint = charsHint(b, L, lenient, max);
  const holds = actual >= 0 ? `, but the data segment is ${actual} bytes` : p + 6 > n ? `, but the frame ends ${p + 6 - n} byte(s) early` : ', but CRC + CRLF do not follow it';
  return frameError('HJ212_LENGTH_MISMATCH', `the length field says ${L} bytes${holds}${hint}`, 2, 'length');
}

/** In strict mode, when the length counts characters rather than bytes, the hint that says so (else ''). */
function charsHint(b: Uint8Array, L: number, lenient: boolean, max: number): string {
  if (lenient) return '';
  const q = utf8CharEnd(b, 6, b.length, L, 6 + max + 1);
  return q > 0 && q !== 6 + L && tailAt(b, q, b.length, false) === b.length ? '; the length counts characters, not bytes: lenient mode accepts this with warning length_in_chars' : '';
}

/**
 * A lenient layout can read a wrong length as a shorter CRC (a length one too high takes the CRC's first digit into
 * the data). When the frame's plain layout (4 CRC digits right before CRLF) has a matching CRC over a data segment of
 * another size, the length field is what is wrong: say that, not "CRC mismatch".
 */
function lengthOffByCrc(b: Uint8Array, L: number, dataEnd: number, dialect: string, lenient: boolean, hint = ''): Hj212Error | undefined {
  const n = b.length;
  if (n < 12 || b[n - 2] !== 13 || b[n - 1] !== 10 || dataEnd === n - 6) return undefined;
  let sent = 0;
  for (let k = n - 6; k < n - 2; k++) {
    const h = hexDigit(b[k]!);
    if (h < 0) return undefined;
    sent = (sent << 4) | h;
  }
  const matches = crc16(b, 6, n - 6, 'hj212') === sent || (lenient && dialect !== 'hj212' && crc16(b, 6, n - 6, dialect as 'modbus') === sent);
  if (!matches) return undefined;
  const actual = n - 12;
  return frameError('HJ212_LENGTH_MISMATCH', `the length field says ${L} bytes, but the data segment is ${actual} bytes: the CRC ${String.fromCharCode(...b.subarray(n - 6, n - 2))} before CRLF matches a ${actual}-byte segment${hint || `; send length ${String(actual).padStart(4, '0')}`}`, 2, 'length');
}

function crcError(b: Uint8Array, dataEnd: number, crcStart: number, crcLen: number, computed: number, sent: number, lenient: boolean, dialect: string): Hj212Error {
  const sentText = String.fromCharCode(...b.subarray(crcStart, crcStart + crcLen));
  let hint = '';
  for (const d of CRC_DIALECTS) {
    if (d !== 'hj212' && crc16(b, 6, dataEnd, d) === sent) {
      hint = lenient
        ? `; it matches the ${d} dialect: configure crc: ${d} for this device`
        : `; it matches the ${d} dialect, which only lenient mode accepts (crc: ${d}, warning crc_${d})`;
    }
  }
  const expected = dialect !== 'hj212' && lenient ? `${crcHex(computed)} (hj212) or ${crcHex(crc16(b, 6, dataEnd, dialect as 'modbus'))} (${dialect})` : crcHex(computed);
  return frameError('HJ212_CRC_MISMATCH', `CRC ${sentText} does not match the data segment: expected ${expected}${hint}`, crcStart, 'CRC');
}
