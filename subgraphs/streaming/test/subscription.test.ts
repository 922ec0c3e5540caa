/** `messageStream` over a real graphql-ws client, on the embedded kv store. */
import { embedded } from './harness';
import { describeSubscription } from './suites/subscription';

describeSubscription(embedded);
