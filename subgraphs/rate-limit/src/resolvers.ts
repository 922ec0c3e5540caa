import { DateTimeScalar } from '@chatgraph/kit';
import type { RateLimitContext } from './context';
import type { Resolvers } from './generated/resolvers';
import { policyResolvers } from './policiesResolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { RateLimitContext };

/** A reference to identity's User: rate-limit keys everything by the id. */
export interface UserRef {
  __typename: 'User';
  id: string;
}

/** Arguments -> service -> result. Every rule, including who may read what, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    usageTotals: (_, args, ctx) => ctx.rateLimit.usageTotals(ctx.principal, args.from, args.to),
    creditLedger: (_, args, ctx) => ctx.rateLimit.creditLedger(ctx.principal, args.userId, args),
    ...policyResolvers.Query,
  },
  Mutation: {
    grantCredits: (_, args, ctx) => ctx.rateLimit.grantCredits(ctx.principal, args.userId, args.credits, args.reason),
    ...policyResolvers.Mutation,
  },
  // The reference itself carries nothing: each field checks that the caller is the user or an ADMIN.
  User: {
    __resolveReference: (ref): UserRef => ({ __typename: 'User', id: ref.id }),
    balance: (user, _args, ctx) => ctx.rateLimit.balance(ctx.principal, user.id),
    usage: (user, args, ctx) => ctx.rateLimit.userUsage(ctx.principal, user.id, args.from, args.to),
    ...policyResolvers.User,
  },
  CreditLedgerEntry: {
    id: (entry) => entry._id,
    createdAt: (entry) => entry.at,
  },
};
