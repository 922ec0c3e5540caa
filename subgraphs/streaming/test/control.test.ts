/** `stopGeneration` and `activeStreams`, on the embedded kv store. */
import { embedded } from './harness';
import { describeControl } from './suites/control';

describeControl(embedded);
