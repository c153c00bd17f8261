// Pure parts: status → quality table, browse-path qualification, DataValue → SourceReading, field-name guesses.
import t from 'tap';
import { StatusCodes } from 'node-opcua';
import { statusQuality, snake } from '../status.ts';
import { qualifyBrowsePath } from '../browse-path.ts';
import { toReading, numeric } from '../map.ts';
import { guessField } from '../browse.ts';

t.test('status mapping (the table in docs/adapters/opc_ua.md)', async (t) => {
  const q = (s: { value: number; name: string }) => statusQuality(s.value, s.name);
  t.same(q(StatusCodes.Good), { quality: 'good', flag: 'N' });
  t.same(q(StatusCodes.GoodLocalOverride), { quality: 'good', flag: 'N', warning: 'opcua_good_local_override' });
  t.same(q(StatusCodes.UncertainLastUsableValue), { quality: 'uncertain', flag: 'N', warning: 'opcua_uncertain_last_usable_value' });
  t.same(q(StatusCodes.UncertainSensorNotAccurate), { quality: 'uncertain', flag: 'N', warning: 'opcua_uncertain_sensor_not_accurate' });
  for (const c of ['BadCommunicationError', 'BadNoCommunication', 'BadNotConnected', 'BadServerNotConnected', 'BadWaitingForInitialData', 'BadTimeout'] as const) {
    t.same(q(StatusCodes[c]), { quality: 'bad', flag: 'B', warning: `opcua_${snake(c)}` }, c);
  }
  t.same(q(StatusCodes.BadSensorFailure), { quality: 'bad', flag: 'D', warning: 'opcua_bad_sensor_failure' });
  t.same(q(StatusCodes.BadDeviceFailure), { quality: 'bad', flag: 'D', warning: 'opcua_bad_device_failure' });
  t.same(q(StatusCodes.BadOutOfService), { quality: 'bad', flag: 'D', warning: 'opcua_bad_out_of_service' });
  t.same(statusQuality(0x808a0000, 'BadSensorFailure#Overflow'), { quality: 'bad', flag: 'D', warning: 'opcua_bad_sensor_failure' }, 'info bits ignored');
  t.same(statusQuality(0x80ff0000, ''), { quality: 'bad', flag: 'D', warning: 'opcua_status_0x80ff' }, 'unknown code: severity still decides');
  t.equal(snake('BadTCPInternalError'), 'bad_tcp_internal_error');
});

t.test('browse paths get the default namespace on unprefixed, non-standard names', async (t) => {
  t.equal(qualifyBrowsePath('/Objects/WaterPlant/PT101.PV', 2), '/Objects/2:WaterPlant/2:PT101.2:PV');
  t.equal(qualifyBrowsePath('/Objects/3:Plant/PT&.101.PV', 2), '/Objects/3:Plant/2:PT&.101.2:PV', 'explicit index and escaped dot kept');
  t.equal(qualifyBrowsePath('/Objects/Server.ServerStatus.CurrentTime', 2), '/Objects/Server.ServerStatus.CurrentTime');
  t.throws(() => qualifyBrowsePath('Objects/X', 1), /must start with/);
});

t.test('DataValue → SourceReading', async (t) => {
  const target = { field: 'PT101', key: 'plant' };
  const src = new Date('2026-11-25T02:00:00Z'), srv = new Date('2026-11-25T02:00:01Z');
  const good = toReading(target, { value: { value: 0.35 }, statusCode: StatusCodes.Good, sourceTimestamp: src, serverTimestamp: srv }, 1);
  t.same(good, { reading: { identity: { protocol: 'opc_ua', key: 'plant' }, field: 'PT101', time: src.getTime(), kind: 'rtd', value: 0.35 } });
  const noSrc = toReading(target, { value: { value: 1 }, statusCode: StatusCodes.Good, sourceTimestamp: null, serverTimestamp: srv }, 1);
  t.match(noSrc, { reading: { time: srv.getTime(), warnings: ['opcua_server_timestamp'] } }, 'server timestamp as fallback');
  const none = toReading(target, { value: { value: 1 }, statusCode: StatusCodes.Good, sourceTimestamp: new Date(Date.UTC(1601, 0, 1)) }, 1234);
  t.match(none, { reading: { time: 1234, warnings: ['opcua_receive_time'] } }, 'receive time as last resort');
  const bad = toReading({ ...target, device: 'WS-001-PT' }, { value: { value: 9 }, statusCode: StatusCodes.BadSensorFailure, sourceTimestamp: src }, 1);
  t.same(bad, { reading: { device: 'WS-001-PT', field: 'PT101', time: src.getTime(), kind: 'rtd', value: null, quality: 'bad', flag: 'D', warnings: ['opcua_bad_sensor_failure'] } });
  const unc = toReading(target, { value: { value: 2 }, statusCode: StatusCodes.UncertainLastUsableValue, sourceTimestamp: src }, 1);
  t.match(unc, { reading: { value: 2, quality: 'uncertain', warnings: ['opcua_uncertain_last_usable_value'] } });
  t.same(toReading(target, { value: { value: 'text' }, statusCode: StatusCodes.Good, sourceTimestamp: src }, 1), { unsupported: 'string' });
  t.equal(numeric(true), 1);
  t.equal(numeric([1, 5]), 2 ** 32 + 5, 'Int64 as [high, low]');
  t.equal(numeric(Number.NaN), undefined);
});

t.test('field names guessed from browse paths', async (t) => {
  const taken = new Set<string>();
  t.equal(guessField('/Objects/WaterPlant/PT101.PV', taken), 'PT101');
  t.equal(guessField('/Objects/Other/PT101.PV', taken), 'PT101_2', 'unique');
  t.equal(guessField('/Objects/2:Boiler/Supply Temp', taken), 'Supply_Temp');
});

t.test('Int64 words are signed, UInt64 words are not; NaN is a bad reading, not an unsupported type', async (t) => {
  t.equal(numeric([0xffffffff, 0xfffffffb], 8), -5, 'Int64 −5 as node-opcua decodes it');
  t.equal(numeric([0xffffffff, 0xfffffffb], 9), 0xffffffff * 2 ** 32 + 0xfffffffb, 'UInt64 stays unsigned');
  const target = { key: 'sim', field: 'PT101' };
  const r = toReading(target as never, { value: { value: Number.NaN, dataType: 11 }, statusCode: { value: 0, name: 'Good' }, sourceTimestamp: new Date(Date.UTC(2026, 10, 25)) }, Date.now());
  t.match(r, { reading: { value: null, quality: 'bad', flag: 'D', warnings: ['non_finite_value'] } });
});
