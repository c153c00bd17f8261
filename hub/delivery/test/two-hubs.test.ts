// Two hubs on one PostgreSQL store deliver to one target: still one batch in flight at a time, in order,
// nothing lost, nothing sent twice under different keys — with each driver (bullmq: a private redis-server).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { startHub } from '../../hub.ts';
import { testConfig } from '../../../test/helpers/hub.ts';
import { postgresUp, needService, freshDatabase } from '../../../test/helpers/services.ts';
import { publishConfig, feed, allDelivered } from './fixtures/suite.ts';
import { startTarget } from './fixtures/target.ts';
import { startRedis, redisServerAvailable } from './fixtures/redis.ts';

if (needService(t, 'PostgreSQL', await postgresUp())) {
  for (const driver of ['embedded', 'bullmq'] as const) {
    t.test(`${driver}: two hubs, one target`, async (t) => {
      let redisUrl: string | undefined;
      if (driver === 'bullmq') {
        if (!needService(t, 'redis-server (binary)', await redisServerAvailable())) return;
        const redis = await startRedis();
        t.teardown(() => redis.stop());
        redisUrl = redis.url;
      }
      const db = await freshDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'lifeline-2hubs-'));
      const target = await startTarget();
      target.delayMs = 15;
      const prefix = `l2-${randomBytes(4).toString('hex')}`;
      const start = () => startHub(testConfig(dir, (c) => { publishConfig(c, { store: 'postgres', driver, redisUrl }, target.url, prefix); c.store.url = db.url; }), { listen: false, logger: pino({ level: 'silent' }), env: {} });
      const a = await start();
      const b = await start();
      t.teardown(async () => { await a.stop(); await b.stop(); await target.close(); await db.drop(); rmSync(dir, { recursive: true, force: true }); });
      // Both ingest, interleaved, distinct readings.
      for (let k = 0; k < 10; k++) {
        await feed({ hub: a } as never, k * 400, 200);
        await feed({ hub: b } as never, k * 400 + 200, 200);
      }
      await allDelivered(t, { hub: a } as never, target, 60_000);
      t.equal(target.maxInFlight, 1, 'never more than one batch in flight for the target');
    });
  }
}
