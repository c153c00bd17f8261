// Delivery with the embedded driver (outbox drained in process) on PGlite; the same suite as the BullMQ driver.
import t from 'tap';
import { deliverySuite } from './fixtures/suite.ts';

deliverySuite(t, { store: 'pglite', driver: 'embedded' }, () => 'unused');
