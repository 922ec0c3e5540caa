import { codedError, requireUser, type Principal, type UserPrincipal } from '@chatgraph/kit';
import type { UserView } from './users';

/**
 * Account-sensitive operations (passwords, API keys, sessions, roles) need a signed-in session:
 * an API key is a delegated, often long-lived credential and must not mint more credentials or
 * take over the account.
 */
export function requirePasswordSession(principal: Principal): UserPrincipal & { sessionId: string } {
  const user = requireUser({ principal });
  if (user.via !== 'jwt') throw codedError('FORBIDDEN', 'This operation needs a signed-in session; API keys cannot perform it');
  if (!user.sessionId) throw codedError('UNAUTHENTICATED', 'Your session has ended; sign in again');
  return { ...user, sessionId: user.sessionId };
}

/** Writes through an API key need its `write` scope; signed-in sessions may always write. */
export function requireWrite(principal: Principal): UserPrincipal {
  const user = requireUser({ principal });
  if (user.via === 'apiKey' && !(user.scopes ?? []).includes('write')) throw codedError('FORBIDDEN', 'This API key lacks the write scope');
  return user;
}

/** Email, role, verification state and API keys are for the user themself and for admins. */
export function canReadPrivate(principal: Principal, user: UserView): boolean {
  if (user.ownerView) return true;
  return principal.kind === 'user' && (principal.userId === user.id || principal.role === 'ADMIN');
}

/** Names and ids are for any signed-in caller (and the router itself), never for anonymous ones. */
export function canReadPublic(principal: Principal): boolean {
  return principal.kind !== 'anonymous';
}
