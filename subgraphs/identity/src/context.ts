import type { RequestContext } from '@chatgraph/kit';
import type { IdentityService } from './service';

/** What identity's resolvers receive: the kit's request context plus the service. */
export interface IdentityContext extends RequestContext {
  identity: IdentityService;
}
