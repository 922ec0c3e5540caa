/**
 * The per-user cap on open subscriptions holds over two embedded routers sharing one kv
 * (scenario in rateLimits/streamsPerUser.ts).
 */
import { describeStreamsPerUser, STREAMS_PER_USER_ENV } from './rateLimits/streamsPerUser';
import { startTwoRouters } from './rateLimits/support';

describeStreamsPerUser(() => startTwoRouters(STREAMS_PER_USER_ENV));
