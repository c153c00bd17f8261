// The adapter-contract profile (docs/certification.md) on PostgreSQL: the cursor checkpoint is the acknowledgement.
import t from 'tap';
import { contractSuite } from '../../../conformance/index.ts';
import { needService, postgresUp, PG_ADMIN_URL } from '../../../test/helpers/services.ts';
import adapter from '../index.ts';

if (needService(t, 'PostgreSQL', await postgresUp())) {
  await contractSuite(t, adapter, ['adapter.acknowledges', 'adapter.source_outage'], { services: { postgresUrl: PG_ADMIN_URL } });
}
