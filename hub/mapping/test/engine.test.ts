// The mapping engine: profile validation with paths, time formats, context variables, failures that never
// throw and never drop the good records of the same payload.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { compileProfile, loadProfile, type MappingResult } from '../index.ts';
import { LifelineError } from '../../sdk/errors.ts';

const invalid = (t: Tap.Test, profile: unknown, path: RegExp | string, msg: string) => {
  try { compileProfile(profile); t.fail(`${msg}: compiled`); } catch (e) {
    t.ok(e instanceof LifelineError, msg);
    t.equal((e as LifelineError).code, 'MAPPING_INVALID', msg);
    t.match(String((e as LifelineError).details.path), path, `${msg}: path`);
  }
};

t.test('invalid profiles are rejected with the offending key', async (t) => {
  invalid(t, { values: [{ field: 'a', value: 'x', colour: 'red' }], device: 'd' }, '/values/0/colour', 'unknown key');
  invalid(t, { device: 'd' }, '/values', 'values required');
  invalid(t, { device: 'd', values: [{ field: 'a', value: 'x +' }] }, '/values/0/value', 'JSONata syntax error');
  invalid(t, { device: 'd', records: '$$$(', values: [{ field: 'a', value: 'x' }] }, '/records', 'records syntax error');
  invalid(t, { device: 'd', time: { expr: 't', format: 'HH:mm' }, values: [{ field: 'a', value: 'x' }] }, '/time/format', 'pattern without a date');
  invalid(t, { device: 'd', time: { expr: 't', zone: 'Mars/Olympus' }, values: [{ field: 'a', value: 'x' }] }, '/time/zone', 'bad zone');
  invalid(t, { device: 'd', identity: { key: 'k' }, values: [{ field: 'a', value: 'x' }] }, '/identity', 'device and identity');
  invalid(t, { values: [{ field: 'a', value: 'x' }] }, '/values/0', 'field without a device');
  invalid(t, { device: 'd', values: [{ value: 'x' }] }, '/values/0', 'no field');
  invalid(t, { device: 'd', values: [{ field: 'a', value: 'x', flag: 'Q' }] }, '/values/0/flag', 'bad literal flag');
  t.throws(() => loadProfile('no-such-profile'), { code: 'MAPPING_PROFILE_NOT_FOUND' });
  t.throws(() => loadProfile('./no/such/file.yaml'), { code: 'MAPPING_PROFILE_NOT_FOUND' });
});

const at = (r: MappingResult) => r.readings.map((x) => new Date(x.time as number).toISOString());
const timeOf = async (format: string, raw: unknown, zone?: string) => {
  const p = compileProfile({ device: "'D'", time: { expr: 't', format, ...(zone ? { zone } : {}) }, values: [{ field: 'v', value: '1' }] }, { timezone: 'Asia/Shanghai' });
  const r = await p.map({ payload: { t: raw } });
  return r.failures.length ? `FAIL ${r.failures[0]!.code}: ${r.failures[0]!.message}` : at(r)[0];
};

t.test('time formats and zones', async (t) => {
  t.equal(await timeOf('epoch_ms', 1795572000000), '2026-11-25T02:00:00.000Z');
  t.equal(await timeOf('epoch_ms', '1795572000000'), '2026-11-25T02:00:00.000Z', 'numeric string');
  t.equal(await timeOf('epoch_s', 1795572000.5), '2026-11-25T02:00:00.500Z');
  t.equal(await timeOf('auto', 1795572000), '2026-11-25T02:00:00.000Z', 'auto: seconds');
  t.equal(await timeOf('auto', 1795572000000), '2026-11-25T02:00:00.000Z', 'auto: milliseconds');
  t.equal(await timeOf('auto', '2026-11-25T10:00:00+08:00'), '2026-11-25T02:00:00.000Z', 'auto: ISO');
  t.equal(await timeOf('iso8601', '2026-11-25T02:00:00Z'), '2026-11-25T02:00:00.000Z');
  t.equal(await timeOf('iso8601', '2026-11-25 10:00:00'), '2026-11-25T02:00:00.000Z', 'no offset: the hub zone');
  t.equal(await timeOf('iso8601', '2026-11-25 10:00:00', 'Europe/Berlin'), '2026-11-25T09:00:00.000Z', 'profile zone wins');
  t.equal(await timeOf('YYYY-MM-DD HH:mm:ss', '2026-11-25 10:00:00'), '2026-11-25T02:00:00.000Z');
  t.equal(await timeOf('YYYYMMDDHHmmss', '20261125100000'), '2026-11-25T02:00:00.000Z');
  t.equal(await timeOf('YYYYMMDDHHmmss', 20261125100000), '2026-11-25T02:00:00.000Z', 'pattern from a number');
  t.equal(await timeOf('YYYY/MM/DD HH:mm:ss.SSS', '2026/11/25 10:00:00.250'), '2026-11-25T02:00:00.250Z');
  t.equal(await timeOf('YYYY-MM-DDTHH:mm:ssZ', '2026-11-25T10:00:00+0800'), '2026-11-25T02:00:00.000Z', 'pattern with offset');
  t.equal(await timeOf('DD.MM.YYYY HH:mm', '25.11.2026 10:00', 'UTC'), '2026-11-25T10:00:00.000Z');
  t.match(await timeOf('YYYY-MM-DD HH:mm:ss', '2026-02-30 10:00:00'), /^FAIL MAPPING_BAD_TIME: .*not a real date-time/);
  t.match(await timeOf('YYYY-MM-DD HH:mm:ss', '2026-11-25T10:00:00'), /^FAIL MAPPING_BAD_TIME: .*does not match/);
  t.match(await timeOf('epoch_ms', 'yesterday'), /^FAIL MAPPING_BAD_TIME: .*not epoch milliseconds/);
  t.match(await timeOf('iso8601', 1795572000000), /^FAIL MAPPING_BAD_TIME/);
  t.match(await timeOf('auto', null), /^FAIL MAPPING_BAD_TIME: .*no time/);
});

t.test('context variables, point codes, receive time, runtime errors', async (t) => {
  const p = compileProfile({
    identity: { protocol: 'json_mqtt', key: '$vars.device' },
    message_id_expr: "$vars.topic & '#' & $string($index)",
    values: [
      { field: 'level', value: 'level' },
      { point_expr: "$payload.site & '-P1'", value: 'p', optional: true },
      { field: 'ratio', value: '$number(ratio)', optional: true },
    ],
  });
  const r = await p.map({ payload: { level: 2, p: 0.3, site: 'WS-001' }, vars: { device: 'GD-7', topic: 't/GD-7' }, receivedAt: Date.parse('2026-11-25T02:00:00Z') });
  t.same(r.readings, [
    { identity: { protocol: 'json_mqtt', key: 'GD-7' }, message_id: 't/GD-7#0', time: Date.parse('2026-11-25T02:00:00Z'), field: 'level', value: 2, warnings: ['time_from_receipt'] },
    { point: 'WS-001-P1', message_id: 't/GD-7#0', time: Date.parse('2026-11-25T02:00:00Z'), value: 0.3, warnings: ['time_from_receipt'] },
  ]);
  t.same(r.failures, [], 'optional absent value skipped');
  const bad = await p.map({ payload: { level: 2, ratio: 'abc' }, vars: { device: 'GD-7', topic: 't' } });
  t.equal(bad.readings.length, 1, 'the good value of the record is kept');
  t.match(bad.failures, [{ code: 'MAPPING_FAILED', field: '/values/2/value', record: 0 }], 'a JSONata runtime error is a failure, not an exception');
  const noDevice = await p.map({ payload: { level: 1 } });
  t.match(noDevice.failures, [{ code: 'MAPPING_NO_DEVICE', field: '/identity/key' }]);
  const none = await compileProfile({ records: 'items', device: 'd', values: [{ field: 'a', value: 'a' }] }).map({ payload: { other: 1 } });
  t.match(none.failures, [{ code: 'MAPPING_FAILED', field: '/records' }], 'no records is a failure');
  const notObj = await compileProfile({ records: 'items', device: 'd', values: [{ field: 'a', value: 'a' }] }).map({ payload: 'just a string' });
  t.equal(notObj.failures.length, 1);
});

t.test('literals vs *_expr, unit_map, flag and quality checks', async (t) => {
  const p = compileProfile({
    device: 'id', time: { expr: 't', format: 'epoch_s' },
    unit_map: { '℃': 'Cel' },
    values: [
      { field: 'temp', value: 'temp', unit: '℃', kind: 'min' },
      { each: '$entries(extra)', field_expr: 'key', value: 'value.v', unit_expr: 'value.u', flag_expr: 'value.f', quality_expr: 'value.q' },
    ],
  });
  const r = await p.map({ payload: { id: 'D1', t: 1795572000, temp: 4, extra: { a: { v: 1, u: 'kPa', f: 'N' }, b: { v: 2, f: 'X' }, c: { v: null, q: 'bad', f: 'B' }, d: { v: 3, q: 'meh' } } } });
  t.same(r.readings.map((x) => [x.field, x.value, x.unit ?? null, x.kind ?? null, x.flag ?? null, x.quality ?? null]), [
    ['temp', 4, 'Cel', 'min', null, null], ['a', 1, 'kPa', null, 'N', null], ['c', null, null, null, 'B', 'bad'],
  ]);
  t.same(r.failures.map((f) => [f.code, f.field]), [['MAPPING_BAD_VALUE', '/values/1/flag_expr'], ['MAPPING_BAD_VALUE', '/values/1/quality_expr']]);
});

t.test('property: any JSON payload maps without throwing', async () => {
  const profiles = ['flat-reading', 'device-array', 'senml', 'name-keyed'].map((n) => loadProfile(n));
  await fc.assert(fc.asyncProperty(fc.jsonValue(), async (payload) => {
    for (const p of profiles) {
      const r = await p.map({ payload, receivedAt: 1795572000000 });
      if (!Array.isArray(r.readings) || !Array.isArray(r.failures)) throw new Error('bad result');
      if (r.readings.length === 0 && r.failures.length === 0) throw new Error(`${p.name}: a payload vanished without a failure`);
    }
  }), { numRuns: 150 });
});

t.test('property: plain paths read directly give what JSONata gives', async (t) => {
  const paths = ['a', 'a.b', 'a.b.c', '$payload.a', '$payload.a.b', 'x'];
  const make = (wrap: (p: string) => string, p: string) => compileProfile({ device: "'D'", time: { expr: '1795572000' }, values: [{ field: 'f', value: wrap(p), optional: true }, { each: wrap(p), field: 'g', value: '$', optional: true }] });
  for (const p of paths) {
    const direct = make((x) => x, p), viaJsonata = make((x) => `(${x})`, p);
    const leaf = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null));
    const val = fc.letrec((tie) => ({ v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x'), tie('v'), { maxKeys: 3 })) })).v;
    await fc.assert(fc.asyncProperty(val, async (payload) => {
      const [x, y] = [await direct.map({ payload, receivedAt: 0 }), await viaJsonata.map({ payload, receivedAt: 0 })];
      if (!isDeepStrictEqual(x, y)) throw new Error(`${p}: ${JSON.stringify(payload)} → ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }), { numRuns: 150 });
    t.pass(`${p}: same as JSONata`);
  }
});

t.test('bounded per payload: 50,000 bad values, too many values, a time nested thousands deep', async (t) => {
  const p = compileProfile({ records: 'devices', identity: { key: 'sn' }, values: [{ each: 'data', field_expr: 'code', value: 'value' }] });
  const many = await p.map({ payload: { devices: [{ sn: 'A', data: [{ code: 'x', value: 1 }] }, { sn: 'B', data: new Array(50_000).fill(1) }] } });
  t.equal(many.readings.length, 1, 'the good value still maps');
  t.equal(many.failed, 50_000);
  t.equal(many.failures.length, 100, 'only the first 100 kept');
  t.same(many.failureCodes, { MAPPING_BAD_VALUE: 50_000 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const tooMany = await p.map({ payload: { devices: [{ sn: 'A', data: [{ code: 'x', value: 1 }] }, { sn: 'B', data: new Array(99_999).fill(1) }, { sn: 'C', data: [1] }] } });
  clearInterval(timer);
  t.ok(ticks > 0, 'the event loop ran while it mapped');
  t.same(tooMany.readings, [], 'refused as a whole');
  t.match(tooMany.failures, [{ code: 'MAPPING_TOO_MANY_RECORDS', field: '/values/0/each' }]);
  t.equal(tooMany.failed, 1);
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = { a: deep };
  const timed = compileProfile({ device: 'd', time: { expr: 'ts', format: 'epoch_ms' }, values: [{ field: 'v', value: 'v' }] });
  const r = await timed.map({ payload: { d: 'X', ts: deep, v: 1 } });
  t.match(r.failures, [{ code: 'MAPPING_BAD_TIME' }], 'a failure, not a RangeError');
  t.ok(r.failures[0]!.message.length < 400, 'the value quoted short');
});
