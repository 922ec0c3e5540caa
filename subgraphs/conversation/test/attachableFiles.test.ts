import { embedded } from './harness';
import { describeFiles } from './suites/files';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeFiles(embedded);
