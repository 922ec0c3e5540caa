import { embedded } from './harness';
import { describePaging } from './suites/paging';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describePaging(embedded);
