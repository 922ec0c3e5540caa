import { DuplicateKeyError, type DocumentStore } from '@chatgraph/kit/store';
import { idempotentHandler, type EventBus, type EventHandler, type Subscription } from '@chatgraph/kit/events';
import { aiGenerationV1, type AiGenerationEvent } from '@chatgraph/schema';

/** Topics ai-gateway produces (through its outbox). */
export const PRODUCED_TOPICS = [aiGenerationV1.topic] as const;
/** Topics ai-gateway consumes. */
export const CONSUMED_TOPICS = [aiGenerationV1.topic] as const;
/** ai-gateway's consumer group. */
export const CONSUMER_GROUP = 'ai-gateway.generations';

export type GenerationRequested = Extract<AiGenerationEvent, { type: 'generation.requested' }>;

/**
 * Consumes `generation.requested`. Idempotent twice over: the event id is remembered
 * (`idempotentHandler`), and `accept` inserts the generation document unique on `streamId`, so a
 * redelivery (or a second request for the same stream) is a duplicate key and starts nothing.
 * The handler returns once the document is stored: the generation runs in the background, so
 * one slow answer never holds the partition.
 */
export function generationRequestHandler(store: DocumentStore, accept: (event: GenerationRequested) => Promise<void>): EventHandler {
  const handle = idempotentHandler(store, CONSUMER_GROUP, async (delivery) => {
    if (delivery.topic !== aiGenerationV1.topic) return;
    const event = aiGenerationV1.validate(delivery.event);
    if (event.type !== 'generation.requested') return;
    try {
      await accept(event);
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
  });
  // Outcomes (ai-gateway's own, and titles) are skipped before the idempotency bookkeeping, which
  // would otherwise write a processed marker for each of them for nothing.
  return async (delivery) => {
    if (delivery.event.type !== 'generation.requested') return;
    await handle(delivery);
  };
}

/** Subscribes the request consumer; `stop()` the subscription to drain it. */
export function subscribeGenerationRequests(bus: EventBus, handler: EventHandler): Promise<Subscription> {
  return bus.subscribe({ groupId: CONSUMER_GROUP, topics: CONSUMED_TOPICS, handler });
}
