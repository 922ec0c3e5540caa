import { embedded } from './harness';
import { describeConsumer } from './suites/consumer';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeConsumer(embedded);
