import { DateTimeScalar } from '@chatgraph/kit';
import { cursorExpired } from './changeCursor';
import type { FeedItem } from './changeLog';
import type { NotificationContext } from './context';
import type { Resolvers } from './generated/resolvers';
import type { NotificationDoc } from './store';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { NotificationContext };

/** A reference to another subgraph's entity: notification only knows its id. */
export interface EntityRef<T extends string> {
  __typename: T;
  id: string;
}

/** Arguments -> service -> result. Every rule, including whose notification it is, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    notifications: (_, args, ctx) => ctx.notifications.list(ctx.principal, args),
    unreadNotificationCount: (_, _args, ctx) => ctx.notifications.unreadCount(ctx.principal),
    notificationPreferences: (_, _args, ctx) => ctx.preferences.list(ctx.principal),
  },
  Mutation: {
    markNotificationsRead: (_, args, ctx) => ctx.notifications.markRead(ctx.principal, args.ids),
    markAllNotificationsRead: (_, _args, ctx) => ctx.notifications.markAllRead(ctx.principal),
    updateNotificationPreferences: (_, args, ctx) => ctx.preferences.update(ctx.principal, args.input.preferences),
  },
  Subscription: {
    myEvents: {
      // Refusals (sign-in, a malformed or expired `after`) are thrown here, before any event.
      subscribe: (_, args, ctx) => ctx.myEvents.follow(ctx.principal, args.after),
      // Changes were lost while subscribed: an error event, then the feed ends (the client refetches).
      resolve: (item: FeedItem) => {
        if ('expired' in item) throw cursorExpired();
        return item.change;
      },
    },
    notificationReceived: {
      // Refusals (sign-in, a bad or foreign `after`) are thrown here, before any event.
      subscribe: (_, args, ctx) => ctx.notifications.follow(ctx.principal, args.after),
      resolve: (doc: NotificationDoc) => doc,
    },
  },
  MyEvent: {
    // A deleted conversation resolves nowhere: null rather than asking conversation for it.
    conversation: (change) => (change.kind === 'CONVERSATION_DELETED' ? null : { __typename: 'Conversation', id: change.conversationId }),
    message: (change) => (change.messageId ? { __typename: 'Message', id: change.messageId } : null),
  },
  Notification: {
    // Owner-checked too: a reference to another user's notification resolves to null.
    __resolveReference: (ref, ctx) => ctx.notifications.byId(ctx.principal, ref.id),
    id: (doc) => doc._id,
    conversation: (doc) => (doc.conversationId ? { __typename: 'Conversation', id: doc.conversationId } : null),
    message: (doc) => (doc.messageId ? { __typename: 'Message', id: doc.messageId } : null),
    file: (doc) => (doc.fileId ? { __typename: 'File', id: doc.fileId } : null),
    assistant: (doc) => (doc.assistantId ? { __typename: 'Assistant', id: doc.assistantId } : null),
  },
};
