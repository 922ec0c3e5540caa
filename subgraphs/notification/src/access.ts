import { codedError, requireUser, type Principal, type UserPrincipal } from '@chatgraph/kit';

/**
 * The signed-in caller, allowed to change their notifications or preferences: a session always;
 * an API key only with its `write` scope, else FORBIDDEN (reads need no scope). Mirrors identity's
 * `requireWrite` (the router forwards an API key's scopes in the signed principal).
 */
export function requireWrite(principal: Principal): UserPrincipal {
  const user = requireUser({ principal });
  if (user.via === 'apiKey' && !(user.scopes ?? []).includes('write')) throw codedError('FORBIDDEN', 'This API key lacks the write scope');
  return user;
}
