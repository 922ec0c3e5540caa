import type { RequestContext } from '@chatgraph/kit';
import type { AiGatewayService } from './service';

/** What ai-gateway's resolvers receive: the kit's request context plus the service. */
export interface AiGatewayContext extends RequestContext {
  aiGateway: AiGatewayService;
}
