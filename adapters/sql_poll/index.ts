import { defineAdapter, LifelineError, type AdapterHealth } from '../../hub/sdk/index.ts';
import { manifest, type SqlPollConfig } from './manifest.ts';
import { SourcePoller } from './source.ts';

export default defineAdapter<SqlPollConfig>({
  manifest,
  create(config, ctx) {
    const names = new Set<string>();
    const pollers = config.sources.map((s) => {
      if (names.has(s.name)) throw new LifelineError('CONFIG_INVALID', `sql_poll: source name "${s.name}" is used twice (it keys the stored cursor)`);
      names.add(s.name);
      return new SourcePoller(s, ctx, { initialMs: config.backoff_initial_s * 1000, maxMs: config.backoff_max_s * 1000 });
    });
    let started = false;
    return {
      async start() { started = true; for (const p of pollers) p.start(); },
      async stop() { started = false; await Promise.all(pollers.map((p) => p.stop())); },
      health(): AdapterHealth {
        const sources = Object.fromEntries(config.sources.map((s, i) => [s.name, pollers[i]!.health()]));
        const failing = Object.values(sources).filter((h) => h.last_error).length;
        return { status: started && failing ? 'degraded' : 'ok', detail: { sources } };
      },
    };
  },
});
