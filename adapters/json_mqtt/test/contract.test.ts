// The adapter-contract profile (docs/certification.md) through Mosquitto: the PUBACKs on the wire are the acknowledgements.
import t from 'tap';
import { contractSuite } from '../../../conformance/index.ts';
import { needService } from '../../../test/helpers/services.ts';
import { mosquittoUp, SYSTEM_BROKER } from './fixtures/broker.ts';
import adapter from '../index.ts';

if (needService(t, 'Mosquitto', await mosquittoUp())) {
  await contractSuite(t, adapter, ['adapter.acknowledges', 'adapter.source_outage'], { services: { mqttUrl: SYSTEM_BROKER } });
}
