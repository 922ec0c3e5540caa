/** Unknown, finished, expired and foreign stream ids, on the embedded kv store. */
import { embedded } from './harness';
import { describeStreamIds } from './suites/streamIds';

describeStreamIds(embedded);
