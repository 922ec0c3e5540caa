import type { RequestContext } from '@chatgraph/kit';
import type { MyEventsService } from './myEvents';
import type { PreferenceService } from './preferences';
import type { NotificationService } from './service';

/** What notification's resolvers receive: the kit's request context plus the service. */
export interface NotificationContext extends RequestContext {
  notifications: NotificationService;
  myEvents: MyEventsService;
  preferences: PreferenceService;
}
