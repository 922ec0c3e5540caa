import { embedded } from './harness';
import { describeLimits } from './suites/limits';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeLimits(embedded);
