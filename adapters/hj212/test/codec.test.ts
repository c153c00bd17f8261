// The HJ 212 codec: golden frames, build → parse round trip (property), fuzzing (only Hj212Error, never a
// hang), stream framing under any chunking, answers per generation, segmentation and reassembly, times,
// the decode command, and docs ↔ code for error and warning codes.
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { LifelineError } from '../../../hub/sdk/errors.ts';
import { sourceFlags } from '../../../hub/sdk/index.ts';
import {
  CN_TABLE, Framer, Hj212Error, Hj212ErrorCodes, Hj212Warnings, PLAIN_CP_FIELDS, Reassembler, ST_TABLE, cnInfo, crc16, crc16Hj212,
  crcHex, dataTimeToIso, decodeFrame, encodeFrame, flagFor, isoToDataTime, peekHeader, qnRtnFor, replyTo, splitRecords, unwrapInfo, versionOfFlag,
  type BuildInput, type Hj212Frame, type KnownVersion,
} from '../codec/index.ts';
import { decodeCommand } from '../decode-cli.ts';

const utf8 = (s: string) => Uint8Array.from(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const MN = '010000A8900016F000169DC0';
const STANDARD = '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n';

/** Bit-by-bit reference of Appendix A, written from the text (not from the table-driven code). */
function crcReference(b: Uint8Array): number {
  let r = 0xffff;
  for (const x of b) {
    r = (r >>> 8) ^ x;
    for (let k = 0; k < 8; k++) r = r & 1 ? (r >>> 1) ^ 0xa001 : r >>> 1;
  }
  return r;
}

t.test('CRC: check values and the reference algorithm', async (t) => {
  const d = utf8(STANDARD.slice(6, 107));
  t.equal(crcHex(crc16(d, 0, d.length)), '1C80');
  t.equal(crcHex(crc16(d, 0, d.length, 'modbus')), '0759');
  t.equal(crcHex(crc16(d, 0, d.length, 'modbus_le')), '5907');
  t.equal(crc16(d, 0, 0), 0xffff);
  t.equal(crcHex(0x7), '0007');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(8), (b, s) => {
    const start = Math.min(s, b.length);
    return crc16Hj212(b, start, b.length) === crcReference(b.subarray(start));
  }), { numRuns: 300 });
});

t.test('errors: Hj212Error, QnRtn per field', async (t) => {
  try {
    decodeFrame(utf8(STANDARD.replace('1C80', '1C81')), { mode: 'strict' });
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof Hj212Error && e instanceof LifelineError, 'an Hj212Error, a LifelineError');
    const err = e as Hj212Error;
    t.equal(err.code, 'HJ212_CRC_MISMATCH');
    t.same(err.details, { offset: 107, field: 'CRC' });
    t.equal(qnRtnFor(err), 9);
    t.same(Object.keys(err.toJSON()).sort(), ['code', 'details', 'message', 'retryable']);
    t.match(err.message, /expected 1C80/);
  }
  const field = (f: string) => qnRtnFor(new Hj212Error('HJ212_BAD_FIELD', 'x', { offset: 0, field: f }));
  t.same(['PW', 'MN', 'ST', 'Flag', 'QN', 'CN', 'length'].map(field), [3, 4, 5, 6, 7, 8, 100]);
  t.equal(qnRtnFor(new Error('other')), 100);
  for (const [code, info] of Object.entries(Hj212ErrorCodes)) t.ok(info.meaning && info.fix && info.qnRtn, `${code} described`);
});

t.test('docs match code: error codes and warnings tables', async (t) => {
  const doc = readFileSync(new URL('../../../docs/adapters/hj212.md', import.meta.url), 'utf8');
  /** First-column codes of the table whose header row starts with `| <first> |`. */
  const column = (first: string) => {
    const lines = doc.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`| ${first} |`));
    const rows: string[] = [];
    for (let i = at + 2; at >= 0 && i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(/^\|\s*`([^`]+)`/.exec(lines[i]!)?.[1] ?? '');
    return rows;
  };
  const errors = column('Code');
  t.same([...new Set(errors)].sort(), Object.keys(Hj212ErrorCodes).sort(), 'every error code has a row, and only those');
  const warnings = column('Warning');
  t.same([...new Set(warnings)].sort(), Object.keys(Hj212Warnings).sort(), 'every warning has a row, and only those');
});

t.test('tables: versions are data', async (t) => {
  t.same([undefined, 0, 3, 4, 5, 7, 8, 9, 11, 12, 255].map(versionOfFlag), ['2005', '2005', '2005', '2017', '2017', '2017', '2025', '2025', '2025', 'unknown', 'unknown']);
  t.equal(flagFor('2017', true, false), 5);
  t.equal(flagFor('2025', true, true), 11);
  t.equal(cnInfo('9015', '2025')?.kind, 'heartbeat');
  t.equal(cnInfo('9015', '2017'), undefined);
  t.equal(cnInfo('1001', '2005')?.en, 'set over-limit alarm time');
  t.equal(cnInfo('1001', '2025')?.reply, '9013');
  t.equal(cnInfo('2011', '2017')?.reply, '9014');
  t.ok(CN_TABLE.every((e) => /^\d{4}$/.test(e.cn) && e.versions.length > 0));
});

t.test('golden frames', async (t) => {
  const f = decodeFrame(utf8(STANDARD), { mode: 'strict' });
  t.same(f, {
    version: '2017', qn: '20160801085857223', st: '32', cn: '1062', pw: '100000', mn: MN, flag: 5, ackRequested: true, segmented: false,
    pnum: undefined, pno: undefined, cp: { fields: { RtdInterval: '30' }, records: [] }, cpText: 'RtdInterval=30', warnings: [], byteLength: 113,
  });
  // the same frame from a Buffer slice inside a bigger chunk
  const chunk = Buffer.from(`xx${STANDARD}yy`);
  t.same(decodeFrame(chunk.subarray(2, 2 + 113), { mode: 'strict' }), f, 'a Buffer view decodes the same');
  t.equal(unwrapInfo('//a;b//'), 'a;b');
  t.equal(unwrapInfo('0'), '0');
});

// ------------------------------------------------------------------------------------------------------
// Round trip: build → parse → equal

const chars = (alphabet: string, min: number, max: number) => fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));
const digits = (n: number) => chars('0123456789', n, n);
const value = fc.oneof(
  fc.tuple(fc.integer({ min: -9999, max: 99999 }), fc.nat(9999)).map(([a, b]) => `${a}.${b}`),
  fc.integer({ min: 0, max: 99999 }).map(String),
  fc.constantFrom(...sourceFlags),
  fc.constant(null),
  chars('abc XYZ;,=-_:中文日志#', 1, 16).map((x) => `//${x}//`),
);
const suffixes = ['Rtd', 'Flag', 'Avg', 'Min', 'Max', 'Cou', 'ZsAvg', 'EFlag', 'SampleTime', 'Info', 'ValidNum'];
const itemArb = fc.record({
  code: fc.tuple(fc.constantFrom('a', 'w'), digits(5)).map(([p, d]) => p + d),
  fields: fc.uniqueArray(fc.constantFrom(...suffixes), { minLength: 1, maxLength: 6 }).chain((subs) =>
    fc.tuple(...subs.map(() => value)).map((vals) => Object.fromEntries(subs.map((s, i) => [s, vals[i]!])))),
});
const plainKeys = PLAIN_CP_FIELDS.filter((k) => k !== 'DataTime');
const fieldsArb = fc.uniqueArray(fc.constantFrom(...plainKeys), { maxLength: 3 }).chain((keys) =>
  fc.tuple(...keys.map(() => value)).map((vals) => Object.fromEntries(keys.map((k, i) => [k, vals[i]!]))));
const recordArb = fc.record({
  dataTime: digits(14),
  fields: fieldsArb,
  items: fc.uniqueArray(itemArb, { maxLength: 5, selector: (i) => i.code }),
});
const versionArb = fc.constantFrom<KnownVersion>('2005', '2017', '2025');
const inputArb: fc.Arbitrary<BuildInput> = versionArb.chain((version) => fc.record({
  version: fc.constant(version),
  qn: digits(17),
  st: fc.constantFrom(...ST_TABLE.filter((s) => s.versions.includes(version)).map((s) => s.st)),
  cn: fc.constantFrom(...CN_TABLE.filter((c) => c.versions.includes(version) && c.cn !== '9014').map((c) => c.cn)),
  pw: chars('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 1, 6),
  mn: version === '2005' ? chars('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', 14, 14) : chars('0123456789ABCDEF', 24, 24),
  ackRequested: fc.boolean(),
  cp: fc.record({ fields: fieldsArb, records: fc.array(recordArb, { maxLength: 2 }) }),
}));

function expectedCp(input: BuildInput): Hj212Frame['cp'] {
  const s = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v));
  const obj = (f: Record<string, string | number | null> | undefined) => Object.fromEntries(Object.entries(f ?? {}).map(([k, v]) => [k, s(v)]));
  return {
    fields: obj(input.cp.fields),
    records: (input.cp.records ?? []).map((r) => ({ dataTime: r.dataTime, fields: obj(r.fields), items: (r.items ?? []).map((i) => ({ code: i.code, fields: obj(i.fields) })) })),
  };
}

t.test('round trip: encodeFrame → decodeFrame (strict) gives back the input', async (t) => {
  fc.assert(fc.property(inputArb, (input) => {
    const bytes = encodeFrame(input);
    fc.pre(bytes.length <= 12 + 1024);
    const f = decodeFrame(bytes, { mode: 'strict', maxDataLength: 1024 });
    return f.warnings.length === 0 && f.version === input.version && f.qn === input.qn && f.st === input.st && f.cn === input.cn && f.pw === input.pw &&
      f.mn === input.mn && f.ackRequested === input.ackRequested && f.byteLength === bytes.length &&
      JSON.stringify(f.cp) === JSON.stringify(expectedCp(input));
  }), { numRuns: 400 });
  t.pass('400 random frames');
});

// ------------------------------------------------------------------------------------------------------
// Fuzzing: nothing but Hj212Error, nothing hangs, memory bounded

t.test('fuzz: random bytes and mutated frames through Framer and decodeFrame', async (t) => {
  const valid = [STANDARD, text(encodeFrame({ qn: '20240101120000000', st: '32', cn: '2051', pw: '123456', mn: MN, ackRequested: true,
    cp: { records: [{ dataTime: '20240101120000', items: [{ code: 'w01018', fields: { Avg: '1.5', Min: '1', Max: '2', Flag: 'N' } }, { code: 'i11001', fields: { Info: '//日志;a=b,c//' } }] }] } }))];
  let decoded = 0, rejected = 0;
  const check = (bytes: Uint8Array, mode: 'strict' | 'lenient') => {
    const framer = new Framer({ mode, maxDataLength: mode === 'strict' ? 1024 : 9999 });
    const cap = 12 + (mode === 'strict' ? 1024 : 9999);
    let pos = 0;
    let step = 1;
    while (pos < bytes.length) {
      const chunk = bytes.subarray(pos, pos + step);
      pos += chunk.length;
      step = (step * 7 + 3) % 97 + 1;
      for (const ev of framer.push(chunk)) {
        if (ev.type === 'error') { if (!(ev.error instanceof Hj212Error)) throw new Error('framer error is not Hj212Error'); continue; }
        for (const m of ['strict', 'lenient'] as const) {
          try { decodeFrame(ev.bytes, { mode: m, allowMissingCrc: true }); decoded++; } catch (e) {
            if (!(e instanceof Hj212Error)) throw e;
            if (typeof e.details.offset !== 'number' || e.details.offset < 0 || e.details.offset > ev.bytes.length) throw new Error(`bad offset ${e.details.offset}`);
            rejected++;
          }
        }
      }
      if (framer.buffered > cap) throw new Error(`framer holds ${framer.buffered} bytes`);
    }
    for (const m of ['strict', 'lenient'] as const) {
      try { decodeFrame(bytes, { mode: m }); } catch (e) { if (!(e instanceof Hj212Error)) throw e; }
    }
  };
  const started = performance.now();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom<'strict' | 'lenient'>('strict', 'lenient'), (b, mode) => { check(b, mode); }), { numRuns: 1000 });
  const mutation = fc.record({
    base: fc.constantFrom(...valid),
    edits: fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'delete', 'insert', 'dup'),
      byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...Buffer.from('#;,=&/- \r\n0123456789ACFabf\u4e2d'))) }), { minLength: 1, maxLength: 4 }),
    mode: fc.constantFrom<'strict' | 'lenient'>('strict', 'lenient'),
  });
  fc.assert(fc.property(mutation, ({ base, edits, mode }) => {
    let b = [...Buffer.from(base.repeat(2), 'utf8')];
    for (const e of edits) {
      const at = e.at % (b.length + 1);
      if (e.kind === 'flip') b[at % b.length] = e.byte;
      else if (e.kind === 'delete') b.splice(at, 1);
      else if (e.kind === 'insert') b.splice(at, 0, e.byte);
      else b.splice(at, 0, ...b.slice(at, at + 7));
    }
    check(Uint8Array.from(b), mode);
  }), { numRuns: 2000 });
  t.ok(performance.now() - started < 20_000, 'no hang');
  t.ok(decoded > 0 && rejected > 0, `mutated frames both decoded (${decoded}) and rejected (${rejected})`);
  // emitted warnings are all registered
  const f = decodeFrame(utf8('##0136ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817;B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&3C00\r\n'), { mode: 'lenient' });
  t.ok(f.warnings.every((w) => w in Hj212Warnings));
});

// ------------------------------------------------------------------------------------------------------
// Framer

t.test('framer: any chunking gives the same frames', async (t) => {
  const frames = [STANDARD, ...['2011', '2051', '3020'].map((cn, i) => text(encodeFrame({ qn: `2024010112000000${i}`, st: '32', cn, pw: '123456', mn: MN,
    cp: { records: [{ dataTime: '20240101120000', items: [{ code: 'i11001', fields: { Info: `//#${i} ##0101 ${'仪器'.repeat(i)}//` } }] }] } })))];
  const stream = Buffer.from(frames.join(''), 'utf8');
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 40 }), fc.constantFrom<'strict' | 'lenient'>('strict', 'lenient'), (cuts, mode) => {
    const framer = new Framer({ mode, maxDataLength: 1024 });
    const out: string[] = [];
    let pos = 0, k = 0;
    while (pos < stream.length) {
      const n = cuts[k++ % cuts.length]!;
      for (const ev of framer.push(stream.subarray(pos, pos + n))) {
        if (ev.type !== 'frame') return false;
        out.push(text(ev.bytes));
      }
      pos += n;
    }
    return JSON.stringify(out) === JSON.stringify(frames) && framer.buffered === 0;
  }), { numRuns: 200 });
  // 1-byte chunks
  const framer = new Framer({ mode: 'strict', maxDataLength: 1024 });
  const out = [...stream].flatMap((x) => framer.push(Uint8Array.of(x)));
  t.same(out.map((e) => (e.type === 'frame' ? text(e.bytes) : e.type)), frames, '1-byte chunks');
  // coalesced: one chunk holding all frames → views of the chunk, no copies
  const one = new Framer({ mode: 'strict', maxDataLength: 1024 });
  const evs = one.push(stream);
  t.equal(evs.length, frames.length);
  t.ok(evs.every((e) => e.type === 'frame' && e.bytes.buffer === stream.buffer), 'frames found inside a chunk are views of it');
});

t.test('framer: garbage, resync, bounded memory', async (t) => {
  const framer = new Framer({ mode: 'lenient', maxDataLength: 100 });
  const evs = framer.push(utf8(`##0500${'x'.repeat(50)}`));
  t.same(evs.map((e) => e.type === 'error' && e.error.code), ['HJ212_TOO_LONG'], 'a length above maxDataLength is rejected at once');
  // a stream of junk never grows the buffer beyond one frame
  const junk = new Framer({ mode: 'strict', maxDataLength: 1024 });
  let errors = 0;
  for (let i = 0; i < 200; i++) {
    for (const e of junk.push(utf8(`##0999${'#'.repeat(37)}abc`))) if (e.type === 'error') errors++;
    t.ok(junk.buffered <= 12 + 1024);
  }
  t.ok(errors >= 1);
  const after = junk.push(utf8(`${'z'.repeat(1100)}${STANDARD}`));
  t.equal(after.filter((e) => e.type === 'frame').length, 1, 'recovers on the next valid frame');
  // stream offsets count across chunks
  const f2 = new Framer({ mode: 'strict', maxDataLength: 1024 });
  f2.push(utf8(STANDARD));
  const e2 = f2.push(utf8(`JUNK${STANDARD}`));
  t.same(e2.map((e) => (e.type === 'error' ? e.error.details.offset : 'frame')), [113, 'frame']);
});

// ------------------------------------------------------------------------------------------------------
// Answers per generation

const decode = (s: string, mode: 'strict' | 'lenient' = 'strict') => decodeFrame(utf8(s), { mode });
const frameText = (input: BuildInput) => text(encodeFrame(input));

t.test('replies', async (t) => {
  const up17 = decode(frameText({ qn: '20160801085857534', st: '32', cn: '2061', pw: '123456', mn: MN, ackRequested: true, pnum: 2, pno: 1, cp: { records: [{ dataTime: '20160801080000' }] } }));
  t.equal(up17.flag, 7);
  const r = decode(frameText(replyTo(up17, '9014')));
  t.same([r.qn, r.st, r.cn, r.pw, r.mn, r.flag, r.cpText, r.pnum], ['20160801085857534', '91', '9014', '123456', MN, 4, '', undefined], '2017 segment: 9014 with that packet\'s QN, Flag=4, no PNUM');
  const hb = decode(frameText({ version: '2025', qn: '20260101000000000', st: '32', cn: '9015', pw: '1', mn: MN, ackRequested: true, cp: {} }));
  t.equal(decode(frameText(replyTo(hb, '9013'))).flag, 8, '2025 → Flag=8');
  const unk = decode(frameText({ qn: '20260101000000000', st: '32', cn: '2011', pw: '1', mn: MN, flag: 13, cp: {} }), 'lenient');
  t.equal(decode(frameText(replyTo(unk, '9014')), 'lenient').flag, 12, 'unknown version: its bits kept, A and D cleared');
  const r9011 = decode(frameText(replyTo(decode(STANDARD), '9011', { QnRtn: 9 })));
  t.same(r9011.cp.fields, { QnRtn: '9' });
  const old = decode('##0136ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817;B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&3C00\r\n', 'lenient');
  t.equal(frameText(replyTo(old, '9014')), '##0028ST=91;CN=9014;CP=&&CN=2011&&FD81\r\n', '2005 9014: no PW, MN, Flag');
  t.same(replyTo(old, '9012').cp.fields, { ExeRtn: 1 }, '2005 9012 (no QN to echo)');
});

// ------------------------------------------------------------------------------------------------------
// Segmentation

t.test('splitRecords + Reassembler: a long history in ≤ 1024-byte packets and back', async (t) => {
  const codes = Array.from({ length: 20 }, (_, i) => `w${String(1000 + i * 7).padStart(5, '0')}`);
  const input: BuildInput = {
    qn: '20160801085857534', st: '32', cn: '2061', pw: '123456', mn: MN, ackRequested: true,
    cp: { fields: { BeginTime: '20160801000000' }, records: Array.from({ length: 24 }, (_, h) => ({
      dataTime: `20160801${String(h).padStart(2, '0')}0000`,
      items: codes.map((c, i) => ({ code: c, fields: { Avg: (h * 1.5 + i).toFixed(2), Flag: 'N' } })),
    })) },
  };
  const parts = splitRecords(input);
  t.ok(parts.length > 10, `${parts.length} packets`);
  const frames = parts.map((p) => decodeFrame(encodeFrame(p), { mode: 'strict' }));
  t.ok(frames.every((f) => f.byteLength - 12 <= 1024), 'every data segment within 1024 bytes');
  t.ok(frames.every((f, i) => f.flag === 7 && f.pnum === parts.length && f.pno === i + 1), 'Flag D+A, PNUM/PNO');
  t.same(frames.map((f) => f.qn).slice(0, 3), ['20160801085857534', '20160801085857535', '20160801085857536'], 'QN + i per packet');
  const r = new Reassembler({ expiryMs: 360_000 });
  const order = frames.map((_, i) => i).sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));
  let merged: Hj212Frame | undefined;
  for (const i of order) { const out = r.add(frames[i]!, 1000 + i); if (out.frame) merged = out.frame; else t.ok(out.pending); }
  t.ok(merged, 'complete');
  t.same(merged!.cp, expectedCp(input), 'the records come back');
  t.equal(merged!.segments!.length, parts.length);
  t.equal(r.open, 0);

  // one record too big for a packet: split on item boundaries, DataTime repeated
  const wide: BuildInput = { qn: '20160801085857534', st: '32', cn: '2011', pw: '123456', mn: MN, cp: { records: [{ dataTime: '20160801085800', items: Array.from({ length: 80 }, (_, i) => ({ code: `a${String(10000 + i)}`, fields: { Rtd: `${i}.25`, Flag: 'N' } })) }] } };
  const wparts = splitRecords(wide, 512);
  t.ok(wparts.length > 2);
  const r2 = new Reassembler({ expiryMs: 1000 });
  const outs = wparts.map((p) => r2.add(decodeFrame(encodeFrame(p), { mode: 'strict', maxDataLength: 512 }), 0));
  t.same(outs.at(-1)!.frame!.cp, expectedCp(wide));
  t.same(splitRecords(wide, 9999), [wide], 'fits: unchanged');
  t.throws(() => splitRecords({ ...wide, cp: { records: [{ dataTime: '20160801085800', items: [{ code: 'i11001', fields: { Info: `//${'x'.repeat(600)}//` } }] }] } }, 512), { code: 'HJ212_TOO_LONG' });

  // interleaved transfers from two devices, same CN and PNUM
  const a = splitRecords({ ...input, mn: 'A'.repeat(24) }), b = splitRecords({ ...input, mn: 'B'.repeat(24) });
  const r3 = new Reassembler({ expiryMs: 1000 });
  const done: Hj212Frame[] = [];
  for (let i = 0; i < a.length; i++) for (const p of [a[i]!, b[i]!]) { const o = r3.add(decodeFrame(encodeFrame(p), { mode: 'strict' }), 0); if (o.frame) done.push(o.frame); }
  t.same(done.map((f) => f.mn), ['A'.repeat(24), 'B'.repeat(24)]);
  t.same(done[1]!.cp, expectedCp(input));
  // senders that repeat one QN for every packet, or send none (2005), in any order
  for (const qnOf of [() => '20160801085857534', () => undefined]) {
    const same = splitRecords({ ...input, qn: undefined }, 1024, qnOf);
    const r5 = new Reassembler({ expiryMs: 1000 });
    let got: Hj212Frame | undefined;
    for (const p of [...same].reverse()) { const o = r5.add(decodeFrame(encodeFrame(p), { mode: 'lenient' }), 0); if (o.frame) got = o.frame; }
    t.same(got?.cp, expectedCp(input), `packets with QN ${qnOf() ?? 'absent'} reassemble`);
  }
  // expiry returns the packets of incomplete transfers
  const r4 = new Reassembler({ expiryMs: 100 });
  r4.add(frames[0]!, 0);
  r4.add(frames[1]!, 50);
  t.same(r4.expire(149), []);
  t.equal(r4.expire(150).length, 2);
});

t.test('peekHeader', async (t) => {
  t.same(peekHeader(utf8(STANDARD.replace('1C80', '0000'))), { qn: '20160801085857223', st: '32', cn: '1062', pw: '100000', mn: MN, flag: 5 }, 'reads a frame whose CRC is wrong');
  t.same(peekHeader(utf8('##0136ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817&&')), { st: '32', cn: '2011', pw: '123456', mn: 'LD130133000015' });
  t.same(peekHeader(utf8('##00')), {});
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => { peekHeader(b); return true; }), { numRuns: 300 });
});

t.test('time', async (t) => {
  t.equal(dataTimeToIso('20160801085857'), '2016-08-01T08:58:57');
  t.equal(dataTimeToIso('20160801085857223'), '2016-08-01T08:58:57.223');
  t.equal(dataTimeToIso('20240229000000'), '2024-02-29T00:00:00');
  for (const bad of ['20230229000000', '20161301000000', '20160801240000', '2016080108585', '2016080108585x', '20160431000000']) t.equal(dataTimeToIso(bad), undefined, bad);
  t.equal(isoToDataTime('2016-08-01T08:58:57'), '20160801085857');
  t.equal(isoToDataTime('2016-08-01 08:58:57.2', 17), '20160801085857200');
  t.equal(isoToDataTime('2016-08-01T08:58:57Z'), undefined);
  fc.assert(fc.property(fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2099, 11, 31)), noInvalidDate: true }), (d) => {
    const iso = d.toISOString().slice(0, 23);
    return dataTimeToIso(isoToDataTime(iso, 17)!) === iso;
  }), { numRuns: 200 });
});

t.test('decode command', async (t) => {
  const ok = decodeCommand(STANDARD.replace('\r\n', '\\r\\n'));
  t.ok(ok.ok);
  t.equal(JSON.parse(ok.output).cn, '1062');
  t.ok(decodeCommand(STANDARD.slice(0, -2)).ok, 'without CRLF');
  t.ok(decodeCommand(Buffer.from(STANDARD).toString('hex')).ok, 'hex');
  const bad = decodeCommand(STANDARD.replace('1C80', '1C81'), { mode: 'strict' });
  t.notOk(bad.ok);
  t.match(bad.output, /^HJ212_CRC_MISMATCH: /);
  t.match(bad.output, /QnRtn=9/);
  const lines = bad.output.split('\n');
  const caret = lines.at(-1)!;
  const line = lines.at(-2)!;
  t.equal(line[caret.indexOf('^')], '1', 'the caret points at the CRC');
  t.equal(line.slice(caret.indexOf('^'), caret.indexOf('^') + 4), '1C81');
  const cn = decodeCommand('##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&i1-Info=//仪器//&&0000', { mode: 'strict' });
  t.notOk(cn.ok);
});
