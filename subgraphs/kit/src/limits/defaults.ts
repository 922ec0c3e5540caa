import type { LimitPolicy } from './policy';

const MINUTE = 60_000;

/** The name of the built-in cap on open subscriptions per user (scope `concurrent-subscriptions`). */
export const SUBSCRIPTIONS_PER_USER_POLICY = 'subscriptions-per-user';
const HOUR = 60 * MINUTE;

/**
 * The policies every router enforces unless ADMIN overrides them (by name). Anchored on
 * LibreChat's defaults — login 7 per 5 minutes, messages 40 per minute per user — except that
 * the login limit is per ACCOUNT here: per IP it stays high, so one shared address (a campus, a
 * NAT, LibreChat issue #3915) is never locked out as a whole by one person's typos or an attack.
 * Every algorithm is GCRA: bursts of `limit`, then one unit per `windowMs / limit`.
 */
export const DEFAULT_POLICIES: readonly LimitPolicy[] = [
  // Every operation of a signed-in caller (user or API key), per caller.
  {
    name: 'default',
    scope: 'operation',
    principals: ['user', 'apiKey'],
    key: 'principal',
    limit: 600,
    windowMs: MINUTE,
    cost: 'request',
    failMode: 'open',
  },
  // The same callers by static cost (fields × page sizes): an expensive query spends more.
  {
    name: 'cost',
    scope: 'operation',
    principals: ['user', 'apiKey'],
    key: 'principal',
    limit: 100_000,
    windowMs: MINUTE,
    cost: 'static',
    failMode: 'open',
  },
  // Anonymous callers, per IP address: generous, since many people can share one.
  {
    name: 'anonymous',
    scope: 'operation',
    principals: ['anonymous'],
    key: 'ip',
    limit: 300,
    windowMs: MINUTE,
    cost: 'request',
    failMode: 'open',
  },
  {
    name: 'login-account',
    scope: 'operation',
    rootFields: ['login'],
    principals: ['user', 'apiKey', 'anonymous'],
    key: 'account',
    limit: 7,
    windowMs: 5 * MINUTE,
    cost: 'request',
    failMode: 'closed',
  },
  {
    name: 'login-ip',
    scope: 'operation',
    rootFields: ['login'],
    principals: ['user', 'apiKey', 'anonymous'],
    key: 'ip',
    limit: 100,
    windowMs: 5 * MINUTE,
    cost: 'request',
    failMode: 'closed',
  },
  {
    name: 'reset-account',
    scope: 'operation',
    rootFields: ['requestPasswordReset'],
    principals: ['user', 'apiKey', 'anonymous'],
    key: 'account',
    limit: 5,
    windowMs: HOUR,
    cost: 'request',
    failMode: 'closed',
  },
  {
    name: 'reset-ip',
    scope: 'operation',
    rootFields: ['requestPasswordReset', 'resetPassword'],
    principals: ['user', 'apiKey', 'anonymous'],
    key: 'ip',
    limit: 60,
    windowMs: HOUR,
    cost: 'request',
    failMode: 'closed',
  },
  {
    name: 'register-ip',
    scope: 'operation',
    rootFields: ['register'],
    principals: ['user', 'apiKey', 'anonymous'],
    key: 'ip',
    limit: 20,
    windowMs: HOUR,
    cost: 'request',
    failMode: 'closed',
  },
  // Each message starts a generation: the per-user cap that keeps one user from starving others.
  {
    name: 'messages',
    scope: 'operation',
    rootFields: ['sendMessage', 'editMessage', 'regenerateMessage'],
    principals: ['user', 'apiKey'],
    key: 'principal',
    limit: 40,
    windowMs: MINUTE,
    cost: 'request',
    failMode: 'open',
  },
  {
    name: 'subscribe',
    scope: 'subscribe',
    principals: ['user', 'apiKey'],
    key: 'principal',
    limit: 120,
    windowMs: MINUTE,
    cost: 'request',
    failMode: 'open',
  },
  {
    name: 'subscribe-anonymous',
    scope: 'subscribe',
    principals: ['anonymous'],
    key: 'ip',
    limit: 60,
    windowMs: MINUTE,
    cost: 'request',
    failMode: 'open',
  },
  // Not a rate: the subscriptions one user may hold open at once on every router together (the
  // router's SUBSCRIPTIONS_PER_USER replaces this limit; windowMs is unused by this scope).
  {
    name: SUBSCRIPTIONS_PER_USER_POLICY,
    scope: 'concurrent-subscriptions',
    principals: ['user', 'apiKey'],
    key: 'principal',
    limit: 200,
    windowMs: MINUTE,
    cost: 'request',
    failMode: 'open',
  },
  // Request bodies (uploads included), in KiB per caller.
  {
    name: 'upload',
    scope: 'upload',
    principals: ['user', 'apiKey', 'anonymous'],
    key: 'principal',
    limit: 50 * 1024,
    windowMs: MINUTE,
    cost: 'kib',
    failMode: 'open',
  },
];
