// A PublisherContext for driving a publisher directly in tests (the delivery engine supplies the real one).
import type { HistoryReader, Observation, PublisherContext } from '../../../hub/sdk/index.ts';

export interface TestContext extends PublisherContext {
  counts: { sent: number; dropped: number; errors: Record<string, number> };
  abort(): void;
}

export function testContext(history?: HistoryReader): TestContext {
  const ac = new AbortController();
  const counts = { sent: 0, dropped: 0, errors: {} as Record<string, number> };
  const quiet = () => undefined;
  return {
    name: 'test', signal: ac.signal, clock: { now: () => Date.now() }, history,
    logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    metrics: {
      received: quiet, sent: (n = 1) => { counts.sent += n; }, dropped: (n = 1) => { counts.dropped += n; },
      error: (type: string, n = 1) => { counts.errors[type] = (counts.errors[type] ?? 0) + n; },
    },
    counts, abort: () => ac.abort(),
  };
}

let nextId = 1;
/** A stored-looking observation. */
export function obs(o: Partial<Observation> & Pick<Observation, 'point' | 'device' | 'site' | 'indicator' | 'time'>): Observation {
  return {
    id: String(nextId++), domain: o.indicator.split('.')[0] as Observation['domain'], kind: 'rtd', value: 1, unit: 'MPa',
    quality: { source_flag: 'N', flags: [] }, source: { adapter: 'test', received_at: o.time }, ...o,
  };
}
