import { defineAdapter } from '../../hub/sdk/index.ts';
import { manifest, type JsonMqttConfig } from './manifest.ts';
import { JsonMqttSubscriber } from './subscriber.ts';

export default defineAdapter<JsonMqttConfig>({
  manifest,
  create(config, ctx) {
    const sub = new JsonMqttSubscriber(config, ctx);
    return {
      start: () => sub.start(),
      stop: () => sub.stop(),
      health: () => sub.health(),
    };
  },
});
