import type { KvStore } from '@chatgraph/kit';
import type { RouterConfig } from '../config';
import type { RouterRateLimitOptions } from '../server';

/** The rate-limit options from configuration, on the kv the router shares with the other routers; undefined when RATE_LIMITS is off. */
export function rateLimitFromConfig(config: Pick<RouterConfig, 'RATE_LIMITS' | 'TRUSTED_PROXY_HOPS' | 'BAN_THRESHOLD' | 'BAN_BASE_SECONDS'>, kv: KvStore): RouterRateLimitOptions | undefined {
  if (!config.RATE_LIMITS) return undefined;
  return { kv, trustedProxyHops: config.TRUSTED_PROXY_HOPS, bans: { threshold: config.BAN_THRESHOLD, baseBanMs: config.BAN_BASE_SECONDS * 1000 } };
}
