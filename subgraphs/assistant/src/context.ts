import type { RequestContext } from '@chatgraph/kit';
import type { AssistantService } from './service';

/** What assistant's resolvers receive: the kit's request context plus the service. */
export interface AssistantContext extends RequestContext {
  assistants: AssistantService;
}
