import { embedded } from './harness';
import { describeSharing } from './suites/sharing';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeSharing(embedded);
