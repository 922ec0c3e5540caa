import { HttpError, type Logger, type Principal } from '@chatgraph/kit';
import type { WebSocket } from 'ws';
import type { PrincipalGuard } from '../principalGuard';
import { SUBSCRIPTION_CLOSE_CODES } from './errors';

export interface PrincipalRecheckOptions {
  guard: PrincipalGuard;
  /** The open sockets with the principal each was authenticated as. */
  sockets(): Iterable<readonly [WebSocket, Principal]>;
  intervalMs: number;
  logger: Logger;
}

/**
 * A socket is authenticated once, at `connection_init`; this re-checks every open socket's
 * principal against the principal directory every `intervalMs` and closes (4403) the sockets
 * whose principal no longer stands — logged out, revoked, disabled, deleted — or whose role
 * changed (the connection's subscriptions were authorised with the old role; the client
 * reconnects with the same token and gets the new one). Returns the function that stops it.
 */
export function startPrincipalRecheck(options: PrincipalRecheckOptions): () => void {
  let running = false;
  const pass = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      await Promise.all(
        [...options.sockets()].map(async ([socket, principal]) => {
          if (principal.kind !== 'user') return;
          const reason = await verdict(options.guard, principal);
          if (reason === undefined || socket.readyState !== socket.OPEN) return;
          options.logger.info({ userId: principal.userId, reason }, 'socket closed: its principal no longer stands');
          socket.close(SUBSCRIPTION_CLOSE_CODES.FORBIDDEN, reason);
        }),
      );
    } catch (err) {
      options.logger.error({ err }, 'socket principal re-check failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void pass(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Why the socket must close, or undefined when its principal still stands as it was. */
async function verdict(guard: PrincipalGuard, principal: Principal): Promise<string | undefined> {
  try {
    const now = await guard.check(principal);
    return now === principal ? undefined : 'Your role changed; reconnect';
  } catch (err) {
    if (err instanceof HttpError && err.code === 'UNAUTHENTICATED') return err.message;
    throw err;
  }
}
