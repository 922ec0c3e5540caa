import type { RequestContext } from '@chatgraph/kit';
import type { StreamingService } from './service';

/** What streaming's resolvers receive (over HTTP and graphql-ws alike): the kit's context plus the service. */
export interface StreamingContext extends RequestContext {
  streaming: StreamingService;
}
