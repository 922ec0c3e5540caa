import { codedError, requireAdmin, requireUser, type Principal } from '@chatgraph/kit';
import type { KvStore } from '@chatgraph/kit/kv';
import {
  budgetKey,
  listBans,
  listPolicies,
  liftBan,
  limitSubject,
  parsePolicy,
  policyMatches,
  setPolicy,
  type Ban,
  type LimitPolicy,
  type LimitsAdmin,
  type ListedPolicy,
} from '@chatgraph/kit/limits';
import type { DurablePolicies } from './policiesStore';

/** A user's standing against one policy. */
export interface LimitStatusView {
  policy: string;
  limit: number;
  windowMs: number;
  remaining: number;
  resetAt: Date;
}

/**
 * The ADMIN side of the router's rate limits (the kit's limits/ module on the kv the routers
 * share): policies, bans, and a user's status. Every rule is the kit's; this adds who may call.
 */
export class RateLimitPolicies {
  constructor(
    private readonly admin: LimitsAdmin,
    private readonly kv: KvStore,
    /** Where overrides are kept durably (the document store) before the kv gets them. */
    private readonly durable?: DurablePolicies,
  ) {}

  async policies(principal: Principal): Promise<ListedPolicy[]> {
    requireAdmin({ principal });
    return listPolicies(this.admin);
  }

  async setPolicy(principal: Principal, input: unknown): Promise<ListedPolicy> {
    requireAdmin({ principal });
    // Validated once here (bad input changes nothing), stored, then published to the kv.
    const parsed = parsePolicy(input);
    await this.durable?.save(parsed);
    const policy = await setPolicy(this.admin, parsed);
    return { ...policy, source: 'override' };
  }

  async bans(principal: Principal): Promise<Ban[]> {
    requireAdmin({ principal });
    return listBans(this.admin);
  }

  async liftBan(principal: Principal, banned: string): Promise<boolean> {
    requireAdmin({ principal });
    return liftBan(this.admin, banned);
  }

  /**
   * The policies that count this user's own requests (keyed by the user, signed in with a
   * session) and where the user stands, read without spending: a `peek` of each budget.
   */
  async userLimits(principal: Principal, userId: string): Promise<LimitStatusView[]> {
    const caller = requireUser({ principal });
    if (caller.userId !== userId && caller.role !== 'ADMIN')
      throw codedError('FORBIDDEN', "Only the user themself or an administrator may read a user's limits");
    const subject = limitSubject({ kind: 'user', userId, role: 'USER', via: 'jwt' }, '0.0.0.0');
    const own = (await listPolicies(this.admin)).filter(
      (p: LimitPolicy) =>
        p.key === 'principal' &&
        (policyMatches(p, 'operation', 'user', p.rootFields ?? [], p.operationNames?.[0]) ||
          policyMatches(p, 'subscribe', 'user', [], undefined) ||
          policyMatches(p, 'upload', 'user', [], undefined)),
    );
    return Promise.all(
      own.map(async (p) => {
        const key = budgetKey(p, subject);
        if (!key) throw new Error(`policy ${p.name} has no per-user key`);
        const peeked = await this.kv.rateLimit(key, { algorithm: 'gcra', limit: p.limit, windowMs: p.windowMs, peek: true });
        // A peek answers "after one more unit": one more is left than it says when that unit would fit.
        const remaining = peeked.allowed ? peeked.remaining + 1 : peeked.remaining;
        return {
          policy: p.name,
          limit: p.limit,
          windowMs: p.windowMs,
          remaining,
          resetAt: new Date(Math.max(Date.now(), peeked.resetAt - (peeked.allowed ? Math.ceil(p.windowMs / p.limit) : 0))),
        };
      }),
    );
  }
}
