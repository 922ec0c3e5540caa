/**
 * The router's limiter on its own (rateLimit/limiter.ts), on the embedded kv: the bound on how
 * long a decision waits for a kv that does not answer (one timer for every pending decision), the
 * policies it spends after an ADMIN change, and its decision metrics. A kv that never answers is
 * the embedded kv whose `rateLimit` is held back, as a Redis that is reconnecting holds commands.
 */
import { createLogger, ServiceMetrics } from '@chatgraph/kit';
import { createEmbeddedKv, type KvStore, type RateLimitResult } from '@chatgraph/kit/kv';
import { BanRegistry, DEFAULT_POLICIES, PolicyDirectory, type LimitPolicy } from '@chatgraph/kit/limits';
import { RateLimitMetrics, RouterRateLimiter } from '../src/rateLimit';

const USER = { kind: 'user', userId: 'u1', role: 'USER', via: 'jwt' } as const;
const silent = createLogger({ name: 'test', level: 'silent' });

/** The embedded kv, with `rateLimit` calls held (never answered) while `held` is true. */
function holdingKv(): { kv: KvStore; held: { value: boolean }; calls: () => number } {
  const kv = createEmbeddedKv({});
  const held = { value: false };
  let calls = 0;
  const rateLimit = kv.rateLimit.bind(kv);
  kv.rateLimit = (key, policy) => {
    calls++;
    return held.value ? new Promise<RateLimitResult>(() => undefined) : rateLimit(key, policy);
  };
  return { kv, held, calls: () => calls };
}

function limiterOn(
  kv: KvStore,
  defaults: readonly LimitPolicy[],
): { limiter: RouterRateLimiter; policies: PolicyDirectory; metrics: ServiceMetrics } {
  const metrics = new ServiceMetrics('router');
  const policies = new PolicyDirectory({ kv, logger: silent, defaults });
  const limiter = new RouterRateLimiter({
    kv,
    policies,
    bans: new BanRegistry({ kv, logger: silent }),
    metrics: new RateLimitMetrics(metrics),
    logger: silent,
    decisionTimeoutMs: 500,
  });
  return { limiter, policies, metrics };
}

/** Only the caller-wide `default` policy (one decision per request), with `limit` and `failMode`. */
function onlyDefault(limit: number, failMode: LimitPolicy['failMode']): LimitPolicy[] {
  return DEFAULT_POLICIES.filter((p) => p.name === 'default').map((p) => ({ ...p, limit, failMode }));
}

describe('RouterRateLimiter: a kv that does not answer', () => {
  let kv: KvStore;
  let held: { value: boolean };

  beforeEach(async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    ({ kv, held } = holdingKv());
    await kv.start();
  });

  afterEach(async () => {
    await kv.stop();
    jest.useRealTimers();
  });

  it('lets fail-open decisions through after decisionTimeoutMs, with one timer for all pending decisions and none left after', async () => {
    const { limiter, metrics } = limiterOn(kv, onlyDefault(100, 'open'));
    held.value = true;
    const timersBefore = jest.getTimerCount();
    const settled: string[] = [];
    const gates = [0, 1, 2].map((i) => {
      const gate = limiter.open(USER, '10.0.0.1', 0);
      void gate.finish().then((f) => settled.push(`${i}:${f.refusal ? 'refused' : 'allowed'}`));
      return gate;
    });
    expect(gates).toHaveLength(3);
    // Three decisions wait on the kv: one timer bounds them all (a timer each before).
    expect(jest.getTimerCount()).toBe(timersBefore + 1);
    await jest.advanceTimersByTimeAsync(499);
    expect(settled).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(settled).toEqual(['0:allowed', '1:allowed', '2:allowed']);
    expect(jest.getTimerCount()).toBe(timersBefore);
    const text = await metrics.registry.metrics();
    expect(text).toContain('router_rate_limit_decisions_total{policy="default",outcome="error",service="router"} 3');
    expect(text).toContain('router_rate_limit_kv_errors_total{policy="default",fail_mode="open",service="router"} 3');
  });

  it('gives each decision its own deadline: a later one is refused (fail closed) 500 ms after it started, not when the first expires', async () => {
    const { limiter } = limiterOn(kv, onlyDefault(100, 'closed'));
    held.value = true;
    const settled: string[] = [];
    void limiter
      .open(USER, '10.0.0.1', 0)
      .finish()
      .then((f) => settled.push(`first:${f.refusal?.errors[0]?.extensions?.code as string}`));
    await jest.advanceTimersByTimeAsync(300);
    void limiter
      .open(USER, '10.0.0.1', 0)
      .finish()
      .then((f) => settled.push(`second:${f.refusal?.errors[0]?.extensions?.code as string}`));
    await jest.advanceTimersByTimeAsync(200);
    expect(settled).toEqual(['first:UNAVAILABLE']);
    await jest.advanceTimersByTimeAsync(299);
    expect(settled).toEqual(['first:UNAVAILABLE']);
    await jest.advanceTimersByTimeAsync(1);
    expect(settled).toEqual(['first:UNAVAILABLE', 'second:UNAVAILABLE']);
  });

  it('decides normally again once the kv answers, and reports only the series that were counted', async () => {
    const { limiter, metrics } = limiterOn(kv, onlyDefault(1, 'open'));
    const first = await limiter.open(USER, '10.0.0.1', 0).finish();
    const second = await limiter.open(USER, '10.0.0.1', 0).finish();
    expect(first.refusal).toBeUndefined();
    expect(first.headers).toEqual({ 'ratelimit-policy': '"default";q=1;w=60', ratelimit: '"default";r=0;t=60' });
    expect(second.refusal?.status).toBe(429);
    const text = await metrics.registry.metrics();
    expect(text).toContain('router_rate_limit_decisions_total{policy="default",outcome="allowed",service="router"} 1');
    expect(text).toContain('router_rate_limit_decisions_total{policy="default",outcome="refused",service="router"} 1');
    expect(text).not.toContain('outcome="error"');
  });
});

describe('RouterRateLimiter: policy changes', () => {
  it('spends the policies in force after an ADMIN change is folded in, not those it saw first', async () => {
    const { kv } = holdingKv();
    await kv.start();
    const { limiter, policies } = limiterOn(kv, onlyDefault(100, 'open'));
    await policies.start();
    try {
      expect((await limiter.open(USER, '10.0.0.1', 0).finish()).refusal).toBeUndefined();
      await policies.setPolicy({ ...onlyDefault(100, 'open')[0], name: 'default', limit: 1 });
      // Its budget already spent one of 100 (its GCRA state): a limit of 1 is exhausted.
      expect((await limiter.open(USER, '10.0.0.1', 0).finish()).refusal?.status).toBe(429);
      await policies.setPolicy({ ...onlyDefault(100, 'open')[0], disabled: true });
      const none = await limiter.open(USER, '10.0.0.1', 0).finish();
      expect(none.refusal).toBeUndefined();
      expect(none.headers).toEqual({});
    } finally {
      await policies.stop();
      await kv.stop();
    }
  });
});
