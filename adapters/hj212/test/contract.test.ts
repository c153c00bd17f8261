// The adapter-contract profile (docs/certification.md): faults at the ingest boundary, acknowledgement after commit.
import t from 'tap';
import { contractSuite } from '../../../conformance/index.ts';
import adapter from '../index.ts';

await contractSuite(t, adapter, ['adapter.acknowledges']);
