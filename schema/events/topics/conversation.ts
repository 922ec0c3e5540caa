import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { array, boolean, nullable, number, object, oneOf, optional, string } from '../validation';

/**
 * `conversation.conversation.v1` and `conversation.message.v1`: facts about conversations and
 * their messages, produced by the conversation service. Both are keyed by `conversationId`, so
 * one conversation's events (including its messages') are consumed in the order they happened.
 */

const conversationSubject = object({ conversationId: idString, ownerId: idString });
const messageSubject = object({ conversationId: idString, messageId: idString, ownerId: idString });
const title = string({ maxLength: 200 });
const tags = array(string({ maxLength: 50 }), { maxItems: 20 });
/** Message text; empty while an assistant message is pending. */
const content = string({ minLength: 0, maxLength: 200_000 });

/** Roles and statuses of messages, as in the GraphQL schema. */
export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM'] as const;
export const MESSAGE_STATUSES = ['PENDING', 'STREAMING', 'COMPLETE', 'FAILED', 'ABORTED'] as const;

const conversationEvents = {
  /** A conversation exists (created, or forked from another). */
  'conversation.created': {
    subject: conversationSubject,
    payload: object({ title, model: optional(string({ maxLength: 200 })), assistantId: optional(idString) }),
  },
  /** Fields changed; only the changed fields are present. */
  'conversation.updated': {
    subject: conversationSubject,
    payload: object({ title: optional(title), pinned: optional(boolean()), archived: optional(boolean()), tags: optional(tags) }, { atLeastOneOf: ['title', 'pinned', 'archived', 'tags'] }),
  },
  /**
   * The conversation and all its messages are gone. (Payloads are never empty objects: document
   * stores drop empty objects, and an event without its payload fails its contract.)
   */
  'conversation.deleted': { subject: conversationSubject, payload: object({ messageCount: number({ integer: true, min: 0 }) }) },
};

const messageEvents = {
  /** A message was added to the tree. */
  'message.created': {
    subject: messageSubject,
    payload: object({ role: oneOf(MESSAGE_ROLES), parentId: nullable(idString), content, status: oneOf(MESSAGE_STATUSES) }),
  },
  /** An assistant message reached its final state. */
  'message.completed': {
    subject: messageSubject,
    payload: object({
      status: oneOf(MESSAGE_STATUSES),
      content,
      finishReason: nullable(string({ maxLength: 100 })),
      tokenCount: nullable(number({ integer: true, min: 0 })),
      model: nullable(string({ maxLength: 200 })),
    }),
  },
  /** The owner rated an assistant message (replacing an earlier rating). */
  'message.rated': {
    subject: messageSubject,
    payload: object({ rating: oneOf(['THUMBS_UP', 'THUMBS_DOWN'] as const), comment: nullable(string({ maxLength: 2000 })) }),
  },
  /** The message is gone; `reason` says why (for now always `conversation-deleted`). */
  'message.deleted': { subject: messageSubject, payload: object({ reason: oneOf(['conversation-deleted'] as const) }) },
};

/** The `conversation.conversation.v1` contract. */
export const conversationConversationV1 = defineTopic({ topic: 'conversation.conversation.v1', keyedBy: 'conversationId', events: conversationEvents });
/** The `conversation.message.v1` contract. */
export const conversationMessageV1 = defineTopic({ topic: 'conversation.message.v1', keyedBy: 'conversationId', events: messageEvents });

/** Any event of `conversation.conversation.v1`. */
export type ConversationEvent = EventsOf<typeof conversationEvents>;
/** Any event of `conversation.message.v1`. */
export type MessageEvent = EventsOf<typeof messageEvents>;
