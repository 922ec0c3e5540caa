import type { RateLimitAlgorithm } from '../../src/kv';
import { sleep, type KvContext } from './helpers';

const ALGORITHMS: RateLimitAlgorithm[] = ['sliding-window', 'token-bucket', 'gcra'];

export function rateLimitContract(ctx: KvContext): void {
  describe.each(ALGORITHMS)('%s', (algorithm) => {
    it('allows up to the limit, counting remaining down, then denies with a retry hint', async () => {
      const kv = ctx.kv();
      const policy = { limit: 3, windowMs: 60_000, algorithm };
      const before = Date.now();
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await kv.rateLimit('user:1', policy));
      const after = Date.now();
      expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
      ]);
      expect(results.every((r) => r.limit === policy.limit)).toBe(true);
      for (const r of results) {
        expect(r.resetAt).toBeGreaterThan(before);
        expect(r.resetAt).toBeLessThanOrEqual(after + 2 * policy.windowMs);
      }
      expect(results.slice(0, 3).every((r) => r.retryAfterMs === 0)).toBe(true);
      for (const denied of results.slice(3)) {
        expect(denied.retryAfterMs).toBeGreaterThanOrEqual(1);
        expect(denied.retryAfterMs).toBeLessThanOrEqual(2 * policy.windowMs);
      }
    });

    it('allows exactly `limit` of many concurrent calls, each seeing a distinct remaining', async () => {
      const kv = ctx.kv();
      const peer = await ctx.peer();
      const policy = { limit: 10, windowMs: 60_000, algorithm };
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? kv : peer).rateLimit('burst', policy)));
      const allowed = results.filter((r) => r.allowed);
      expect(allowed).toHaveLength(10);
      expect(allowed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('lets a caller that waits retryAfterMs through, however often it was denied meanwhile', async () => {
      const kv = ctx.kv();
      // Long enough that the retry time (half a window at least here) outlasts the extra calls below.
      const policy = { limit: 2, windowMs: 600, algorithm };
      await kv.rateLimit('retry', policy);
      await kv.rateLimit('retry', policy);
      const denied = await kv.rateLimit('retry', policy);
      expect(denied.allowed).toBe(false);
      // Denied requests spend nothing, so these do not push the retry time further out.
      for (let i = 0; i < 5; i++) expect((await kv.rateLimit('retry', policy)).allowed).toBe(false);
      await sleep(denied.retryAfterMs + 5);
      expect((await kv.rateLimit('retry', policy)).allowed).toBe(true);
    });

    it('has the whole limit back at resetAt', async () => {
      const kv = ctx.kv();
      const policy = { limit: 4, windowMs: 200, algorithm };
      const first = await kv.rateLimit('reset', policy);
      await kv.rateLimit('reset', policy);
      const last = await kv.rateLimit('reset', policy);
      expect(last.resetAt).toBeGreaterThanOrEqual(first.resetAt);
      await sleep(Math.max(0, last.resetAt - Date.now()) + 5);
      expect(await kv.rateLimit('reset', policy)).toMatchObject({ allowed: true, remaining: 3 });
    });

    it('charges a cost, and denies a cost that does not fit without spending it', async () => {
      const kv = ctx.kv();
      const policy = { limit: 5, windowMs: 60_000, algorithm };
      expect(await kv.rateLimit('tokens', { ...policy, cost: 3 })).toMatchObject({ allowed: true, remaining: 2 });
      expect(await kv.rateLimit('tokens', { ...policy, cost: 3 })).toMatchObject({ allowed: false, remaining: 2 });
      expect(await kv.rateLimit('tokens', { ...policy, cost: 2 })).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('peeks without spending: the answer a spend would get, and nothing changes', async () => {
      const kv = ctx.kv();
      const policy = { limit: 3, windowMs: 60_000, algorithm };
      await kv.rateLimit('peek', policy);
      const peeked = await kv.rateLimit('peek', { ...policy, peek: true });
      expect(await kv.rateLimit('peek', { ...policy, peek: true })).toMatchObject({ allowed: peeked.allowed, remaining: peeked.remaining });
      expect(peeked).toMatchObject({ allowed: true, remaining: 1 });
      expect(await kv.rateLimit('peek', policy)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await kv.rateLimit('peek', policy)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await kv.rateLimit('peek', { ...policy, peek: true })).toMatchObject({ allowed: false, remaining: 0 });
    });

    it('keeps keys independent', async () => {
      const kv = ctx.kv();
      const policy = { limit: 1, windowMs: 60_000, algorithm };
      expect((await kv.rateLimit('a', policy)).allowed).toBe(true);
      expect((await kv.rateLimit('a', policy)).allowed).toBe(false);
      expect((await kv.rateLimit('b', policy)).allowed).toBe(true);
    });
  });

  it('refuses policies no request could satisfy', async () => {
    const kv = ctx.kv();
    await expect(kv.rateLimit('x', { limit: 0, windowMs: 1000 })).rejects.toThrow(RangeError);
    await expect(kv.rateLimit('x', { limit: 2, windowMs: 1000, cost: 3 })).rejects.toThrow(/cost/);
    await expect(kv.rateLimit('x', { limit: 2, windowMs: 0.5 })).rejects.toThrow(/windowMs/);
  });
}
