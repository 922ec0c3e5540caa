import { codedError } from '@chatgraph/kit';
import type { Ban, ListedPolicy } from '@chatgraph/kit/limits';
import type { RateLimitContext } from './context';
import type { LimitStatusView, RateLimitPolicies } from './policies';

/** GraphQL enum values (UPPER_CASE) <-> the kit's policy words. */
const SCOPES = {
  OPERATION: 'operation',
  SUBSCRIBE: 'subscribe',
  UPLOAD: 'upload',
  CONCURRENT_SUBSCRIPTIONS: 'concurrent-subscriptions',
} as const;
const KINDS = { USER: 'user', API_KEY: 'apiKey', ANONYMOUS: 'anonymous' } as const;
const KEYS = { PRINCIPAL: 'principal', IP: 'ip', ACCOUNT: 'account' } as const;
const COSTS = { REQUEST: 'request', STATIC: 'static', KIB: 'kib' } as const;
const FAIL_MODES = { OPEN: 'open', CLOSED: 'closed' } as const;

function reverse<T extends Record<string, string>>(map: T): Record<T[keyof T], keyof T> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k])) as Record<T[keyof T], keyof T>;
}
const SCOPE_OUT = reverse(SCOPES);
const KIND_OUT = reverse(KINDS);
const KEY_OUT = reverse(KEYS);
const COST_OUT = reverse(COSTS);
const FAIL_OUT = reverse(FAIL_MODES);

/** Unknown values pass through unchanged, for the kit's parser to refuse with a coded error. */
function mapIn<T extends Record<string, string>>(map: T, value: string): string {
  return (map as Record<string, string>)[value] ?? value;
}

/** The input as the kit's `parsePolicy` reads it. */
export function policyInput(input: Record<string, unknown>): Record<string, unknown> {
  return {
    ...input,
    scope: mapIn(SCOPES, String(input.scope)),
    key: mapIn(KEYS, String(input.key)),
    cost: mapIn(COSTS, String(input.cost)),
    failMode: mapIn(FAIL_MODES, String(input.failMode)),
    principals: Array.isArray(input.principals) ? input.principals.map((p) => mapIn(KINDS, String(p))) : input.principals,
  };
}

export function policyOut(p: ListedPolicy) {
  return {
    name: p.name,
    scope: SCOPE_OUT[p.scope],
    rootFields: [...(p.rootFields ?? [])],
    operationNames: [...(p.operationNames ?? [])],
    principals: p.principals.map((k) => KIND_OUT[k]),
    key: KEY_OUT[p.key],
    limit: p.limit,
    windowMs: p.windowMs,
    cost: COST_OUT[p.cost],
    failMode: FAIL_OUT[p.failMode],
    disabled: p.disabled === true,
    source: p.source === 'override' ? 'OVERRIDE' : 'DEFAULT',
  };
}

function banOut(b: Ban) {
  return { principal: b.principal, reason: b.reason, since: new Date(b.since), until: new Date(b.until), strikes: b.strikes };
}

function limitsOf(ctx: RateLimitContext): RateLimitPolicies {
  if (!ctx.limits) throw codedError('UNAVAILABLE', 'Rate-limit administration needs the kv the routers share (KV_STORE)');
  return ctx.limits;
}

/** The resolvers of the rate-limit policy fields, merged into resolvers.ts. */
export const policyResolvers = {
  Query: {
    rateLimitPolicies: async (_: unknown, _args: unknown, ctx: RateLimitContext) =>
      (await limitsOf(ctx).policies(ctx.principal)).map(policyOut),
    rateLimitBans: async (_: unknown, _args: unknown, ctx: RateLimitContext) => (await limitsOf(ctx).bans(ctx.principal)).map(banOut),
  },
  Mutation: {
    setRateLimitPolicy: async (_: unknown, args: { input: Record<string, unknown> }, ctx: RateLimitContext) =>
      policyOut(await limitsOf(ctx).setPolicy(ctx.principal, policyInput(args.input))),
    liftRateLimitBan: (_: unknown, args: { principal: string }, ctx: RateLimitContext) =>
      limitsOf(ctx).liftBan(ctx.principal, args.principal),
  },
  User: {
    limits: (user: { id: string }, _args: unknown, ctx: RateLimitContext): Promise<LimitStatusView[]> =>
      limitsOf(ctx).userLimits(ctx.principal, user.id),
  },
};
