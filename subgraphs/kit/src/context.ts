import type { Logger } from './logger';
import type { LoaderRegistry } from './loaders';
import type { Principal, UserPrincipal } from './principal';
import { codedError } from './errors';
import type { ClientInfo } from './signing';

/** What every resolver receives. Services extend it with their own dependencies. */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  log: Logger;
  loaders: LoaderRegistry;
  /**
   * The end client behind the router (its user agent and address), as the router signed them;
   * both null when the router did not send them (subscriptions, service-to-service calls).
   */
  client: ClientInfo;
}

/** The calling user, or UNAUTHENTICATED. */
export function requireUser(ctx: { principal: Principal }): UserPrincipal {
  if (ctx.principal.kind !== 'user') throw codedError('UNAUTHENTICATED', 'You must be signed in');
  return ctx.principal;
}

/** The calling user if ADMIN, else UNAUTHENTICATED/FORBIDDEN. */
export function requireAdmin(ctx: { principal: Principal }): UserPrincipal {
  const user = requireUser(ctx);
  if (user.role !== 'ADMIN') throw codedError('FORBIDDEN', 'Administrator role required');
  return user;
}
