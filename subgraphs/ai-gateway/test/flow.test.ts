import { embedded } from './harness';
import { describeFlow } from './suites/flow';

// The same suite runs on Kafka + FerretDB + Redis in aiGateway.real.test.ts.
describeFlow(embedded);
