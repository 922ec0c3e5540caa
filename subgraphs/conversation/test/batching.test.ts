import { embedded } from './harness';
import { describeBatching } from './suites/batching';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeBatching(embedded);
