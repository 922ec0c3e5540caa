import type { RequestContext } from '@chatgraph/kit';
import type { SearchService } from './service';

/** What search's resolvers receive: the kit's context plus the service. */
export interface SearchContext extends RequestContext {
  search: SearchService;
}
