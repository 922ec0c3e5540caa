import type { Role } from './principal';

/**
 * The principal directory: what identity publishes in the shared kv store (Redis in production)
 * so that every router can tell, within a second or two and without calling identity, whether a
 * credential that verifies cryptographically still stands for a live account. Identity writes it
 * (register, role change, disable, delete, logout, API-key revocation) and re-publishes all of it
 * whenever the `ready` marker is missing (at start, and after the kv lost its data); routers only
 * read it. The record formats live here so both sides share one definition.
 */

/** `active` may sign in; `disabled` is refused everywhere until enabled; `deleted` is gone for good. */
export type AccountStatus = 'active' | 'disabled' | 'deleted';

/** One user's entry. */
export interface PrincipalRecord {
  status: AccountStatus;
  /** The current role: the router applies it over the (up to 15 minutes old) role in a token. */
  role: Role;
}

/** Keys of the directory (under the kv's own prefix, e.g. `chatgraph:`). */
export const PRINCIPAL_KEYS = {
  /** Present once identity has published every user: without it the directory is not trusted. */
  ready: 'principal:ready',
  user: (userId: string): string => `principal:user:${userId}`,
  /** Present while access tokens of a logged-out session may still be unexpired. */
  revokedSession: (sessionId: string): string => `principal:session-revoked:${sessionId}`,
  /** Present while the revoked API key would otherwise still be valid. */
  revokedApiKey: (apiKeyId: string): string => `principal:apikey-revoked:${apiKeyId}`,
} as const;

export function encodePrincipalRecord(record: PrincipalRecord): string {
  return JSON.stringify({ s: record.status, r: record.role });
}

/** The record, or null when the value is not one (treated like a missing user). */
export function parsePrincipalRecord(raw: string | null): PrincipalRecord | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as { s?: unknown; r?: unknown };
    const status = value.s;
    const role = value.r;
    if ((status !== 'active' && status !== 'disabled' && status !== 'deleted') || (role !== 'USER' && role !== 'ADMIN')) return null;
    return { status, role };
  } catch {
    return null;
  }
}
