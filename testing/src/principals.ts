import type { Principal, UserPrincipal } from '@chatgraph/kit';

/** No one signed in, as the router forwards an unauthenticated request. */
export const ANON: Principal = { kind: 'anonymous' };

/** The router itself, for routes only it may call. */
export const ROUTER: Principal = { kind: 'service', name: 'router' };

/** A signed-in user as the router would forward them (subgraphs trust the signed principal, not identity). */
export function userPrincipal(userId: string, role: 'USER' | 'ADMIN' = 'USER'): UserPrincipal {
  return { kind: 'user', userId, role, via: 'jwt', sessionId: `s-${userId}` };
}
