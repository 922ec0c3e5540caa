import type { RequestContext } from '@chatgraph/kit';
import type { RateLimitPolicies } from './policies';
import type { RateLimitService } from './service';

/** What rate-limit's resolvers receive: the kit's request context plus the service. */
export interface RateLimitContext extends RequestContext {
  rateLimit: RateLimitService;
  /** The router's rate-limit policies and bans; absent without a kv shared with the routers. */
  limits?: RateLimitPolicies;
}
