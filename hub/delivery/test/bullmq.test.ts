// Delivery with the BullMQ driver (PostgreSQL store, a private redis-server this test may restart): the shared
// suite, plus Redis restarted mid-run with nothing on disk (every queued job lost) → nothing lost.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { postgresUp, needService } from '../../../test/helpers/services.ts';
import { startTestHub } from '../../../test/helpers/hub.ts';
import { deliverySuite, publishConfig, feed, allDelivered } from './fixtures/suite.ts';
import { startTarget, until } from './fixtures/target.ts';
import { startRedis, redisServerAvailable } from './fixtures/redis.ts';

const pg = await postgresUp();
const rs = await redisServerAvailable();
if (needService(t, 'PostgreSQL', pg) && needService(t, 'redis-server (binary)', rs)) {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const prefix = () => `lt-${randomBytes(4).toString('hex')}`;
  const d = { store: 'postgres' as const, driver: 'bullmq' as const, redisUrl: redis.url };
  deliverySuite(t, d, prefix);

  t.test('bullmq/postgres: Redis restarted mid-run (all queued jobs lost) → nothing lost, order kept', async (t) => {
    const target = await startTarget();
    t.teardown(() => target.close());
    const h = await startTestHub('postgres', (c) => publishConfig(c, d, target.url, prefix()));
    t.teardown(() => h.cleanup());
    let n = 0;
    const feeding = (async () => { const end = Date.now() + 6000; while (Date.now() < end) { await feed(h, n, 100); n += 100; await new Promise((r) => setTimeout(r, 50)); } })();
    await until('deliveries under way', () => target.accepted.length > 3, 15_000);
    target.mode = '503'; // a backlog builds up as queued jobs
    await new Promise((r) => setTimeout(r, 1500));
    await redis.restart(1500);
    const st = (await h.hub.publish.status())[0]!;
    t.ok(st.pending_batches > 0, `the store still holds the ${st.pending_batches} batches whose jobs Redis lost`);
    target.mode = 'ok';
    await feeding;
    await allDelivered(t, h, target, 60_000);
  });
}
