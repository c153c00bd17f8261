// The built-in adapter runs the same certification kit as vendors' adapters.
import t from 'tap';
import { conformanceSuite } from '../../../conformance/index.ts';
import jsonMqtt from '../index.ts';
import { mosquittoUp } from './fixtures/broker.ts';
import { needService } from '../../../test/helpers/services.ts';
import { topicProfile, uniquePrefix } from './fixtures/setup.ts';

if (needService(t, 'Mosquitto', await mosquittoUp())) {
  const prefix = uniquePrefix('conformance');
  await conformanceSuite(t, jsonMqtt, {
    config: {
      broker: { url: 'mqtt://127.0.0.1:1883', client_id: `lt-${prefix.split('/')[1]}`, clean: true },
      subscriptions: [{ topic: `${prefix}/{device}`, profile: topicProfile }],
    },
  });
}
