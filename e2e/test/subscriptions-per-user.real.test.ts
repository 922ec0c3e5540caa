/**
 * The per-user cap on open subscriptions holds over two routers on a real Redis, each with its own
 * connection (as two processes would have); scenario in rateLimits/streamsPerUser.ts.
 *   CHATGRAPH_INFRA_DIR=/var/tmp/chatgraph-infra pnpm jest -c jest.real.config.js e2e/test/subscriptions-per-user.real.test.ts
 */
import { randomUUID } from 'node:crypto';
import { createRedisKv, type KvStore } from '@chatgraph/kit/kv';
import { REDIS_URL } from './distributedStack';
import { describeStreamsPerUser, STREAMS_PER_USER_ENV } from './rateLimits/streamsPerUser';
import { startTwoRouters } from './rateLimits/support';

const kvs: KvStore[] = [];
afterAll(async () => {
  for (const kv of kvs) await kv.stop();
});

describeStreamsPerUser(async () => {
  const prefix = `test:streams:${randomUUID()}:`;
  for (let i = 0; i < 2; i++) {
    const kv = createRedisKv({ url: REDIS_URL, keyPrefix: prefix });
    await kv.start();
    kvs.push(kv);
  }
  return startTwoRouters(STREAMS_PER_USER_ENV, kvs[0], kvs[1]);
});
