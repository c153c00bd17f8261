// Frames out: encodeFrame (BuildInput → bytes), replyTo (the standard's 9011/9012/9013/9014 answers, 2005 and
// 2017/2025 variants) and splitRecords (segmentation on record boundaries with PNUM/PNO and the D bit).
import type { BuildInput, CrcDialect, Hj212Frame } from './types.ts';
import { crc16, crc16Hj212, crcHex } from './crc.ts';
import { Hj212Error } from './errors.ts';
import { MAX_DATA_FIELD, MAX_DATA_STANDARD, flagFor } from './tables.ts';
import { isUnsafeFieldChar } from './charset.ts';

type Value = string | number | null;
type CpInput = BuildInput['cp'];

function bad(message: string, field: string, offset = 0): never {
  throw new Hj212Error('HJ212_BAD_FIELD', message, { offset, field });
}

function checkKey(key: string): void {
  if (key.length === 0) bad('empty CP key', 'CP');
  for (let k = 0; k < key.length; k++) {
    if (isUnsafeFieldChar(key.charCodeAt(k))) bad(`CP key "${key}" contains a character HJ 212 cannot carry in a key (space, =, ;, , or &)`, key);
  }
}

function valueText(key: string, v: Value): string {
  if (v === null) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(`CP value of "${key}" is not a finite number`, key);
    return String(v);
  }
  if (v.includes('&&')) bad(`CP value of "${key}" contains "&&"`, key);
  const wrapped = v.length >= 4 && v.startsWith('//') && v.endsWith('//');
  if (!wrapped && (v.includes(';') || v.includes(',') || v.includes('\r') || v.includes('\n'))) {
    bad(`CP value of "${key}" contains a separator; wrap free text as //…// (e.g. ${key}=//text//)`, key);
  }
  return v;
}

function fieldsText(f: Record<string, Value> | undefined, out: string[]): void {
  if (!f) return;
  for (const k in f) {
    if (!Object.prototype.hasOwnProperty.call(f, k)) continue;
    checkKey(k);
    out.push(`${k}=${valueText(k, f[k]!)}`);
  }
}

type RecordInput = NonNullable<CpInput['records']>[number];
type ItemInput = NonNullable<RecordInput['items']>[number];

function itemText(it: ItemInput): string {
  const parts: string[] = [];
  for (const sub in it.fields) {
    if (!Object.prototype.hasOwnProperty.call(it.fields, sub)) continue;
    const key = `${it.code}-${sub}`;
    checkKey(key);
    parts.push(`${key}=${valueText(key, it.fields[sub]!)}`);
  }
  return parts.join(',');
}

function recordHead(r: RecordInput): string[] {
  const parts: string[] = [];
  if (r.dataTime !== undefined) parts.push(`DataTime=${valueText('DataTime', r.dataTime)}`);
  fieldsText(r.fields, parts);
  return parts;
}

function recordText(r: RecordInput): string {
  const parts = recordHead(r);
  for (const it of r.items ?? []) parts.push(itemText(it));
  return parts.join(';');
}

/** CP text (between `CP=&&` and `&&`): plain fields, then each record (DataTime, its fields, items `;`-separated, sub-values `,`-separated). */
export function cpTextOf(cp: CpInput): string {
  const parts: string[] = [];
  fieldsText(cp.fields, parts);
  for (const r of cp.records ?? []) parts.push(recordText(r));
  return parts.join(';');
}

function computeFlag(input: BuildInput): number {
  if (input.flag !== undefined) {
    if (!Number.isInteger(input.flag) || input.flag < 0 || input.flag > 255) bad(`Flag must be an integer 0–255, got ${input.flag}`, 'Flag');
    return input.flag;
  }
  return flagFor(input.version ?? '2017', input.ackRequested ?? false, input.pnum !== undefined || input.pno !== undefined);
}

function headerText(input: BuildInput, flag: number): string {
  let h = '';
  const field = (name: string, v: string | number | undefined) => {
    if (v === undefined) return;
    const s = String(v);
    for (let k = 0; k < s.length; k++) {
      if (isUnsafeFieldChar(s.charCodeAt(k))) bad(`${name} "${s}" contains a character a header field cannot carry`, name, 6 + h.length);
    }
    h += `${name}=${s};`;
  };
  field('QN', input.qn);
  field('ST', input.st);
  field('CN', input.cn);
  field('PW', input.pw);
  field('MN', input.mn);
  if (!input.omitFlag) field('Flag', flag);
  field('PNUM', input.pnum);
  field('PNO', input.pno);
  return h;
}

/** The data segment text of a frame (what the length and CRC cover). */
export function dataSegmentOf(input: BuildInput): string {
  return `${headerText(input, computeFlag(input))}CP=&&${cpTextOf(input.cp)}&&`;
}

const DIGITS = '0123456789';

/**
 * One frame: `##` + zero-padded byte length + data segment (UTF-8) + uppercase CRC + CRLF. Flag is the
 * version bits + D (when pnum/pno are given) + A, unless `flag` overrides it. Throws Hj212Error (BAD_FIELD,
 * TOO_LONG above 9999 bytes; use splitRecords to stay within the standard's 1024). `opts.crc` writes the CRC
 * in another dialect (default the standard's, hj212) for a peer that expects one.
 */
export function encodeFrame(input: BuildInput, opts: { crc?: CrcDialect } = {}): Uint8Array {
  const data = Buffer.from(dataSegmentOf(input), 'utf8');
  const L = data.length;
  if (L > MAX_DATA_FIELD) throw new Hj212Error('HJ212_TOO_LONG', `data segment of ${L} bytes does not fit the 4-digit length field; split it with splitRecords`, { offset: 2, field: 'length' });
  const out = new Uint8Array(L + 12);
  out[0] = 35;
  out[1] = 35;
  out[2] = DIGITS.charCodeAt(Math.floor(L / 1000));
  out[3] = DIGITS.charCodeAt(Math.floor(L / 100) % 10);
  out[4] = DIGITS.charCodeAt(Math.floor(L / 10) % 10);
  out[5] = DIGITS.charCodeAt(L % 10);
  out.set(data, 6);
  const crc = crcHex(opts.crc && opts.crc !== 'hj212' ? crc16(data, 0, L, opts.crc) : crc16Hj212(data, 0, L));
  for (let k = 0; k < 4; k++) out[6 + L + k] = crc.charCodeAt(k);
  out[L + 10] = 13;
  out[L + 11] = 10;
  return out;
}

/**
 * The standard's answer to `frame`:
 * - 2017/2025: same QN, ST=91, same PW and MN, Flag = the frame's version bits with A (and D) cleared
 *   (2017 → 4, 2025 → 8), CP `QnRtn=` (9011, default 1), `ExeRtn=` (9012, default 1), empty for 9013/9014;
 * - 2005 (also frames without Flag): 9011/9012/9013 carry the QN inside CP (`QN=…;QnRtn=1`) with Flag=0 and
 *   no header QN; 9014 has neither PW, MN nor Flag and its CP is `QN=…;CN=<cn>` (+ `PNO=…;PNUM=…` for segments).
 * `cpFields` are written after (and override) those defaults.
 */
export function replyTo(frame: Hj212Frame, cn: '9011' | '9012' | '9013' | '9014', cpFields?: Record<string, string | number>): BuildInput {
  const fields: Record<string, string | number> = {};
  if (frame.version === '2005') {
    if (frame.qn !== undefined) fields.QN = frame.qn;
    if (cn === '9014') {
      fields.CN = frame.cn;
      if (frame.pno !== undefined) fields.PNO = frame.pno;
      if (frame.pnum !== undefined) fields.PNUM = frame.pnum;
      Object.assign(fields, cpFields);
      return { version: '2005', st: '91', cn, omitFlag: true, cp: { fields } };
    }
    if (cn === '9011') fields.QnRtn = 1;
    if (cn === '9012') fields.ExeRtn = 1;
    Object.assign(fields, cpFields);
    return { version: '2005', st: '91', cn, pw: frame.pw, mn: frame.mn, flag: 0, cp: { fields } };
  }
  if (cn === '9011') fields.QnRtn = 1;
  if (cn === '9012') fields.ExeRtn = 1;
  Object.assign(fields, cpFields);
  const input: BuildInput = { qn: frame.qn, st: '91', cn, pw: frame.pw, mn: frame.mn, cp: { fields } };
  if (frame.version === 'unknown') input.flag = (frame.flag ?? 0) & 0xfc;
  else { input.version = frame.version; input.ackRequested = false; }
  return input;
}

/** QN + i as a decimal string of the same width (the standard's examples number segments …534, …535). */
export function qnPlus(qn: string, i: number): string {
  if (!/^\d+$/.test(qn)) return qn;
  const s = (BigInt(qn) + BigInt(i)).toString();
  return s.length >= qn.length ? s : s.padStart(qn.length, '0');
}

/**
 * Splits `input` so that every data segment is at most `maxDataLength` bytes: on record boundaries, and within
 * a record on item boundaries (each packet repeats `DataTime=`), as in HJ 212-2017 C.47–C.50. Each packet gets
 * PNUM/PNO, the D bit and its own QN from `nextQn(i)` (default: the input QN + i). Plain CP fields go in the
 * first packet. Returns [input] unchanged when it already fits. Throws Hj212Error HJ212_TOO_LONG when one item
 * cannot fit a packet.
 */
export function splitRecords(input: BuildInput, maxDataLength: number = MAX_DATA_STANDARD, nextQn?: (i: number) => string | undefined): BuildInput[] {
  if (Buffer.byteLength(dataSegmentOf(input), 'utf8') <= maxDataLength) return [input];
  const qnOf = nextQn ?? ((i: number) => (input.qn === undefined ? undefined : qnPlus(input.qn, i)));
  const segFlag = input.flag !== undefined ? input.flag | 2 : undefined;
  const probe = (i: number): BuildInput => ({ ...input, qn: qnOf(i), flag: segFlag, pnum: 9999, pno: 9999, cp: {} });
  const headerBytes = (i: number) => Buffer.byteLength(dataSegmentOf(probe(i)), 'utf8'); // includes "CP=&&&&"
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

  type Seg = { fields?: CpInput['fields']; records: RecordInput[]; used: number; budget: number };
  const segs: Seg[] = [];
  const open = (): Seg => {
    const s: Seg = { records: [], used: 0, budget: maxDataLength - headerBytes(segs.length) };
    segs.push(s);
    return s;
  };
  let seg = open();
  const fieldsPart: string[] = [];
  fieldsText(input.cp.fields, fieldsPart);
  if (fieldsPart.length) {
    seg.fields = input.cp.fields;
    seg.used = bytes(fieldsPart.join(';'));
    if (seg.used > seg.budget) throw new Hj212Error('HJ212_TOO_LONG', 'the plain CP fields alone do not fit one packet', { offset: 0, field: 'CP' });
  }
  const add = (s: Seg, n: number) => (s.used === 0 ? n : s.used + 1 + n);

  for (const r of input.cp.records ?? []) {
    const whole = bytes(recordText(r));
    if (add(seg, whole) <= seg.budget) { seg.records.push(r); seg.used = add(seg, whole); continue; }
    if (seg.used > 0) { seg = open(); if (whole <= seg.budget) { seg.records.push(r); seg.used = whole; continue; } }
    // split the record on item boundaries, repeating DataTime and the record's fields
    const head = recordHead(r).join(';');
    const headBytes = bytes(head);
    let part: RecordInput = { dataTime: r.dataTime, fields: r.fields, items: [] };
    let partBytes = headBytes;
    for (const it of r.items ?? []) {
      const n = bytes(itemText(it));
      const next = partBytes === 0 ? n : partBytes + 1 + n;
      if (add(seg, next) <= seg.budget) { part.items!.push(it); partBytes = next; continue; }
      if (part.items!.length > 0 || partBytes > 0) {
        if (part.items!.length > 0) { seg.records.push(part); seg.used = add(seg, partBytes); }
        seg = open();
        part = { dataTime: r.dataTime, fields: r.fields, items: [] };
        partBytes = headBytes;
      }
      const again = partBytes === 0 ? n : partBytes + 1 + n;
      if (again > seg.budget) throw new Hj212Error('HJ212_TOO_LONG', `item ${it.code} does not fit one packet of ${maxDataLength} bytes`, { offset: 0, field: it.code });
      part.items!.push(it);
      partBytes = again;
    }
    if (part.items!.length > 0 || (r.items ?? []).length === 0) { seg.records.push(part); seg.used = add(seg, partBytes); }
  }
  const total = segs.length;
  return segs.map((s, i) => ({
    ...input,
    qn: qnOf(i),
    flag: segFlag,
    pnum: total,
    pno: i + 1,
    cp: { fields: s.fields, records: s.records },
  }));
}

