import type { RateLimitAlgorithm } from '../../src/kv';
import { gcraStep, resolvePolicy, slidingWindowStep, tokenBucketStep, type GcraState, type ResolvedPolicy } from '../../src/kv/rateLimit';
import { prng } from './helpers';

type AnyState = Parameters<typeof tokenBucketStep>[0] | Parameters<typeof slidingWindowStep>[0] | GcraState;

/** Runs one algorithm over a sequence of (time step, cost) requests, as a store would. */
function limiter(algorithm: RateLimitAlgorithm, p: ResolvedPolicy) {
  let state: AnyState;
  let expiresAt = 0;
  return (now: number, cost: number, commit = true) => {
    const current = now < expiresAt ? state : undefined;
    const policy = { ...p, cost };
    const step =
      algorithm === 'token-bucket'
        ? tokenBucketStep(current as Parameters<typeof tokenBucketStep>[0], now, policy)
        : algorithm === 'gcra'
          ? gcraStep(current as GcraState | undefined, now, policy)
          : slidingWindowStep(current as Parameters<typeof slidingWindowStep>[0], now, policy);
    if (commit) {
      state = step.state;
      expiresAt = now + step.ttlMs;
    }
    return step.result;
  };
}

describe.each<RateLimitAlgorithm>(['sliding-window', 'token-bucket', 'gcra'])('rate limiter %s (pure)', (algorithm) => {
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

describe('GCRA (pure)', () => {
  it('allows a burst of limit, then one request per emission interval, exactly, with a non-integer interval', () => {
    // 3 per 1000 ms: the interval is 333.33 ms, which integer-ms arithmetic would round and drift.
    const p = resolvePolicy({ algorithm: 'gcra', limit: 3, windowMs: 1000 });
    let state: GcraState | undefined;
    const at = (now: number) => {
      const step = gcraStep(state, now, p);
      state = step.state;
      return step.result;
    };
    const t0 = 1_700_000_000_000;
    expect([at(t0), at(t0), at(t0), at(t0)].map((r) => r.allowed)).toEqual([true, true, true, false]);
    // After the burst, 3000 requests at exactly 1000/3 ms apart: all allowed (no accumulated drift)...
    let allowed = 0;
    for (let i = 1; i <= 3000; i++) if (at(t0 + Math.ceil((i * 1000) / 3)).allowed) allowed++;
    expect(allowed).toBe(3000);
    // ...and one more at the same instant as the last is not.
    expect(at(t0 + 1_000_000).allowed).toBe(false);
  });

  it('reports remaining and resetAt as a full bucket would', () => {
    const p = resolvePolicy({ algorithm: 'gcra', limit: 4, windowMs: 400 });
    const first = gcraStep(undefined, 1000, p);
    expect(first.result).toEqual({ allowed: true, remaining: 3, resetAt: 1100, retryAfterMs: 0, limit: 4 });
    const second = gcraStep(first.state, 1000, { ...p, cost: 3 });
    expect(second.result).toMatchObject({ allowed: true, remaining: 0, resetAt: 1400 });
    const denied = gcraStep(second.state, 1050, p);
    expect(denied.result).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 50 });
    expect(denied.state).toEqual(second.state);
  });
});
