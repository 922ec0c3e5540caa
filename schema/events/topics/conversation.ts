import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { bounded, count, someOf, text } from '../validation';

/**
 * `conversation.conversation.v1` and `conversation.message.v1`: facts about conversations and
 * their messages, produced by the conversation service. Both are keyed by `conversationId`, so
 * one conversation's events (including its messages') are consumed in the order they happened.
 */

const conversationSubject = z.object({ conversationId: idString, ownerId: idString });
const messageSubject = z.object({ conversationId: idString, messageId: idString, ownerId: idString });
const title = text(200);
const tags = z.array(text(50)).max(20);
/** Message text; empty while an assistant message is pending. */
const content = bounded(0, 200_000);

/** Roles and statuses of messages, as in the GraphQL schema. */
export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM'] as const;
export const MESSAGE_STATUSES = ['PENDING', 'STREAMING', 'COMPLETE', 'FAILED', 'ABORTED'] as const;

const conversationEvents = {
  /** A conversation exists (created, or forked from another). */
  'conversation.created': {
    subject: conversationSubject,
    payload: z.object({ title, model: text(200).optional(), assistantId: idString.optional() }),
  },
  /** Fields changed; only the changed fields are present. */
  'conversation.updated': {
    subject: conversationSubject,
    payload: someOf({ title: title.optional(), pinned: z.boolean().optional(), archived: z.boolean().optional(), tags: tags.optional() }, [
      'title',
      'pinned',
      'archived',
      'tags',
    ]),
  },
  /**
   * The conversation and all its messages are gone. (Payloads are never empty objects: document
   * stores drop empty objects, and an event without its payload fails its contract.)
   */
  'conversation.deleted': { subject: conversationSubject, payload: z.object({ messageCount: count() }) },
};

const messageEvents = {
  /** A message was added to the tree. */
  'message.created': {
    subject: messageSubject,
    payload: z.object({ role: z.enum(MESSAGE_ROLES), parentId: idString.nullable(), content, status: z.enum(MESSAGE_STATUSES) }),
  },
  /** An assistant message reached its final state. */
  'message.completed': {
    subject: messageSubject,
    payload: z.object({
      status: z.enum(MESSAGE_STATUSES),
      content,
      finishReason: text(100).nullable(),
      tokenCount: count().nullable(),
      model: text(200).nullable(),
    }),
  },
  /** The owner rated an assistant message (replacing an earlier rating). */
  'message.rated': {
    subject: messageSubject,
    payload: z.object({ rating: z.enum(['THUMBS_UP', 'THUMBS_DOWN']), comment: text(2000).nullable() }),
  },
  /** The message is gone; `reason` says why (for now always `conversation-deleted`). */
  'message.deleted': { subject: messageSubject, payload: z.object({ reason: z.enum(['conversation-deleted']) }) },
};

/** The `conversation.conversation.v1` contract. */
export const conversationConversationV1 = defineTopic({
  topic: 'conversation.conversation.v1',
  keyedBy: 'conversationId',
  events: conversationEvents,
});
/** The `conversation.message.v1` contract. */
export const conversationMessageV1 = defineTopic({ topic: 'conversation.message.v1', keyedBy: 'conversationId', events: messageEvents });

/** Any event of `conversation.conversation.v1`. */
export type ConversationEvent = EventsOf<typeof conversationEvents>;
/** Any event of `conversation.message.v1`. */
export type MessageEvent = EventsOf<typeof messageEvents>;

/**
 * `conversation.share.v1`: read-only shares of conversations (`shareConversation`, `revokeShare`),
 * keyed by `conversationId` like the other conversation topics. file keeps a read model of it:
 * whoever holds an active share may download the files attached to its snapshot's messages.
 */
const shareSubject = z.object({ conversationId: idString, shareId: idString, ownerId: idString });

const shareEvents = {
  /** A snapshot was shared; `fileIds` are the files attached to its messages (each at most once). */
  'share.created': { subject: shareSubject, payload: z.object({ fileIds: z.array(idString).max(1000) }) },
  /** The share ended: neither its snapshot nor its files are readable through it any more. */
  'share.revoked': { subject: shareSubject, payload: z.object({ reason: z.enum(['revoked']) }) },
};

/** The `conversation.share.v1` contract. */
export const conversationShareV1 = defineTopic({ topic: 'conversation.share.v1', keyedBy: 'conversationId', events: shareEvents });

/** Any event of `conversation.share.v1`. */
export type ShareEvent = EventsOf<typeof shareEvents>;
