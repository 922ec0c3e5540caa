import type { Logger } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import {
  idempotentHandler,
  updateWithOutbox,
  type EventBus,
  type EventDelivery,
  type OutboxHint,
  type Subscription,
} from '@chatgraph/kit/events';
import { aiGenerationV1, conversationConversationV1, conversationMessageV1, type AiGenerationEvent } from '@chatgraph/schema';
import { conversationUpdated, messageCompleted } from './outboxEvents';
import type { ConversationCollections, MessageDoc } from './store';

/** Topics conversation produces (through its outbox). */
export const PRODUCED_TOPICS = [conversationConversationV1.topic, conversationMessageV1.topic, aiGenerationV1.topic] as const;
/** Topics conversation consumes. */
export const CONSUMED_TOPICS = [aiGenerationV1.topic] as const;
/** Conversation's consumer group. */
export const CONSUMER_GROUP = 'conversation.generation-results';

/** Only these are overwritten by a result: the first result to arrive is final. */
const OPEN_STATUSES = ['PENDING', 'STREAMING'];

type Outcome = Extract<AiGenerationEvent, { type: 'generation.completed' | 'generation.failed' }>;

/** The finish reason ai-gateway gives a generation its owner stopped. */
export const ABORTED_FINISH_REASON = 'aborted';

/** The fields a result sets on its assistant message. */
function completion(event: Outcome, current: MessageDoc, now: Date): Partial<MessageDoc> {
  if (event.type === 'generation.completed') {
    const { content, finishReason, model, usage, toolCalls, citations } = event.payload;
    const status = finishReason === ABORTED_FINISH_REASON ? 'ABORTED' : 'COMPLETE';
    return {
      content,
      status,
      finishReason,
      model,
      tokenCount: usage.completionTokens,
      updatedAt: now,
      ...(toolCalls ? { toolCalls } : {}),
      ...(citations ? { citations } : {}),
    };
  }
  const { content, finishReason, model, toolCalls } = event.payload;
  return {
    ...(toolCalls ? { toolCalls } : {}),
    content: content ?? current.content,
    status: 'FAILED',
    finishReason: finishReason ?? 'error',
    model: model ?? current.model,
    updatedAt: now,
  };
}

interface HandlerDeps {
  store: DocumentStore;
  collections: ConversationCollections;
  logger: Logger;
  now: () => Date;
  /** Wakes the outbox relay; the hint names the document written, so the relay needs no scan. */
  eventsQueued: (...written: OutboxHint[]) => void;
  /** Runs after an event was handled (or found handled): marks outcomes applied (outcomeApplied.ts). */
  afterHandled?: (delivery: EventDelivery) => Promise<void>;
}

/**
 * Applies ai-gateway's facts about generations. Idempotent on two levels: the event id is
 * remembered (`idempotentHandler`) and every update is conditional on the state it moves from,
 * so a duplicate or a late event changes nothing:
 * - `generation.started`: PENDING -> STREAMING (a result that arrived first wins).
 * - `generation.completed|failed`: only a message still PENDING/STREAMING is completed, in one
 *   write with the event's marker and `message.completed`; a late second outcome loses to the
 *   first, and a result for a deleted message (tombstone or gone) is dropped.
 * - `title.generated`: replaces a title only while it is still `auto` (the user never chose one).
 */
export function generationResultHandler(deps: HandlerDeps) {
  const { collections, logger, now } = deps;
  const handle = idempotentHandler(deps.store, CONSUMER_GROUP, async (delivery, once) => {
    if (delivery.topic !== aiGenerationV1.topic) return;
    const event = aiGenerationV1.validate(delivery.event);
    const { messageId, conversationId } = event.subject;
    switch (event.type) {
      case 'generation.requested':
        return;
      case 'generation.started':
        await collections.messages.updateOne(
          { _id: messageId, conversationId, status: 'PENDING', _deleted: { $ne: true } },
          { $set: { status: 'STREAMING', updatedAt: now() } },
        );
        return;
      case 'title.generated': {
        const title = event.payload.title.trim().slice(0, 200);
        if (!title) return;
        const conversation = await collections.conversations.findOne({ _id: conversationId, titleSource: 'auto', _deleted: { $ne: true } });
        if (!conversation) return;
        const update = updateWithOutbox({ $set: { title, titleSource: 'generated', updatedAt: now() } }, [
          conversationUpdated(conversation, { title }),
        ]);
        const result = await collections.conversations.updateOne(
          { _id: conversationId, titleSource: 'auto', _deleted: { $ne: true } },
          update,
        );
        if (result.modifiedCount > 0) deps.eventsQueued();
        return;
      }
      case 'generation.completed':
      case 'generation.failed':
        break;
    }
    const current = await collections.messages.findOne({ _id: messageId, conversationId, _deleted: { $ne: true } });
    if (!current || !OPEN_STATUSES.includes(current.status)) {
      logger.debug(
        { messageId, eventId: event.id, status: current?.status ?? 'missing' },
        'generation result ignored: message gone or already final',
      );
      return;
    }
    const fields = completion(event, current, now());
    const update = updateWithOutbox({ $set: fields }, [messageCompleted({ ...current, ...fields })]);
    const applied = await once.updateOnce(
      collections.messages,
      { _id: messageId, conversationId, status: { $in: OPEN_STATUSES }, _deleted: { $ne: true } },
      update,
    );
    if (!applied) return;
    // The message is final now and carries the event's marker: a redelivery finds it final and
    // changes nothing, so the separate processed marker (a second durable write) is not needed.
    once.recordedInDocument();
    deps.eventsQueued({ collection: collections.messages.name, id: messageId });
  });
  // Requests are ai-gateway's to act on: skipped before the idempotency bookkeeping, which would
  // otherwise write a processed marker per generation for nothing.
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.event.type === 'generation.requested') return;
    await handle(delivery);
    await deps.afterHandled?.(delivery);
  };
}

/**
 * Results of different conversations applied at once per partition (each conversation's in
 * order). Applying one waits for a durable write: one at a time, a partition applied one result
 * per commit; side by side, the store's group commit makes one commit carry many.
 */
export const RESULTS_IN_FLIGHT_PER_PARTITION = 32;

/** Subscribes the generation-result consumer; `stop()` the subscription to drain it. */
export function subscribeGenerationResults(bus: EventBus, handler: ReturnType<typeof generationResultHandler>): Promise<Subscription> {
  return bus.subscribe({
    groupId: CONSUMER_GROUP,
    topics: CONSUMED_TOPICS,
    handler,
    maxInFlightPerPartition: RESULTS_IN_FLIGHT_PER_PARTITION,
  });
}
