import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { count } from '../validation';

/**
 * `ratelimit.balance.v1`: users' credit balances, produced by rate-limit (through its outbox) and
 * keyed by `userId`, so one user's changes stay in order. Every event carries the whole balance
 * (not a delta) and a `version` that grows with each change, so a consumer keeps a read model by
 * storing the newest version it has seen; conversation refuses `sendMessage` with
 * PAYMENT_REQUIRED from such a read model (never by calling rate-limit).
 */

const userSubject = z.object({ userId: idString });
/** A balance is a 32-bit GraphQL `Int`; it may be negative (a generation is charged in full). */
const credits = z.number().int().min(-2_147_483_648).max(2_147_483_647);
const version = count(1);

const events = {
  /** The balance is now `credits` (after an opening, a generation's debit or a grant). */
  'balance.changed': {
    subject: userSubject,
    payload: z.object({ credits, version, reason: z.enum(['opening', 'debit', 'grant']) }),
  },
  /** The user was deleted: consumers forget the balance. */
  'balance.deleted': {
    subject: userSubject,
    payload: z.object({ version }),
  },
};

/** The `ratelimit.balance.v1` contract. */
export const rateLimitBalanceV1 = defineTopic({ topic: 'ratelimit.balance.v1', keyedBy: 'userId', events });

/** Any event of `ratelimit.balance.v1`, discriminated by `type`. */
export type RateLimitBalanceEvent = EventsOf<typeof events>;
