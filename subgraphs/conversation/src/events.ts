import { idempotentHandler, updateWithOutbox, type DocumentStore, type EventBus, type Logger, type Subscription } from '@chatgraph/kit';
import { aiGenerationV1, conversationConversationV1, conversationMessageV1, type AiGenerationEvent } from '@chatgraph/schema';
import { messageCompleted } from './outboxEvents';
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

/** The fields a result sets on its assistant message. */
function completion(event: Outcome, current: MessageDoc, now: Date): Partial<MessageDoc> {
  if (event.type === 'generation.completed') {
    const { content, finishReason, model, usage } = event.payload;
    return { content, status: 'COMPLETE', finishReason, model, tokenCount: usage.completionTokens, updatedAt: now };
  }
  const { content, finishReason, model } = event.payload;
  return { content: content ?? current.content, status: 'FAILED', finishReason: finishReason ?? 'error', model: model ?? current.model, updatedAt: now };
}

/**
 * Completes assistant messages from `ai.generation.completed|failed`. Idempotent on two levels:
 * the event id is remembered (`idempotentHandler`) and the update itself only applies to a message
 * still PENDING/STREAMING, in one write with the event's marker and `message.completed`. So a
 * duplicate changes nothing, a late second outcome (a `failed` after a `completed`, in any order)
 * loses to the first, and a result for a message deleted meanwhile (a tombstone, or already gone)
 * matches no document and is dropped: there is nothing left to complete.
 */
export function generationResultHandler(deps: { store: DocumentStore; collections: ConversationCollections; logger: Logger; now: () => Date; eventsQueued: () => void }) {
  const { collections, logger, now } = deps;
  return idempotentHandler(deps.store, CONSUMER_GROUP, async (delivery, once) => {
    if (delivery.topic !== aiGenerationV1.topic) return;
    const event = aiGenerationV1.validate(delivery.event);
    if (event.type !== 'generation.completed' && event.type !== 'generation.failed') return;
    const { messageId, conversationId } = event.subject;
    const current = await collections.messages.findOne({ _id: messageId, conversationId, _deleted: { $ne: true } });
    if (!current || !OPEN_STATUSES.includes(current.status)) {
      logger.debug({ messageId, eventId: event.id, status: current?.status ?? 'missing' }, 'generation result ignored: message gone or already final');
      return;
    }
    const fields = completion(event, current, now());
    const update = updateWithOutbox({ $set: fields }, [messageCompleted({ ...current, ...fields })]);
    const applied = await once.updateOnce(collections.messages, { _id: messageId, conversationId, status: { $in: OPEN_STATUSES }, _deleted: { $ne: true } }, update);
    if (applied) deps.eventsQueued();
  });
}

/** Subscribes the generation-result consumer; `stop()` the subscription to drain it. */
export function subscribeGenerationResults(bus: EventBus, handler: ReturnType<typeof generationResultHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: CONSUMER_GROUP, topics: CONSUMED_TOPICS, handler });
}
