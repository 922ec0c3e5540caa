import type { KvStore } from '@chatgraph/kit/kv';
import { DEFAULT_POLICIES, SUBSCRIPTIONS_PER_USER_POLICY } from '@chatgraph/kit/limits';
import type { RouterConfig } from '../config';
import type { RouterRateLimitOptions } from '../server';

/**
 * The rate-limit options from configuration, on the kv the router shares with the other routers;
 * undefined when RATE_LIMITS is off. SUBSCRIPTIONS_PER_USER is the built-in cap on open
 * subscriptions (policy `subscriptions-per-user`), which an ADMIN may override at run time.
 */
export function rateLimitFromConfig(
  config: Pick<RouterConfig, 'RATE_LIMITS' | 'TRUSTED_PROXY_HOPS' | 'BAN_THRESHOLD' | 'BAN_BASE_SECONDS' | 'SUBSCRIPTIONS_PER_USER'>,
  kv: KvStore,
): RouterRateLimitOptions | undefined {
  if (!config.RATE_LIMITS) return undefined;
  const defaults = DEFAULT_POLICIES.map((p) =>
    p.name === SUBSCRIPTIONS_PER_USER_POLICY ? { ...p, limit: config.SUBSCRIPTIONS_PER_USER } : p,
  );
  return {
    kv,
    defaults,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    bans: { threshold: config.BAN_THRESHOLD, baseBanMs: config.BAN_BASE_SECONDS * 1000 },
  };
}
