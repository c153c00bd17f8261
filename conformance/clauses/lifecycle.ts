// Lifecycle clauses (OpenTelemetry component lifecycle test): stop is idempotent and legal before start.
import type { AdapterInstance } from '../../hub/sdk/index.ts';
import { pass, fail, type Clause, type ClauseContext } from './types.ts';

const within = async <T>(ms: number, what: string, p: Promise<T> | T): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([Promise.resolve(p), new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms); })]);
  } finally { clearTimeout(timer); }
};

async function create(c: ClauseContext): Promise<AdapterInstance> {
  return within(10_000, 'create()', c.adapter.create(c.config as never, c.newContext()));
}

export const lifecycleClauses: Clause[] = [
  {
    id: 'LIFECYCLE-001', title: 'create() returns start, stop and health',
    run: async (c) => {
      const i = await create(c);
      const missing = (['start', 'stop', 'health'] as const).filter((k) => typeof i?.[k] !== 'function');
      await i?.stop?.().catch(() => undefined);
      return missing.length ? fail(`missing: ${missing.join(', ')}`) : pass();
    },
  },
  {
    id: 'LIFECYCLE-002', title: 'stop() before start() resolves',
    run: async (c) => {
      const i = await create(c);
      try { await within(10_000, 'stop()', i.stop()); return pass(); } catch (e) { return fail(`stop() without start(): ${(e as Error).message}`); }
    },
  },
  {
    id: 'LIFECYCLE-003', title: 'start(), health(), then stop() twice',
    run: async (c) => {
      const i = await create(c);
      try {
        await within(10_000, 'start()', i.start());
        const h = await within(5_000, 'health()', i.health());
        if (!['ok', 'degraded', 'down'].includes(h?.status)) return fail(`health() returned ${JSON.stringify(h)}; status must be ok, degraded or down`);
        await within(10_000, 'stop()', i.stop());
        await within(10_000, 'second stop()', i.stop());
        return pass(`health after start: ${h.status}`);
      } catch (e) {
        await i.stop().catch(() => undefined);
        return fail((e as Error).message);
      }
    },
  },
];
