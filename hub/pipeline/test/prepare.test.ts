// The pure pipeline against an in-memory registry: mapping, units, validation, flags, quarantine reasons.
import t from 'tap';
import { prepare } from '../prepare.ts';
import { Registry } from '../../registry/registry.ts';
import { catalogueByCode } from '../../registry/catalogue.ts';
import type { SourceReading } from '../../../schemas/generated/types.ts';

const cat = catalogueByCode();
const reg = new Registry(cat);
const site = { id: 1, code: 'S', doc: { code: 'S', name: 's', domain: 'water' as const } };
const dev = { id: 2, code: 'D', doc: { code: 'D', site: 'S', identities: [{ protocol: 'hj212', key: 'MN1' }] }, site };
reg.sites.set('S', site); reg.devices.set('D', dev);
(reg as unknown as { byIdentity: Map<string, unknown> }).byIdentity.set('hj212\u0000MN1', dev);
const addPoint = (id: number, code: string, indicator: string, extra: Record<string, unknown> = {}) => {
  const p = { id, code, doc: { code, device: 'D', indicator, ...extra }, device: dev, indicator: cat.get(indicator)! };
  reg.points.set(code, p); reg.pointById.set(id, p);
  if (extra.field) (reg as unknown as { byField: Map<string, unknown> }).byField.set(`2\u0000${extra.field}`, p);
};
addPoint(10, 'P', 'water.pipe_pressure', { field: 'w01' });
addPoint(11, 'L', 'drainage.flood_level', { field: 'lvl', source_unit: 'cm' });
addPoint(12, 'G', 'gas.underground_space_concentration', { source_unit: '%{LEL}' });

const now = Date.UTC(2026, 10, 25, 2, 0, 0);
const opts = { receivedAtMs: now, timezone: 'Asia/Shanghai', futureToleranceMs: 300_000, lateAfterMs: 86_400_000 };
const run = (batch: SourceReading[]) => prepare(batch, reg, opts);

t.test('mapping by point, device+field and identity+field', async (t) => {
  const p = run([
    { point: 'P', time: now, value: 1 },
    { device: 'D', field: 'lvl', time: now, value: 50 },
    { identity: { protocol: 'hj212', key: 'MN1' }, field: 'w01', time: now - 1000, value: 0.5 },
  ]);
  t.same(p.rows.map((r) => r.pointId), [10, 11, 10]);
  t.equal(p.rows[1]!.value, 0.5, 'cm → m from the point source_unit');
  t.same(p.quarantine, []);
});

t.test('quarantine reasons', async (t) => {
  const p = run([
    { point: 'NOPE', time: now, value: 1 },
    { device: 'NOPE', field: 'x', time: now, value: 1 },
    { identity: { protocol: 'hj212', key: 'MN9' }, field: 'w01', time: now, value: 1 },
    { device: 'D', field: 'zzz', time: now, value: 1 },
    { device: 'D', time: now, value: 1 },
    { point: 'P', time: 'not a time', value: 1 },
    { point: 'P', time: now, value: null },
    { point: 'P', time: now, value: 1, unit: 'm' },
    { point: 'P', time: now, value: 1, unit: 'bogus' },
    { point: 'P', time: now, value: Number.NaN },
  ]);
  t.same(p.quarantine.map((q) => [q.reason, q.field]), [
    ['UNKNOWN_POINT', '/point'], ['UNKNOWN_DEVICE', '/device'], ['UNKNOWN_DEVICE', '/identity/key'], ['UNKNOWN_POINT', '/field'],
    ['UNKNOWN_POINT', '/field'], ['INVALID_TIME', '/time'], ['MISSING_VALUE', '/value'], ['UNIT_INCOMPATIBLE', '/unit'],
    ['UNIT_UNKNOWN', '/unit'], ['INVALID_RECORD', '/value'],
  ]);
  t.equal(p.rows.length, 0);
  t.same(p.quarantine[0]!.record, { point: 'NOPE', time: now, value: 1 }, 'the record is kept as received');
});

t.test('flags', async (t) => {
  const p = run([
    { point: 'P', time: now, value: 250, unit: 'kPa' },
    { point: 'P', time: now + 60_000, value: 3.1 },
    { point: 'P', time: now + 3_600_000, value: 1 },
    { point: 'P', time: now - 2 * 86_400_000, value: 1 },
    { point: 'L', time: now, value: 0.123, unit: 'm' },
    { point: 'G', time: now, value: 40, flag: 'D' },
    { point: 'P', time: now - 5000, value: null, flag: 'B' },
    { point: 'P', time: now - 6000, kind: 'hour', avg: 1, min: 0.5, max: 2.6 },
  ]);
  t.same(p.rows.map((r) => r.flags), [['unit_converted'], ['out_of_range'], ['future_time'], ['late'], ['finer_than_resolution'], ['unit_converted'], [], ['out_of_range']]);
  t.equal(p.rows[0]!.value, 0.25);
  t.equal(p.rows[0]!.rawValue, 250);
  t.equal(p.rows[0]!.rawUnit, 'kPa');
  t.equal(p.rows[5]!.value, 2, '40 %LEL → 2 %VOL');
  t.equal(p.rows[5]!.sourceFlag, 'D', 'source flag kept');
  t.equal(p.rows[6]!.value, null, 'null value allowed with a non-N flag');
  t.equal(p.rows[7]!.value, 1, 'aggregate value defaults to avg');
});

t.test('duplicates within a batch: first wins', async (t) => {
  const p = run([{ point: 'P', time: now, value: 1 }, { point: 'P', time: '2026-11-25T10:00:00', value: 2 }, { point: 'P', time: now, kind: 'min', value: 3 }]);
  t.equal(p.rows.length, 2);
  t.same(p.slots, [{ row: 0 }, { duplicateOf: 0 }, { row: 1 }]);
});

t.test('source quality: uncertain keeps the value, bad allows null, good adds nothing', async (t) => {
  const p = run([
    { point: 'P', time: now, value: 0.5, quality: 'uncertain', warnings: ['opcua_uncertain_last_usable_value'] },
    { point: 'P', time: now + 1000, value: null, quality: 'bad', flag: 'B', warnings: ['modbus_timeout'] },
    { point: 'P', time: now + 2000, value: null, quality: 'bad', warnings: ['sensor_fault_sentinel'] },
    { point: 'P', time: now + 3000, value: 0.5, quality: 'good' },
    { point: 'P', time: now + 4000, value: null, quality: 'uncertain' },
  ]);
  t.same(p.rows.map((r) => [r.value, r.flags, r.sourceFlag]), [
    [0.5, ['uncertain'], 'N'], [null, ['bad'], 'B'], [null, ['bad'], 'N'], [0.5, [], 'N'],
  ]);
  t.same(p.rows[1]!.warnings, ['modbus_timeout'], 'the specific status is kept as a warning');
  t.same(p.quarantine.map((q) => q.reason), ['MISSING_VALUE'], 'uncertain is not a licence for a null value');
});

t.test('a time no store can hold (epoch 1e17, negative beyond year 1) is INVALID_TIME, not a failed commit', async (t) => {
  const p = run([{ point: 'P', time: 1e17, value: 1 }, { point: 'P', time: -1e15, value: 1 }, { point: 'P', time: now, value: 0.5 }]);
  t.same(p.quarantine.map((q) => [q.reason, q.field]), [['INVALID_TIME', '/time'], ['INVALID_TIME', '/time']]);
  t.equal(p.rows.length, 1, 'the good reading of the same batch goes on');
});
