import type { RateLimitAlgorithm } from '../../src/kv';
import { resolvePolicy, slidingWindowStep, tokenBucketStep, type ResolvedPolicy } from '../../src/kv/rateLimit';
import { prng } from './helpers';

type AnyState = Parameters<typeof tokenBucketStep>[0] | Parameters<typeof slidingWindowStep>[0];

/** Runs one algorithm over a sequence of (time step, cost) requests, as a store would. */
function limiter(algorithm: RateLimitAlgorithm, p: ResolvedPolicy) {
  let state: AnyState;
  let expiresAt = 0;
  return (now: number, cost: number, commit = true) => {
    const current = now < expiresAt ? state : undefined;
    const policy = { ...p, cost };
    const step = algorithm === 'token-bucket'
      ? tokenBucketStep(current as Parameters<typeof tokenBucketStep>[0], now, policy)
      : slidingWindowStep(current as Parameters<typeof slidingWindowStep>[0], now, policy);
    if (commit) {
      state = step.state;
      expiresAt = now + step.ttlMs;
    }
    return step.result;
  };
}

describe.each<RateLimitAlgorithm>(['sliding-window', 'token-bucket'])('rate limiter %s (pure)', (algorithm) => {
  it('denies until exactly now + retryAfterMs, then allows, on random histories', () => {
    const random = prng(7);
    for (let run = 0; run < 200; run++) {
      const p = resolvePolicy({ algorithm, limit: 1 + Math.floor(random() * 20), windowMs: 10 + Math.floor(random() * 2000) });
      const check = limiter(algorithm, p);
      let now = 1_700_000_000_000 + Math.floor(random() * 100_000);
      for (let i = 0; i < 60; i++) {
        now += Math.floor(random() * (p.windowMs / 4));
        const cost = 1 + Math.floor(random() * p.limit);
        const result = check(now, cost);
        if (result.allowed) continue;
        expect(result.retryAfterMs).toBeGreaterThanOrEqual(1);
        // A dry run at each instant: 1 ms too early is still denied, on time is allowed.
        expect(check(now + result.retryAfterMs - 1, cost, false).allowed).toBe(false);
        expect(check(now + result.retryAfterMs, cost, false).allowed).toBe(true);
      }
    }
  });

  it('keeps random traffic within its bounds: 2 × limit in any window, at most limit per window on average', () => {
    const random = prng(11);
    const p = resolvePolicy({ algorithm, limit: 5, windowMs: 1000 });
    const check = limiter(algorithm, p);
    const allowedAt: number[] = [];
    const begin = 1_700_000_000_000;
    let now = begin;
    for (let i = 0; i < 5000; i++) {
      now += Math.floor(random() * 60);
      if (check(now, 1).allowed) allowedAt.push(now);
    }
    // Token bucket: a full burst plus one window's refill. Sliding window: it estimates the
    // previous window's share by its overlap, so bursts at a window's edge can reach the same.
    for (const t of allowedAt) expect(allowedAt.filter((u) => u >= t && u < t + p.windowMs).length).toBeLessThanOrEqual(2 * p.limit);
    expect(allowedAt.length).toBeLessThanOrEqual(p.limit * ((now - begin) / p.windowMs + 2));
    // Saturated, the sliding window settles a little under the limit (a window's count must fit
    // beside the previous one's remaining weight), never far under it.
    expect(allowedAt.length).toBeGreaterThan(0.7 * p.limit * ((now - begin) / p.windowMs));
  });

  it('reports the full limit available again at resetAt', () => {
    const p = resolvePolicy({ algorithm, limit: 8, windowMs: 500 });
    const check = limiter(algorithm, p);
    let last = check(1_700_000_000_100, 3);
    last = check(1_700_000_000_200, 2);
    expect(check(last.resetAt, p.limit, false)).toMatchObject({ allowed: true, remaining: 0 });
  });
});
