import { embedded } from './harness';
import { describeAssistants } from './suites/assistants';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeAssistants(embedded);
