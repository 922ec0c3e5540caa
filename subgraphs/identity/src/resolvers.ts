import { GraphQLScalarType, Kind } from 'graphql';
import { codedError, type SubgraphOptions } from '@chatgraph/kit';
import type { IdentityContext } from './context';
import type {
  MutationChangePasswordArgs as ChangePasswordArgs,
  MutationCreateApiKeyArgs as CreateApiKeyArgs,
  MutationLoginArgs as LoginArgs,
  MutationLogoutArgs as LogoutArgs,
  MutationRefreshSessionArgs as RefreshSessionArgs,
  MutationRegisterArgs as RegisterArgs,
  MutationRequestPasswordResetArgs as RequestPasswordResetArgs,
  MutationResetPasswordArgs as ResetPasswordArgs,
  MutationRevokeApiKeyArgs as RevokeApiKeyArgs,
  MutationSetUserRoleArgs as SetUserRoleArgs,
  MutationUpdateProfileArgs as UpdateProfileArgs,
  MutationVerifyEmailArgs as VerifyEmailArgs,
  QueryUserArgs,
  QueryUsersArgs,
} from './generated/resolvers';
import type { UserView } from './users';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { IdentityContext };
type Ctx = IdentityContext;

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
export const resolvers: SubgraphOptions<IdentityContext>['resolvers'] = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_: unknown, _args: unknown, ctx: Ctx) => ctx.identity.me(ctx.principal, ctx.loaders),
    user: (_: unknown, args: QueryUserArgs, ctx: Ctx) => ctx.identity.user(ctx.principal, args.id, ctx.loaders),
    users: (_: unknown, args: QueryUsersArgs, ctx: Ctx) => ctx.identity.users(ctx.principal, args),
  },
  Mutation: {
    register: (_: unknown, args: RegisterArgs, ctx: Ctx) => ctx.identity.register(args.input),
    login: (_: unknown, args: LoginArgs, ctx: Ctx) => ctx.identity.login(args.input),
    refreshSession: (_: unknown, args: RefreshSessionArgs, ctx: Ctx) => ctx.identity.refreshSession(args.refreshToken),
    logout: (_: unknown, args: LogoutArgs, ctx: Ctx) => ctx.identity.logout(args.refreshToken),
    logoutEverywhere: (_: unknown, _args: unknown, ctx: Ctx) => ctx.identity.logoutEverywhere(ctx.principal),
    updateProfile: (_: unknown, args: UpdateProfileArgs, ctx: Ctx) => ctx.identity.updateProfile(ctx.principal, args.input),
    changePassword: (_: unknown, args: ChangePasswordArgs, ctx: Ctx) => ctx.identity.changePassword(ctx.principal, args.input),
    requestPasswordReset: (_: unknown, args: RequestPasswordResetArgs, ctx: Ctx) => ctx.identity.requestPasswordReset(args.email),
    resetPassword: (_: unknown, args: ResetPasswordArgs, ctx: Ctx) => ctx.identity.resetPassword(args.token, args.newPassword),
    verifyEmail: (_: unknown, args: VerifyEmailArgs, ctx: Ctx) => ctx.identity.verifyEmail(args.token),
    createApiKey: (_: unknown, args: CreateApiKeyArgs, ctx: Ctx) => ctx.identity.createApiKey(ctx.principal, args.input),
    revokeApiKey: (_: unknown, args: RevokeApiKeyArgs, ctx: Ctx) => ctx.identity.revokeApiKey(ctx.principal, args.id),
    setUserRole: (_: unknown, args: SetUserRoleArgs, ctx: Ctx) => ctx.identity.setUserRole(ctx.principal, args.userId, args.role),
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => ctx.identity.userReference(ctx.principal, ref.id, ctx.loaders),
    email: (user: UserView, _args: unknown, ctx: Ctx) => ctx.identity.readPrivate(ctx.principal, user).email,
    emailVerified: (user: UserView, _args: unknown, ctx: Ctx) => ctx.identity.readPrivate(ctx.principal, user).emailVerified,
    role: (user: UserView, _args: unknown, ctx: Ctx) => ctx.identity.readPrivate(ctx.principal, user).role,
    apiKeys: (user: UserView, _args: unknown, ctx: Ctx) => ctx.identity.apiKeysOf(ctx.principal, user),
  },
};
