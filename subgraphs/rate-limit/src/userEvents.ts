import type { Logger } from '@chatgraph/kit';
import { deleteWithOutbox, notDeleted, type EventBus, type EventDelivery, type Subscription } from '@chatgraph/kit/events';
import { identityUserV1 } from '@chatgraph/schema';
import { balanceDeleted } from './balanceEvents';
import type { Ledger } from './ledger';
import type { RateLimitCollections } from './store';

/** The consumer group that opens and removes balances with identity's accounts. */
export const USER_EVENTS_GROUP = 'rate-limit.users';

export interface UserEventsDeps {
  collections: RateLimitCollections;
  ledger: Ledger;
  logger: Logger;
  now: () => Date;
  eventsQueued: () => void;
}

/**
 * Applies `identity.user.v1`:
 * - `user.registered` opens the balance with STARTING_CREDITS (a user whose registration was
 *   never seen is opened at their first debit or grant instead);
 * - `user.deleted` removes the balance (a tombstone carrying `balance.deleted`, so conversation's
 *   read model forgets it) and the daily usage, and anonymises the audit log: entries stay, for
 *   the totals, with `userId` (and `actorId`, for grants the user made as an ADMIN) cleared. The
 *   user is remembered as deleted, so a generation completed afterwards opens no new balance.
 * Both are idempotent (an insert under a fixed id, conditional updates), so a redelivery changes nothing.
 */
export function userEventsHandler(deps: UserEventsDeps) {
  const { collections, logger } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== identityUserV1.topic) return;
    const event = identityUserV1.validate(delivery.event);
    const userId = event.subject.userId;
    if (event.type === 'user.registered') {
      await deps.ledger.openBalance(userId);
      return;
    }
    if (event.type !== 'user.deleted') return;
    await collections.deletedUsers.updateOne({ _id: userId }, { $setOnInsert: { deletedAt: deps.now() } }, { upsert: true });
    const balance = await collections.balances.findOne({ _id: userId, ...notDeleted });
    if (balance) {
      const removed = await collections.balances.updateOne(
        { _id: userId, version: balance.version, ...notDeleted },
        deleteWithOutbox([balanceDeleted(userId, balance.version + 1)], { $set: { version: balance.version + 1, updatedAt: deps.now() } }),
      );
      // A concurrent change moved the version: the redelivery after this throw deletes it.
      if (removed.modifiedCount === 0) throw new Error(`balance of ${userId} changed while deleting it; retrying`);
      deps.eventsQueued();
    }
    const usage = await collections.dailyUsage.deleteMany({ userId });
    const entries = await collections.ledger.updateMany({ userId }, { $set: { userId: null } });
    await collections.ledger.updateMany({ actorId: userId }, { $set: { actorId: null } });
    logger.info(
      { userId, usageRows: usage, ledgerEntries: entries.modifiedCount },
      'deleted account: balance and usage removed, audit log anonymised',
    );
  };
}

/** Subscribes the account consumer; `stop()` the subscription to drain it. */
export function subscribeUserEvents(bus: EventBus, handler: ReturnType<typeof userEventsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: USER_EVENTS_GROUP, topics: [identityUserV1.topic], handler });
}
