import type { RequestContext } from '@chatgraph/kit';
import type { ConversationService } from './service';

/** What conversation's resolvers receive: the kit's request context plus the service. */
export interface ConversationContext extends RequestContext {
  conversation: ConversationService;
}
