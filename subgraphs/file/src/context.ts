import type { RequestContext } from '@chatgraph/kit';
import type { FileService } from './service';

/** What file's resolvers receive: the kit's request context plus the service. */
export interface FileContext extends RequestContext {
  files: FileService;
}
