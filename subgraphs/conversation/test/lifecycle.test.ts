import { embedded } from './harness';
import { describeLifecycle } from './suites/lifecycle';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeLifecycle(embedded);
