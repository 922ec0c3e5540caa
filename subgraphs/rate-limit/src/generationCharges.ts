import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { aiGenerationV1 } from '@chatgraph/schema';
import type { Ledger } from './ledger';
import type { ModelPrices } from './modelPrices';
import { generationCost, utcDay, type UnpricedRates } from './pricing';

/** The consumer group that debits generations. */
export const GENERATION_CHARGES_GROUP = 'rate-limit.generation-charges';

export interface GenerationChargesDeps {
  ledger: Ledger;
  prices: ModelPrices;
  unpriced: UnpricedRates;
  logger: Logger;
  /** Runs after each debit applied (metrics). */
  onDebited?: (credits: number) => void;
}

/**
 * Debits each `generation.completed` (stopped ones too: their tokens were spent) from its owner's
 * balance: the model's catalog prices × the event's token usage. Idempotent without the kit's
 * processed-events bookkeeping: the ledger entry's id is `debit:<event id>`, so a redelivered
 * event (or a retry after a failure half-way) finds its entry and finishes it instead of debiting
 * again (ledger.ts). Failed generations carry no usage and cost nothing; requests are skipped.
 */
export function generationChargesHandler(deps: GenerationChargesDeps) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== aiGenerationV1.topic || delivery.event.type !== 'generation.completed') return;
    const event = aiGenerationV1.validate(delivery.event);
    if (event.type !== 'generation.completed') return;
    const { usage, model } = event.payload;
    const price = await deps.prices.priceOf(model);
    const credits = generationCost(usage, price, deps.unpriced);
    const outcome = await deps.ledger.apply({
      _id: `debit:${event.id}`,
      userId: event.subject.ownerId,
      kind: 'DEBIT',
      credits: -credits,
      reason: `generation ${event.subject.messageId}`,
      eventId: event.id,
      model,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      usage: { day: utcDay(new Date(event.occurredAt)), model, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens },
    });
    if (outcome.state === 'void')
      deps.logger.info({ eventId: event.id, userId: event.subject.ownerId }, 'generation not charged: its user is deleted');
    else if (outcome.balance) deps.onDebited?.(credits);
  };
}

/** Subscribes the debit consumer; `stop()` the subscription to drain it. */
export function subscribeGenerationCharges(bus: EventBus, handler: ReturnType<typeof generationChargesHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: GENERATION_CHARGES_GROUP, topics: [aiGenerationV1.topic], handler });
}
