import { outboxEvent, type OutboxEvent } from '@chatgraph/kit/events';
import { rateLimitBalanceV1 } from '@chatgraph/schema';

/** Why a balance changed, as `balance.changed` says it. */
export type BalanceReason = 'opening' | 'debit' | 'grant';

/** The balance of `userId` is now `credits` (its `version`-th state). */
export function balanceChanged(userId: string, credits: number, version: number, reason: BalanceReason): OutboxEvent {
  const event = rateLimitBalanceV1.create('balance.changed', { userId }, { credits, version, reason });
  return outboxEvent(rateLimitBalanceV1.topic, userId, event);
}

/** The balance of `userId` is gone with the user. */
export function balanceDeleted(userId: string, version: number): OutboxEvent {
  const event = rateLimitBalanceV1.create('balance.deleted', { userId }, { version });
  return outboxEvent(rateLimitBalanceV1.topic, userId, event);
}
