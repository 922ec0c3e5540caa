/**
 * The Redis adapter against a real Redis (REDIS_URL, default redis://127.0.0.1:6390):
 *   bash scripts/infra/redis.sh up && pnpm jest -c jest.real.config.js subgraphs/kit/test/kv
 * The restart suite stops and starts a second, private Redis (REDIS_RESTART_PORT, default 6391)
 * through the same script, so it never disturbs tests running against REDIS_URL meanwhile.
 */
import { createRedisKv, KvNotRunningError } from '../../src/kv';
import { describeKvContract } from './contract';
import { rateLimitParitySuite } from './redisParity';
import { redisRestartSuite } from './redisRestart';
import { assertRedisReachable, makeRedisKv, REDIS_URL } from './redisSupport';

beforeAll(assertRedisReachable);

describeKvContract('redis', makeRedisKv);
rateLimitParitySuite();
redisRestartSuite();

describe('redis kv lifecycle', () => {
  it('stays stopped when stop() comes while start() is connecting', async () => {
    const kv = createRedisKv({ url: REDIS_URL });
    const starting = kv.start();
    await kv.stop();
    await expect(starting).rejects.toBeInstanceOf(KvNotRunningError);
    await expect(kv.get('k')).rejects.toBeInstanceOf(KvNotRunningError);
  });

  it('shares one connection attempt between concurrent start() calls', async () => {
    const kv = createRedisKv({ url: REDIS_URL });
    await Promise.all([kv.start(), kv.start()]);
    await expect(kv.ping()).resolves.toBeUndefined();
    await kv.stop();
  });
});
