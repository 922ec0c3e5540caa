import { codedError, newId, requireAdmin, requireUser, type Principal } from '@chatgraph/kit';
import { paginate, type Connection, type PageRequest } from '@chatgraph/kit/store';
import { BALANCE_MAX, type Ledger } from './ledger';
import { UsageReads, usageRange, type UsageSummaryView, type UsageTotalsView } from './usage';
import type { LedgerEntryDoc, RateLimitCollections } from './store';

/** Largest grant: 1,000,000,000 credits ($1,000). */
export const MAX_GRANT_CREDITS = 1_000_000_000;
const MAX_REASON = 500;
const MAX_ID = 64;

export interface RateLimitServiceDeps {
  collections: RateLimitCollections;
  ledger: Ledger;
  /** Credits of a user rate-limit has not opened a balance for yet (STARTING_CREDITS). */
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
/** A page of the audit log as resolvers return it (`totalCount` is counted only when selected). */
export type CreditLedgerPage = Connection<LedgerEntryDoc>;

export class RateLimitService {
  private readonly usage: UsageReads;

  constructor(private readonly deps: RateLimitServiceDeps) {
    this.usage = new UsageReads(deps.collections);
  }

  /** `User.balance`: the user themself or an ADMIN; a user not opened yet shows the starting balance. */
  async balance(principal: Principal, userId: string): Promise<BalanceView> {
    selfOrAdmin(principal, userId, 'balance');
    const doc = await this.deps.collections.balances.findOne({ _id: userId, _deleted: { $ne: true } });
    return doc ? { credits: doc.credits, updatedAt: doc.updatedAt } : { credits: this.deps.startingCredits, updatedAt: this.deps.now() };
  }

  /** `User.usage(from, to)`: the user themself or an ADMIN. */
  userUsage(
    principal: Principal,
    userId: string,
    from: Date | string | null | undefined,
    to: Date | string | null | undefined,
  ): Promise<UsageSummaryView> {
    selfOrAdmin(principal, userId, 'usage');
    return this.usage.ofUser(userId, usageRange(from, to, this.deps.now()));
  }

  /** `usageTotals(from, to)`: ADMIN only. */
  usageTotals(
    principal: Principal,
    from: Date | string | null | undefined,
    to: Date | string | null | undefined,
  ): Promise<UsageTotalsView> {
    requireAdmin({ principal });
    return this.usage.totals(usageRange(from, to, this.deps.now()));
  }

  /**
   * `grantCredits`: ADMIN only; 1 to 1,000,000,000 credits with a reason, to a user rate-limit
   * knows (registered, or charged before). Recorded in the audit log with the granting ADMIN.
   */
  async grantCredits(principal: Principal, userId: string, credits: number, reason: string): Promise<BalanceView> {
    const admin = requireAdmin({ principal });
    if (!userId || userId.length > MAX_ID) throw codedError('BAD_USER_INPUT', 'userId is not a user id', { field: 'userId' });
    if (!Number.isInteger(credits) || credits < 1 || credits > MAX_GRANT_CREDITS) {
      throw codedError('BAD_USER_INPUT', `credits must be a whole number from 1 to ${MAX_GRANT_CREDITS}`, { field: 'credits' });
    }
    const why = reason.trim();
    if (why.length === 0 || why.length > MAX_REASON)
      throw codedError('BAD_USER_INPUT', `reason must be 1 to ${MAX_REASON} characters`, { field: 'reason' });
    const balance = await this.deps.collections.balances.findOne({ _id: userId, _deleted: { $ne: true } });
    if (!balance) throw codedError('NOT_FOUND', 'No such user', { field: 'userId' });
    // Checked before anything is written (the ledger checks again against a concurrent change).
    if (balance.credits + credits > BALANCE_MAX)
      throw codedError('BAD_USER_INPUT', `The balance would exceed ${BALANCE_MAX} credits`, { field: 'credits' });
    const outcome = await this.deps.ledger.apply({
      _id: `grant:${newId()}`,
      userId,
      kind: 'GRANT',
      credits,
      reason: why,
      actorId: admin.userId,
    });
    if (outcome.state === 'void') throw codedError('NOT_FOUND', 'No such user', { field: 'userId' });
    if (outcome.balance) return outcome.balance;
    const after = await this.deps.collections.balances.findById(userId);
    return after ? { credits: after.credits, updatedAt: after.updatedAt } : { credits: 0, updatedAt: this.deps.now() };
  }

  /** `creditLedger`: ADMIN only; the audit log, newest first, optionally of one user. */
  async creditLedger(principal: Principal, userId: string | null | undefined, page: PageRequest): Promise<Connection<LedgerEntryDoc>> {
    requireAdmin({ principal });
    const filter = { state: 'applied', ...(userId ? { userId } : {}) };
    return paginate(this.deps.collections.ledger, filter, page, { sortField: 'at', direction: -1, defaultSize: 20, maxSize: 100 });
  }
}

/** The user themself or an ADMIN, else UNAUTHENTICATED/FORBIDDEN. */
function selfOrAdmin(principal: Principal, userId: string, what: string): void {
  const caller = requireUser({ principal });
  if (caller.userId !== userId && caller.role !== 'ADMIN')
    throw codedError('FORBIDDEN', `Only the user themself or an administrator may read a user's ${what}`);
}
