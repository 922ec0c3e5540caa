import { embedded } from './harness';
import { describeBranching } from './suites/branching';

// The same suite runs on FerretDB + Kafka in conversation.real.test.ts.
describeBranching(embedded);
