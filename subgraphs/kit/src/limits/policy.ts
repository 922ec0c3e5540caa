import { codedError } from '../errors';

/**
 * Rate-limit policies: what the router enforces before any subgraph is called. A policy names
 * which requests it counts (scope, root fields or operation names, principal kinds), whose budget
 * they spend (the key), how much each spends (the cost) and what to do when the kv is down.
 */

/**
 * `operation`: queries and mutations (HTTP and graphql-ws); `subscribe`: starting a subscription;
 * `upload`: request bytes; `concurrent-subscriptions`: not a rate but a cap, the subscriptions one
 * user may hold open at once over every router (`limit`; `windowMs` is not used, the router's
 * lease period decides how soon a dead router's subscriptions stop counting).
 */
export type LimitScope = 'operation' | 'subscribe' | 'upload' | 'concurrent-subscriptions';

/** Who is calling: a signed-in user (access token), an API key, or nobody (keyed by IP address). */
export type PrincipalKind = 'user' | 'apiKey' | 'anonymous';

/**
 * Whose budget is spent: `principal` (the user, the API key, or the IP address of an anonymous
 * caller), `ip` (the client address, whoever calls), `account` (the e-mail address the operation
 * names, e.g. `login(input: { email })`: per-account limits that a shared IP cannot exhaust).
 */
export type LimitKeyKind = 'principal' | 'ip' | 'account';

/** What one request spends: `request` 1 per matching root field, `static` the router's static cost, `kib` body KiB. */
export type LimitCost = 'request' | 'static' | 'kib';

/** When the kv cannot decide: `open` lets the request through, `closed` refuses it (UNAVAILABLE, 503). */
export type FailMode = 'open' | 'closed';

export interface LimitPolicy {
  /** Unique name, shown in `RateLimit-Policy` headers: lowercase letters, digits and `-`. */
  name: string;
  scope: LimitScope;
  /** Root fields it counts (`sendMessage`); with `operationNames`, empty or absent = every operation of the scope. */
  rootFields?: readonly string[];
  /** Operation names it counts (`SendMessage`): clients choose these, so root fields are the safer match. */
  operationNames?: readonly string[];
  principals: readonly PrincipalKind[];
  key: LimitKeyKind;
  /** Units (see `cost`) allowed per window, in bursts of up to `limit` (GCRA). */
  limit: number;
  windowMs: number;
  cost: LimitCost;
  failMode: FailMode;
  /** A disabled policy is listed but not enforced (how ADMIN turns a default off). */
  disabled?: boolean;
}

const NAME = /^[a-z][a-z0-9-]{0,47}$/;
const FIELD = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
const SCOPES: readonly LimitScope[] = ['operation', 'subscribe', 'upload', 'concurrent-subscriptions'];
const KINDS: readonly PrincipalKind[] = ['user', 'apiKey', 'anonymous'];
const KEYS: readonly LimitKeyKind[] = ['principal', 'ip', 'account'];
const COSTS: readonly LimitCost[] = ['request', 'static', 'kib'];
const FAIL_MODES: readonly FailMode[] = ['open', 'closed'];
const MAX_WINDOW_MS = 7 * 86_400_000;

function bad(field: string, message: string): never {
  throw codedError('BAD_USER_INPUT', message, { field });
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) bad(field, `${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function names(field: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > 50 || !value.every((v) => typeof v === 'string' && FIELD.test(v))) {
    bad(field, `${field} must be at most 50 GraphQL names`);
  }
  return [...new Set(value as string[])];
}

/**
 * A cap on open subscriptions counts one user's subscriptions, whatever they subscribe to: only
 * signed-in callers (user or API key, both counted for the user) keyed by that user, one per
 * subscription, with nothing to match on, failing open. Several enabled ones: the lowest applies.
 */
function checkConcurrent(
  principals: readonly PrincipalKind[],
  key: LimitKeyKind,
  cost: LimitCost,
  failMode: FailMode,
  rootFields: readonly string[] | undefined,
  operationNames: readonly string[] | undefined,
): void {
  if (principals.includes('anonymous'))
    bad(
      'principals',
      'A concurrent-subscriptions policy applies to user and apiKey callers only (an anonymous caller has no user to count)',
    );
  if (key !== 'principal') bad('key', 'A concurrent-subscriptions policy is keyed by principal (the user)');
  if (cost !== 'request') bad('cost', 'A concurrent-subscriptions policy counts one per open subscription (cost request)');
  // The shared count lets a subscription through when the kv fails (the per-router cap still holds).
  if (failMode !== 'open')
    bad('failMode', 'A concurrent-subscriptions policy fails open (the per-router cap still applies when the kv is down)');
  if (rootFields?.length || operationNames?.length)
    bad('rootFields', 'A concurrent-subscriptions policy counts every subscription: no rootFields or operationNames');
}

/**
 * Checks a policy from configuration or an ADMIN mutation and returns a clean copy; bad input is
 * BAD_USER_INPUT naming the field, and nothing is stored. Limits keep the kit limiter's exact
 * integer arithmetic (limit × windowMs ≤ 2^50).
 */
export function parsePolicy(input: unknown): LimitPolicy {
  if (input === null || typeof input !== 'object') bad('policy', 'A policy must be an object');
  const v = input as Record<string, unknown>;
  if (typeof v.name !== 'string' || !NAME.test(v.name))
    bad('name', 'name must be 1-48 lowercase letters, digits or -, starting with a letter');
  const scope = oneOf('scope', v.scope, SCOPES);
  const key = oneOf('key', v.key, KEYS);
  const cost = oneOf('cost', v.cost, COSTS);
  const failMode = oneOf('failMode', v.failMode, FAIL_MODES);
  if (!Array.isArray(v.principals) || v.principals.length === 0)
    bad('principals', 'principals must name at least one of user, apiKey, anonymous');
  const principals = [...new Set((v.principals as unknown[]).map((p) => oneOf('principals', p, KINDS)))];
  if (!Number.isSafeInteger(v.limit) || (v.limit as number) < 1 || (v.limit as number) > 1_000_000)
    bad('limit', 'limit must be an integer from 1 to 1000000');
  if (!Number.isSafeInteger(v.windowMs) || (v.windowMs as number) < 1000 || (v.windowMs as number) > MAX_WINDOW_MS)
    bad('windowMs', 'windowMs must be an integer from 1000 to 604800000 (7 days)');
  if ((v.limit as number) * (v.windowMs as number) > 2 ** 50) bad('limit', 'limit × windowMs is too large');
  if (v.disabled !== undefined && typeof v.disabled !== 'boolean') bad('disabled', 'disabled must be a boolean');
  const rootFields = names('rootFields', v.rootFields);
  const operationNames = names('operationNames', v.operationNames);
  if (scope === 'concurrent-subscriptions') checkConcurrent(principals, key, cost, failMode, rootFields, operationNames);
  return {
    name: v.name,
    scope,
    ...(rootFields?.length ? { rootFields } : {}),
    ...(operationNames?.length ? { operationNames } : {}),
    principals,
    key,
    limit: v.limit as number,
    windowMs: v.windowMs as number,
    cost,
    failMode,
    ...(v.disabled ? { disabled: true } : {}),
  };
}
