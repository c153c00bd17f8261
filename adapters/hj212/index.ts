import { defineAdapter } from '../../hub/sdk/index.ts';
import { manifest, type Hj212Config } from './manifest.ts';
import { Hj212Server } from './transport/server.ts';

export default defineAdapter<Hj212Config>({
  manifest,
  create(config, ctx) {
    const server = new Hj212Server(config, ctx);
    return {
      start: () => server.start(),
      stop: () => server.stop(),
      health: () => server.health(),
      command: (request) => server.command(request),
    };
  },
});
