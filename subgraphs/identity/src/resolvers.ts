import { DateTimeScalar } from '@chatgraph/kit';
import type { IdentityContext } from './context';
import type { ApiKeyScope, Resolvers } from './generated/resolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { IdentityContext };

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
    login: (_, args, ctx) => ctx.identity.login(args.input, ctx.client),
    refreshSession: (_, args, ctx) => ctx.identity.refreshSession(args.refreshToken),
    logout: (_, args, ctx) => ctx.identity.logout(args.refreshToken),
    logoutEverywhere: (_, _args, ctx) => ctx.identity.logoutEverywhere(ctx.principal),
    updateProfile: (_, args, ctx) => ctx.identity.updateProfile(ctx.principal, args.input),
    changePassword: (_, args, ctx) => ctx.identity.changePassword(ctx.principal, args.input),
    requestPasswordReset: (_, args, ctx) => ctx.identity.requestPasswordReset(args.email),
    resetPassword: (_, args, ctx) => ctx.identity.resetPassword(args.token, args.newPassword),
    verifyEmail: (_, args, ctx) => ctx.identity.verifyEmail(args.token),
    // The enum's values are the stored scopes upper-cased.
    createApiKey: (_, args, ctx) =>
      ctx.identity.createApiKey(ctx.principal, { ...args.input, scopes: args.input.scopes?.map((scope) => scope.toLowerCase()) }),
    revokeApiKey: (_, args, ctx) => ctx.identity.revokeApiKey(ctx.principal, args.id),
    setUserRole: (_, args, ctx) => ctx.identity.setUserRole(ctx.principal, args.userId, args.role),
    disableUser: (_, args, ctx) => ctx.identity.disableUser(ctx.principal, args.id),
    enableUser: (_, args, ctx) => ctx.identity.enableUser(ctx.principal, args.id),
    deleteUser: (_, args, ctx) => ctx.identity.deleteUser(ctx.principal, args.id),
  },
  RevokeApiKeyPayload: {
    user: (payload, _args, ctx) => ctx.identity.userReference(ctx.principal, payload.userId, ctx.loaders),
  },
  User: {
    __resolveReference: (ref, ctx) => ctx.identity.userReference(ctx.principal, ref.id, ctx.loaders),
    email: (user, _args, ctx) => ctx.identity.readPrivate(ctx.principal, user).email,
    emailVerified: (user, _args, ctx) => ctx.identity.readPrivate(ctx.principal, user).emailVerified,
    role: (user, _args, ctx) => ctx.identity.readPrivate(ctx.principal, user).role,
    apiKeys: (user, _args, ctx) => ctx.identity.apiKeysOf(ctx.principal, user),
  },
  ApiKey: {
    scopes: (key) => key.scopes.map((scope) => scope.toUpperCase() as ApiKeyScope),
  },
};
