import { DateTimeScalar } from '@chatgraph/kit';
import type { RateLimitContext } from './context';
import type { Resolvers } from './generated/resolvers';

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
  User: {
    __resolveReference: (ref): UserRef => ({ __typename: 'User', id: ref.id }),
    balance: (user, _args, ctx) => ctx.rateLimit.balance(ctx.principal, user.id),
  },
};
