// Every frame the decoder accepts can be answered: a header value with a control character, a space or a
// separator is a typed decode error (with the field's QnRtn) in both modes, and peekHeader never hands the
// server a value the builder cannot write. Issue 10: such a value in MN/PW/QN used to crash the hub.
import t from 'tap';
import fc from 'fast-check';
import { crc16Hj212, crcHex, decodeFrame, encodeFrame, Hj212Error, peekHeader, qnRtnFor, replyTo, type Hj212Frame } from '../codec/index.ts';

const frameOf = (data: string): Uint8Array => {
  const d = Buffer.from(data, 'utf8');
  return Uint8Array.from(Buffer.concat([Buffer.from(`##${String(d.length).padStart(4, '0')}`), d, Buffer.from(`${crcHex(crc16Hj212(d, 0, d.length))}\r\n`)]));
};
const UPLOAD = (h: { qn?: string; pw?: string; mn?: string; cn?: string; flag?: string }) =>
  `QN=${h.qn ?? '20261125100000001'};ST=32;CN=${h.cn ?? '2011'};PW=${h.pw ?? '123456'};MN=${h.mn ?? '88888880000001'};Flag=${h.flag ?? '5'};CP=&&DataTime=20261125100000;e01201-Rtd=0.3,e01201-Flag=N&&`;

const answers = (f: Hj212Frame) => (['9011', '9013', '9014'] as const).map((cn) => encodeFrame(replyTo(f, cn)));

t.test('the inputs of issue 10 are typed decode errors with the field\'s QnRtn, in both modes', async (t) => {
  const cases: Array<[string, string, string, number]> = [
    ['unregistered MN "AB CD"', UPLOAD({ mn: 'AB CD' }), 'MN', 4],
    ['PW "12 34"', UPLOAD({ pw: '12 34' }), 'PW', 3],
    ['a tab in the QN of a heartbeat', 'QN=2026112510\t0000001;ST=32;CN=9015;PW=123456;MN=88888880000001;Flag=9;CP=&&&&', 'QN', 7],
    ['a NUL in the MN', UPLOAD({ mn: 'AB\0CD' }), 'MN', 4],
    ['"&" in the MN', UPLOAD({ mn: 'AB&CD' }), 'MN', 4],
    ['"=" in the PW', UPLOAD({ pw: '12=4' }), 'PW', 3],
    ['DEL in the QN', UPLOAD({ qn: '2026112510000000\x7f' }), 'QN', 7],
  ];
  for (const [name, data, field, qnRtn] of cases) {
    for (const mode of ['lenient', 'strict'] as const) {
      let err: unknown;
      try { decodeFrame(frameOf(data), { mode }); } catch (e) { err = e; }
      t.ok(err instanceof Hj212Error, `${name} (${mode}): Hj212Error`);
      t.match(err, { code: 'HJ212_BAD_FIELD', details: { field } }, `${name} (${mode}): BAD_FIELD ${field}`);
      t.equal(qnRtnFor(err), qnRtn, `${name} (${mode}): QnRtn ${qnRtn}`);
    }
    const head = peekHeader(frameOf(data));
    t.ok(head.unechoable?.includes(field as 'MN'), `${name}: peekHeader lists ${field} as unechoable`);
    t.notOk((head as Record<string, unknown>)[field.toLowerCase()], `${name}: and does not return its value`);
  }
  t.ok(decodeFrame(frameOf(UPLOAD({ mn: ' 88888880000001 ' })), { mode: 'lenient' }).warnings.includes('whitespace_trimmed'), 'whitespace around a value is still only trimmed in lenient mode');
});

// Header values drawn from every ASCII character (controls and separators over-represented).
const nasty = fc.string({ unit: fc.oneof(
  fc.constantFrom('\0', '\t', ' ', '\r', '\n', '\x7f', '&', '=', '#', '/', '-', '_', 'A', '1', '中'),
  fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)),
), maxLength: 30 }).filter((s) => !s.includes(';') && !s.includes(',') && !s.includes('CP=&&'));

t.test('property: whatever a header holds, a decoded frame can be answered and peekHeader\'s values can be echoed', async (t) => {
  fc.assert(fc.property(nasty, nasty, nasty, fc.constantFrom('2011', '9015', '1013', '1062'), fc.constantFrom('5', '9', '4', '0', ''), (qn, pw, mn, cn, flag) => {
    const bytes = frameOf(UPLOAD({ qn, pw, mn, cn, flag }));
    for (const mode of ['lenient', 'strict'] as const) {
      let f: Hj212Frame | undefined;
      try { f = decodeFrame(bytes, { mode }); } catch (e) { if (!(e instanceof Hj212Error)) throw e; }
      if (f) answers(f);
    }
    const h = peekHeader(bytes);
    encodeFrame(replyTo({ version: '2017', qn: h.qn, st: h.st, cn: h.cn ?? '0000', pw: h.pw, mn: h.mn, flag: h.flag, ackRequested: true, segmented: false, cp: { fields: {}, records: [] }, cpText: '', warnings: [], byteLength: 0 }, '9011', { QnRtn: 100 }));
    return true;
  }), { numRuns: 2000 });
  t.pass('no answer threw');
});
