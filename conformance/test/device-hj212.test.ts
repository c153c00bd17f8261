// The HJ 212 live-device profile against the simulator: the faithful collector passes every clause; each broken
// mode fails exactly the clauses it breaks. Seven ~10 s runs side by side (each kit on its own ephemeral port).
import t from 'tap';
import { runAgainstSim } from './fixtures/run-sim.ts';
import { verify } from '../report/model.ts';
import { parseDuration } from '../cli.ts';
import type { DeviceRun } from '../device/hj212/run.ts';
import { runAgainstRaw } from './fixtures/raw-device.ts';

const notPassed = (r: DeviceRun, status: string) => r.report.results.filter((x) => x.status === status).map((x) => x.id).sort();

const runs = await Promise.all([
  runAgainstSim({ key: 'lab-secret' }),
  runAgainstSim({ breakMode: 'crc' }),
  runAgainstSim({ breakMode: 'no_retransmission' }),
  runAgainstSim({ breakMode: 'utc' }),
  runAgainstSim({ breakMode: 'qn_repeat' }),
  runAgainstSim({ breakMode: 'drift' }),
  // declares neither retransmission nor a heartbeat: those clauses are not applicable, never passed
  runAgainstSim({ profile: 'hj212-collector-basic', statement: (s) => ({ ...s, hj212: { ...s.hj212!, retransmission: undefined, heartbeat: undefined } }) }),
  runAgainstRaw(),
]);
const [good, crc, noRetx, utc, qnRepeat, drift, basic, hostile] = runs as [DeviceRun, DeviceRun, DeviceRun, DeviceRun, DeviceRun, DeviceRun, DeviceRun, DeviceRun];

t.test('lifeline sim hj212 --collector passes hj212-collector-full: every clause passes', async (t) => {
  const r = good.report;
  t.equal(r.profile.id, 'hj212-collector-full');
  t.same(r.results.filter((x) => x.status !== 'pass').map((x) => `${x.id} ${x.status}: ${x.message}`), []);
  t.equal(r.verdict, 'pass');
  t.equal(r.results.length, 37);
  for (const x of r.results) t.ok(x.evidence.length > 0 || /checked|ok/.test(x.message), `${x.id} carries evidence or a count`);
  t.match(r.results.find((x) => x.id === 'HJ212-RETX-002')!.message, /2 resends, then none/);
  t.match(r.results.find((x) => x.id === 'HJ212-CMD-003')!.message, /within \d{14}…\d{14}, then 9012 ExeRtn=1/);
  t.same(verify(r, Buffer.from(good.evidence), 'lab-secret'), [], 'digests and HMAC-SM3 signature verify');
});

t.test('each broken mode fails exactly the clauses it breaks', async (t) => {
  const cases: Array<[string, DeviceRun, string[], string[]]> = [
    ['crc (CRC-16/MODBUS, low byte first)', crc, ['HJ212-FRAME-003'], []],
    ['no retransmission', noRetx, ['HJ212-RETX-001', 'HJ212-RETX-002', 'HJ212-RETX-003'], ['HJ212-NEG-001', 'HJ212-NEG-002']],
    ['DataTime in UTC', utc, ['HJ212-CMD-001', 'HJ212-CP-003'], []],
    ['QN repeated', qnRepeat, ['HJ212-HDR-002'], []],
    ['cadence drift', drift, ['HJ212-CAD-001', 'HJ212-CAD-002', 'HJ212-CAD-003'], []],
  ];
  for (const [name, run, fails, warnings] of cases) {
    t.same(notPassed(run, 'fail'), fails, `${name}: failed clauses`);
    t.same(notPassed(run, 'warning'), warnings, `${name}: warnings`);
    t.equal(run.report.verdict, 'fail', `${name}: verdict`);
    t.same(run.report.summary.must_not_passed, [...fails, ...warnings].sort((a, b) => run.report.results.findIndex((x) => x.id === a) - run.report.results.findIndex((x) => x.id === b)), `${name}: MUST clauses not passed`);
  }
  t.match(crc.report.results.find((x) => x.id === 'HJ212-FRAME-003')!.message, /CRC dialect modbus_le/, 'the dialect is named');
  t.match(utc.report.results.find((x) => x.id === 'HJ212-CP-003')!.message, /it is UTC, not Asia\/Shanghai local time/);
  t.match(qnRepeat.report.results.find((x) => x.id === 'HJ212-HDR-002')!.message, /already used by frame #\d+/);
  t.match(noRetx.report.results.find((x) => x.id === 'HJ212-NEG-001')!.message, /inconclusive/);
  const ev = crc.report.results.find((x) => x.id === 'HJ212-FRAME-003')!.evidence[0]!;
  const logged = crc.evidence.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { n: number; kind: string; text: string }).find((e) => e.n === ev.event);
  t.equal(logged?.kind, 'rx', 'evidence points at a received frame in the evidence log');
  t.match(logged?.text, /^##\d{4}QN=/);
});

t.test('an undeclared capability makes its clauses not applicable, never pass', async (t) => {
  const r = basic.report;
  t.equal(r.profile.id, 'hj212-collector-basic');
  const na = notPassed(basic, 'not_applicable');
  t.same(na, ['HJ212-NEG-001', 'HJ212-NEG-002', 'HJ212-RETX-001', 'HJ212-RETX-002', 'HJ212-RETX-003']);
  t.ok(r.results.every((x) => !x.id.match(/HB-|CMD-|SEG-/)), 'basic leaves out the full-profile clauses');
  t.equal(r.verdict, 'pass');
  t.notOk(r.capability_statement.declared.includes('hj212.retransmission'));
});

t.test('a report that was changed, or signed with another key, does not verify', async (t) => {
  const r = structuredClone(good.report);
  r.results[0]!.status = 'fail';
  t.match(verify(r, Buffer.from(good.evidence)), [/changed after it was sealed/]);
  t.match(verify(good.report, Buffer.from(good.evidence.replace('"rx"', '"tx"'))), [/evidence log does not match/]);
  t.match(verify(good.report, Buffer.from(good.evidence), 'another-key'), [/signature does not match/]);
  t.match(verify(crc.report, Buffer.from(crc.evidence), 'lab-secret'), [/not signed/]);
  t.equal(parseDuration('15m'), 900_000);
  t.equal(parseDuration('90'), 90_000);
  t.throws(() => parseDuration('soon'), { code: 'CONFORMANCE_INVALID' });
});

t.test('a device that sends malformed frames: each deviation is a finding of its clause, the kit keeps going', async (t) => {
  const r = hostile.report;
  t.same(notPassed(hostile, 'fail'), ['HJ212-CP-005', 'HJ212-CP-006', 'HJ212-CP-007', 'HJ212-FRAME-001', 'HJ212-FRAME-002', 'HJ212-HDR-005', 'HJ212-HDR-008']);
  t.same(notPassed(hostile, 'warning'), ['HJ212-FRAME-004'], 'a lowercase CRC breaks a SHOULD: warning');
  t.match(r.results.find((x) => x.id === 'HJ212-FRAME-001')!.message, /HJ212_BAD_HEADER/);
  t.match(r.results.find((x) => x.id === 'HJ212-HDR-005')!.message, /PW "999999", declared "123456"/);
  t.equal(r.results.find((x) => x.id === 'HJ212-CONN-001')!.status, 'pass');
  t.equal(r.verdict, 'fail');
});
