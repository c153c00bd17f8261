// The adapter-contract profile (docs/certification.md): a poller/subscriber acknowledges nothing, so the kit checks no
// phantom, no duplicate, that it keeps ingesting after faults and a stop, and its health through a source outage.
import t from 'tap';
import { contractSuite } from '../../../conformance/index.ts';
import adapter from '../index.ts';

await contractSuite(t, adapter, ['adapter.source_outage']);
