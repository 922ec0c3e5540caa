import { GraphQLScalarType, Kind } from 'graphql';
import { codedError } from '@chatgraph/kit';
import type { IdentityContext } from './context';
import type { Resolvers } from './generated/resolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { IdentityContext };

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw codedError('BAD_USER_INPUT', 'DateTime must be an ISO-8601 string');
  return date;
}

/** ISO-8601 in UTC on the wire, `Date` inside. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : parseDate(value);
    return date.toISOString();
  },
  parseValue: parseDate,
  parseLiteral(ast) {
    return parseDate(ast.kind === Kind.STRING ? ast.value : null);
  },
});

/** Arguments -> service -> result. Every rule, including who may read what, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_, _args, ctx) => ctx.identity.me(ctx.principal, ctx.loaders),
    user: (_, args, ctx) => ctx.identity.user(ctx.principal, args.id, ctx.loaders),
    users: (_, args, ctx) => ctx.identity.users(ctx.principal, args),
  },
  Mutation: {
    register: (_, args, ctx) => ctx.identity.register(args.input),
    login: (_, args, ctx) => ctx.identity.login(args.input),
    refreshSession: (_, args, ctx) => ctx.identity.refreshSession(args.refreshToken),
    logout: (_, args, ctx) => ctx.identity.logout(args.refreshToken),
    logoutEverywhere: (_, _args, ctx) => ctx.identity.logoutEverywhere(ctx.principal),
    updateProfile: (_, args, ctx) => ctx.identity.updateProfile(ctx.principal, args.input),
    changePassword: (_, args, ctx) => ctx.identity.changePassword(ctx.principal, args.input),
    requestPasswordReset: (_, args, ctx) => ctx.identity.requestPasswordReset(args.email),
    resetPassword: (_, args, ctx) => ctx.identity.resetPassword(args.token, args.newPassword),
    verifyEmail: (_, args, ctx) => ctx.identity.verifyEmail(args.token),
    createApiKey: (_, args, ctx) => ctx.identity.createApiKey(ctx.principal, args.input),
    revokeApiKey: (_, args, ctx) => ctx.identity.revokeApiKey(ctx.principal, args.id),
    setUserRole: (_, args, ctx) => ctx.identity.setUserRole(ctx.principal, args.userId, args.role),
  },
  User: {
    __resolveReference: (ref, ctx) => ctx.identity.userReference(ctx.principal, ref.id, ctx.loaders),
    email: (user, _args, ctx) => ctx.identity.readPrivate(ctx.principal, user).email,
    emailVerified: (user, _args, ctx) => ctx.identity.readPrivate(ctx.principal, user).emailVerified,
    role: (user, _args, ctx) => ctx.identity.readPrivate(ctx.principal, user).role,
    apiKeys: (user, _args, ctx) => ctx.identity.apiKeysOf(ctx.principal, user),
  },
};
