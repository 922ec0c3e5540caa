import type { RequestContext } from '@chatgraph/kit';
import type { RateLimitService } from './service';

/** What rate-limit's resolvers receive: the kit's request context plus the service. */
export interface RateLimitContext extends RequestContext {
  rateLimit: RateLimitService;
}
