// The poll loop's failure boundary (issue 10): an error nothing inside the loop handled is logged, shown in
// health, and polling resumes; it never becomes an unhandled rejection that ends the process.
import t from 'tap';
import { ModbusSimServer, UnitImage } from '../sim/server.ts';
import { DevicePoller } from '../transport/poller.ts';
import { fakeCtx, waitFor } from './fixtures/ctx.ts';

t.test('an unexpected error in one poll restarts the loop; polling goes on', async (t) => {
  const srv = new ModbusSimServer();
  const port = await srv.listen(0);
  t.teardown(() => srv.close());
  const img = new UnitImage({ holding_registers: 10 });
  img.set('holding_registers', 0, [42]);
  srv.units.set(1, img);
  const f = fakeCtx();
  const p = new DevicePoller({
    host: '127.0.0.1', port, unitId: 1, points: [{ name: 'v', function: 'holding_registers', address: 0, type: 'uint16' }] as never,
    intervalMs: 50, timeoutMs: 500, retries: 0, maxRegisters: 125, maxBits: 2000, maxGapRegisters: 8, maxGapBits: 64,
    reconnect: { initialMs: 50, maxMs: 100, jitter: 0 }, writes: false,
  }, f.ctx, (batch) => f.ctx.ingest(batch as never));
  // A fault where a bug would be: the first poll throws instead of returning bad readings.
  const real = p.pollOnce.bind(p);
  let calls = 0;
  p.pollOnce = async (time: number) => { if (++calls === 1) throw new TypeError('injected: a poll bug'); return real(time); };
  p.start();
  t.teardown(() => p.stop());
  await waitFor('polling resumed', () => f.readings().some((r) => r.value === 42), 5000);
  t.ok(f.errors.includes('poll_failed'), 'counted as poll_failed');
  t.match(p.health().last_error, { code: 'INTERNAL', message: /injected: a poll bug/ }, 'shown in health');
});
