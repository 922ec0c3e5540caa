/**
 * Unknown, finished, expired and foreign stream ids in distributed mode: conversation writes the
 * request record to Redis, streaming reads it there (services in their own processes, on FerretDB,
 * Kafka and Redis).
 */
import { createRedisKv, type KvStore } from '@chatgraph/kit/kv';
import { REDIS_URL, startTestStack, type TestStack } from './distributedStack';
import { describeStreamIds, STREAM_ID_ENV } from './streamIdScenarios';

let running: TestStack;
let kv: KvStore;

beforeAll(async () => {
  running = await startTestStack('stream-ids', { env: STREAM_ID_ENV });
  kv = createRedisKv({ url: REDIS_URL, keyPrefix: running.redisKeyPrefix });
  await kv.start();
}, 180_000);

afterAll(async () => {
  await kv?.stop();
  await running?.dispose();
}, 60_000);

jest.setTimeout(60_000);

describeStreamIds('distributed: Kafka + Redis + FerretDB', () => ({
  url: () => running.stack.routerUrls[0] ?? '',
  del: (key) => kv.del(key),
  timeoutMs: 30_000,
}));
