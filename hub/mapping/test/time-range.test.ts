// Times outside 0001…9999 are mapping failures (MAPPING_BAD_TIME), so a payload cannot make the commit fail.
import t from 'tap';
import { compileProfile } from '../index.ts';

const profile = compileProfile({ device: 'deviceId', time: { expr: 'ts', format: 'epoch_ms' }, values: [{ field: 'methane', value: 'methane', unit: "'%{LEL}'" }] }, { name: 'far' });

t.test('far-future epoch ms fails that record only', async (t) => {
  const r = await profile.map({ payload: [{ deviceId: 'A', ts: 1e17, methane: 1 }, { deviceId: 'B', ts: 1795620000000, methane: 2 }] });
  t.equal(r.readings.length, 1);
  t.match(r.readings[0], { time: 1795620000000, value: 2 });
  t.match(r.failures, [{ code: 'MAPPING_BAD_TIME', message: /outside the years 0001–9999/ }]);
});
