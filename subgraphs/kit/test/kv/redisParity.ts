import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RateLimitAlgorithm } from '../../src/kv';
import {
  gcraStep,
  resolvePolicy,
  slidingWindowStep,
  tokenBucketStep,
  type GcraState,
  type SlidingWindowState,
  type TokenBucketState,
} from '../../src/kv/rateLimit';
import { parseRateLimit } from '../../src/kv/redis/replies';
import { RATE_LIMIT_SCRIPT } from '../../src/kv/redis/scripts';
import { prng } from './helpers';
import { REDIS_URL } from './redisSupport';

/**
 * The Lua limiter and the TypeScript one must be one algorithm: the script is fed the same
 * random histories with an explicit `now` and must return exactly what `rateLimit.ts` returns.
 * Windows are long (seconds) so Redis's real-time expiry of the state never fires mid-run; the
 * TypeScript side keeps its state forever, which is equivalent, since an expired state and an
 * old one both mean a full bucket / empty windows.
 */
export function rateLimitParitySuite(): void {
  describe.each<RateLimitAlgorithm>(['sliding-window', 'token-bucket', 'gcra'])('Lua %s limiter = rateLimit.ts', (algorithm) => {
    let redis: Redis;
    beforeAll(() => {
      redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    });
    afterAll(() => redis.disconnect());

    it('decides identically on random histories', async () => {
      const random = prng(algorithm === 'token-bucket' ? 3 : algorithm === 'gcra' ? 9 : 5);
      for (let run = 0; run < 40; run++) {
        const key = `test:parity:${randomUUID()}`;
        const p = resolvePolicy({ algorithm, limit: 1 + Math.floor(random() * 50), windowMs: 5000 + Math.floor(random() * 60_000) });
        let tb: TokenBucketState | undefined;
        let sw: SlidingWindowState | undefined;
        let gc: GcraState | undefined;
        let now = 1_700_000_000_000 + Math.floor(random() * 1_000_000);
        for (let i = 0; i < 40; i++) {
          now += Math.floor(random() * (p.windowMs / 3));
          const policy = { ...p, cost: 1 + Math.floor(random() * p.limit) };
          let expected;
          if (algorithm === 'token-bucket') {
            const step = tokenBucketStep(tb, now, policy);
            tb = step.state;
            expected = step.result;
          } else if (algorithm === 'gcra') {
            const step = gcraStep(gc, now, policy);
            gc = step.state;
            expected = step.result;
          } else {
            const step = slidingWindowStep(sw, now, policy);
            sw = step.state;
            expected = step.result;
          }
          const reply = await RATE_LIMIT_SCRIPT.run(redis, [key], [algorithm, policy.limit, policy.windowMs, policy.cost, now]);
          expect({ run, i, result: parseRateLimit(reply) }).toEqual({ run, i, result: expected });
        }
        await redis.del(key);
      }
    });
  });
}
