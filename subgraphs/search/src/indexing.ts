import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import type { SearchIndex } from '@chatgraph/kit/search';
import { conversationConversationV1, conversationMessageV1, fileFileV1, identityUserV1 } from '@chatgraph/schema';
import { DOC_KINDS } from './definition';
import { embedForIndexing } from './embedForIndexing';
import type { Embedder } from './embedding';
import { applyConversationEvent } from './conversationIndexing';
import { applyFileEvent } from './fileIndexing';

/** The consumer group that keeps the index in step with conversation's messages, file's chunks and identity's accounts. */
export const INDEXING_GROUP = 'search.indexing';

/**
 * Applies conversation's message events and identity's account deletions to the index:
 * - `message.created` of a COMPLETE message (a user's message is final when created) and
 *   `message.completed` with status COMPLETE (an assistant's finished answer) index its content
 *   and its embedding (the model recorded with it) under its owner; pending, streaming, failed and aborted text is never indexed;
 * - `message.deleted` removes it. Conversation deletes each message with its own
 *   `message.deleted` (same topic, keyed by conversation like the indexing events), so a deleted
 *   conversation's messages leave the index in order after they entered it;
 * - `conversation.*` index, change and remove the conversation's title and tags (conversationIndexing.ts);
 * - `user.deleted` removes every document of the user;
 * - file's `file.chunked` and `file.deleted` index and remove a file's chunks (fileIndexing.ts).
 * A document's embedding is computed with it; when the embedder cannot answer, the document is
 * indexed by its words and marked `(pending)` for the re-embedding pass (embedForIndexing.ts).
 * Every effect is an upsert of absolute values or a delete by id, so a redelivered event
 * changes nothing more: the consumer is idempotent without remembering event ids.
 */
export function indexingHandler(deps: { index: SearchIndex; embedder: Embedder; logger: Logger }) {
  const { index, logger } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic === identityUserV1.topic) {
      const event = identityUserV1.validate(delivery.event);
      if (event.type !== 'user.deleted') return;
      const removed = await index.deleteByOwner(event.subject.userId);
      logger.info({ userId: event.subject.userId, removed }, 'deleted account: its documents left the index');
      return;
    }
    if (delivery.topic === fileFileV1.topic) {
      await applyFileEvent(deps, delivery.event);
      return;
    }
    if (delivery.topic === conversationConversationV1.topic) {
      await applyConversationEvent(deps, delivery.event);
      return;
    }
    if (delivery.topic !== conversationMessageV1.topic) return;
    const event = conversationMessageV1.validate(delivery.event);
    if (event.type === 'message.deleted') {
      await index.delete([event.subject.messageId]);
      return;
    }
    const finished = (event.type === 'message.created' || event.type === 'message.completed') && event.payload.status === 'COMPLETE';
    if (!finished) return;
    const content = event.payload.content;
    // An empty answer has nothing to find (and a document without text is refused by the port).
    if (content.trim() === '') return;
    // `message.completed` is an assistant's answer by definition; only `message.created` says the role.
    const role = event.type === 'message.created' ? event.payload.role : 'ASSISTANT';
    const {
      model,
      vectors: [vector],
    } = await embedForIndexing(deps, [content]);
    const keywords = { conversationId: event.subject.conversationId, role, embeddingModel: model };
    await index.upsert([
      {
        id: event.subject.messageId,
        ownerId: event.subject.ownerId,
        kind: DOC_KINDS.message,
        text: { content },
        keywords,
        // A text with nothing to embed is still found by its words.
        ...(vector ? { vector } : {}),
        createdAt: new Date(event.occurredAt),
      },
    ]);
  };
}

/** The topics search indexes from (the live consumer's, and `reindex --user`'s replay). */
export const INDEXING_TOPICS = [conversationConversationV1.topic, conversationMessageV1.topic, fileFileV1.topic, identityUserV1.topic];

/** Subscribes the indexing consumer; `stop()` the subscription to drain it. */
export function subscribeIndexing(bus: EventBus, handler: ReturnType<typeof indexingHandler>): Promise<Subscription> {
  return bus.subscribe({
    groupId: INDEXING_GROUP,
    topics: INDEXING_TOPICS,
    handler,
  });
}
