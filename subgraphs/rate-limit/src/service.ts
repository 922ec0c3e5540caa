import { codedError, requireUser, type Principal } from '@chatgraph/kit';
import type { RateLimitCollections } from './store';

export interface RateLimitServiceDeps {
  collections: RateLimitCollections;
  /** Credits of a user rate-limit has not seen yet (STARTING_CREDITS). */
  startingCredits: number;
  now: () => Date;
}

/** A balance as the graph shows it. */
export interface BalanceView {
  credits: number;
  updatedAt: Date;
}

/**
 * rate-limit's rules behind one facade the resolvers call. Every method takes the caller's
 * principal and enforces who may see what; it knows nothing of GraphQL or HTTP.
 */
export class RateLimitService {
  constructor(private readonly deps: RateLimitServiceDeps) {}

  /** `User.balance`: the user themself or an ADMIN; a user never seen has the starting balance. */
  async balance(principal: Principal, userId: string): Promise<BalanceView> {
    const caller = requireUser({ principal });
    if (caller.userId !== userId && caller.role !== 'ADMIN') throw codedError('FORBIDDEN', "Only the user themself or an administrator may read a user's balance");
    const doc = await this.deps.collections.balances.findById(userId);
    return doc ? { credits: doc.credits, updatedAt: doc.updatedAt } : { credits: this.deps.startingCredits, updatedAt: this.deps.now() };
  }
}
