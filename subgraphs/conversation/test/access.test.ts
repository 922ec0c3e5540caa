import { embedded } from './harness';
import { describeAccess } from './suites/access';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeAccess(embedded);
