import { Schema } from 'mongoose';
import { codedError, type Logger } from '@chatgraph/kit';
import { upsertIfNewer, type Collection, type CollectionSpec, type DocumentStore, type StoredDocument } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { rateLimitBalanceV1 } from '@chatgraph/schema';

/**
 * Conversation's read model of users' credit balances, fed by rate-limit's `ratelimit.balance.v1`
 * (never by a call to rate-limit), so `sendMessage`, `editMessage` and `regenerateMessage` are
 * refused with PAYMENT_REQUIRED before anything is written or any generation is requested when
 * the balance is at or below zero (BALANCE_ENFORCED).
 *
 * Staleness, accepted on purpose:
 * - A balance changes when rate-limit has consumed a generation's `generation.completed`; until
 *   this read model has the new value (normally well under a second later) turns are judged on
 *   the previous one. So a user with a few credits left can start several turns at once and end
 *   below zero; the next turn after the debits arrived is refused. Balances may go negative.
 * - A user this read model has no balance for yet (rate-limit has not consumed their
 *   registration, or was never deployed) is let through: refusing would lock every new user out
 *   for want of one event, and the starting balance is positive unless STARTING_CREDITS=0.
 * - A grant is effective for sending as soon as its `balance.changed` is consumed here.
 */

/** The consumer group that keeps the balance read model. */
export const CREDIT_BALANCES_GROUP = 'conversation.credit-balances';

/** One user's balance as conversation keeps it, `_id` = the user id. */
export interface CreditBalanceDoc extends StoredDocument {
  credits: number;
  /** rate-limit's version of the balance: an older event never replaces a newer one. */
  version: number;
  /** The user was deleted (kept so a late older event cannot bring the balance back). */
  deleted: boolean;
}

const creditBalanceSchema = new Schema<CreditBalanceDoc>(
  {
    _id: { type: String },
    credits: { type: Number, required: true },
    version: { type: Number, required: true },
    deleted: { type: Boolean, default: false },
  },
  { versionKey: false },
);

/** The read model's collection. */
export const creditBalancesSpec: CollectionSpec<CreditBalanceDoc> = { name: 'credit_balances', schema: creditBalanceSchema };

/** Refuses a user's turn when their balance is used up (see the module comment). */
export type CreditCheck = (userId: string) => Promise<void>;

/** The balances conversation has seen, and the check turns go through. */
export class CreditBalanceView {
  private readonly collection: Collection<CreditBalanceDoc>;

  constructor(store: DocumentStore) {
    this.collection = store.collection(creditBalancesSpec);
  }

  /** PAYMENT_REQUIRED when the user's known balance is at or below zero; anything else passes. */
  readonly check: CreditCheck = async (userId) => {
    const balance = await this.collection.findById(userId);
    if (balance && !balance.deleted && balance.credits <= 0) {
      throw codedError('PAYMENT_REQUIRED', 'Your credit balance is used up; ask an administrator for credits', {
        credits: balance.credits,
      });
    }
  };

  /** Stores `credits` as the user's balance unless a newer version is stored. Idempotent. */
  async apply(userId: string, fields: { credits: number; version: number; deleted: boolean }): Promise<boolean> {
    return upsertIfNewer(this.collection, userId, 'version', fields);
  }
}

/** The `ratelimit.balance.v1` consumer: keeps the newest balance of each user. */
export function creditBalancesHandler(view: CreditBalanceView, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== rateLimitBalanceV1.topic) return;
    const event = rateLimitBalanceV1.validate(delivery.event);
    const { userId } = event.subject;
    const fields =
      event.type === 'balance.changed'
        ? { credits: event.payload.credits, version: event.payload.version, deleted: false }
        : { credits: 0, version: event.payload.version, deleted: true };
    const applied = await view.apply(userId, fields);
    logger.debug({ userId, version: fields.version, applied }, applied ? 'credit balance updated' : 'older credit balance ignored');
  };
}

/** Subscribes the balance consumer; `stop()` the subscription to drain it. */
export function subscribeCreditBalances(bus: EventBus, handler: ReturnType<typeof creditBalancesHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: CREDIT_BALANCES_GROUP, topics: [rateLimitBalanceV1.topic], handler });
}
