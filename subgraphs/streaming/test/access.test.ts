/** Ownership, sign-in, argument validation and signed connections, on the embedded kv store. */
import { embedded } from './harness';
import { describeAccess } from './suites/access';

describeAccess(embedded);
