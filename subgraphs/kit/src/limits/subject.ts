import { createHash } from 'node:crypto';
import type { Principal } from '../principal';
import type { LimitKeyKind, LimitPolicy, PrincipalKind } from './policy';

/** Who a request is from, as limits see it. */
export interface LimitSubject {
  kind: PrincipalKind;
  /** `user:<id>`, `apiKey:<id>` or `ip:<address>`: the key of per-principal budgets and of bans. */
  principal: string;
  /** `ip:<address>` of the client. */
  ip: string;
}

/**
 * The subject of a request from the router's authenticated principal and the client address. An
 * API key is its own principal (its budget is not its owner's): revoking a runaway key's budget
 * must not silence the owner's browser session.
 */
export function limitSubject(principal: Principal, address: string): LimitSubject {
  const ip = `ip:${address}`;
  if (principal.kind === 'user') {
    if (principal.via === 'apiKey' && principal.apiKeyId) return { kind: 'apiKey', principal: `apiKey:${principal.apiKeyId}`, ip };
    return { kind: 'user', principal: `user:${principal.userId}`, ip };
  }
  return { kind: 'anonymous', principal: ip, ip };
}

const PRINCIPAL = /^(user|apiKey):[\w.:-]{1,128}$|^ip:[0-9a-fA-F.:]{2,64}$/;

/** True for `user:<id>`, `apiKey:<id>` and `ip:<address>` (what bans are keyed by). */
export function isPrincipalKey(value: string): boolean {
  return PRINCIPAL.test(value);
}

/** An account key: the normalized address, hashed, so limits never keep addresses in clear. */
export function accountKey(email: string): string {
  return `account:${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 32)}`;
}

function keyOf(kind: LimitKeyKind, subject: LimitSubject, account: string | undefined): string | undefined {
  switch (kind) {
    case 'principal':
      return subject.principal;
    case 'ip':
      return subject.ip;
    case 'account':
      return account;
  }
}

/** The kv key of one policy's budget for one subject (or account), or undefined when the policy keys on an account the request does not name. */
export function budgetKey(policy: LimitPolicy, subject: LimitSubject, account?: string): string | undefined {
  // A switch, not a lookup object: this runs for every policy of every request.
  const key = keyOf(policy.key, subject, account);
  return key === undefined ? undefined : `limits:budget:${policy.name}:${key}`;
}

/** Whether `policy` counts this request: its scope, the caller's kind, and its root fields or operation name. */
export function policyMatches(
  policy: LimitPolicy,
  scope: LimitPolicy['scope'],
  kind: PrincipalKind,
  rootFields: readonly string[],
  operationName: string | undefined,
): boolean {
  if (policy.disabled || policy.scope !== scope || !policy.principals.includes(kind)) return false;
  const byField = policy.rootFields;
  const byName = policy.operationNames;
  if (!byField && !byName) return true;
  if (byField && rootFields.some((f) => byField.includes(f))) return true;
  return byName !== undefined && operationName !== undefined && byName.includes(operationName);
}
