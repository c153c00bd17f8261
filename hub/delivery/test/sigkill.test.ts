// A hub SIGKILLed while it delivers, then restarted (child process, PostgreSQL store), with each driver.
import t from 'tap';
import { postgresUp, needService } from '../../../test/helpers/services.ts';
import { sigkillScenario } from './fixtures/sigkill.ts';
import { startRedis, redisServerAvailable } from './fixtures/redis.ts';

if (needService(t, 'PostgreSQL', await postgresUp())) {
  t.test('embedded: SIGKILL mid-delivery, restart → nothing lost, duplicates only with the same key', (t) => sigkillScenario(t, 'embedded'));
  t.test('bullmq: SIGKILL mid-delivery, restart → nothing lost, duplicates only with the same key', async (t) => {
    if (!needService(t, 'redis-server (binary)', await redisServerAvailable())) return;
    const redis = await startRedis();
    t.teardown(() => redis.stop());
    await sigkillScenario(t, 'bullmq', redis.url);
  });
}
