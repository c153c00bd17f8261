import { defineAdapter } from '../../hub/sdk/index.ts';
import { manifest, type JsonHttpConfig } from './manifest.ts';
import { buildEndpoints, Webhooks } from './webhook.ts';

export default defineAdapter<JsonHttpConfig>({
  manifest,
  create(config, ctx) {
    // Profiles are compiled and secrets resolved here: a bad one stops the hub at start, with its path.
    const hooks = new Webhooks(buildEndpoints(config, ctx), ctx);
    hooks.register();
    return {
      start: async () => hooks.start(),
      stop: async () => hooks.stop(),
      health: () => hooks.health(),
    };
  },
});
