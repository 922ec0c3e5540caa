import { HttpError, type Logger, type Principal } from '@chatgraph/kit';
import type { PrincipalGuard } from '../principalGuard';

/** Something authenticated once and held open: a graphql-ws socket, or an HTTP stream (SSE, multipart). */
export interface RecheckTarget {
  readonly principal: Principal;
  /** Still open (a closed one is skipped). */
  open(): boolean;
  /**
   * Ends it because its principal no longer stands: `revoked` when its credentials are no longer
   * valid (logged out, revoked, disabled, deleted), false when only its role changed.
   */
  end(reason: string, revoked: boolean): void;
}

export interface PrincipalRecheckOptions {
  guard: PrincipalGuard;
  /** The open sockets and HTTP streams, with the principal each was authenticated as. */
  targets(): Iterable<RecheckTarget>;
  intervalMs: number;
  logger: Logger;
}

/**
 * A socket (or an HTTP stream) is authenticated once, when it opens; this re-checks every open
 * one's principal against the principal directory every `intervalMs` and ends those whose
 * principal no longer stands — logged out, revoked, disabled, deleted — or whose role changed
 * (their subscriptions were authorised with the old role; the client reconnects with the same
 * token and gets the new one). Returns the function that stops it.
 */
export function startPrincipalRecheck(options: PrincipalRecheckOptions): () => void {
  let running = false;
  const pass = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      await Promise.all(
        [...options.targets()].map(async (target) => {
          const { principal } = target;
          if (principal.kind !== 'user') return;
          const outcome = await verdict(options.guard, principal);
          if (outcome === undefined || !target.open()) return;
          options.logger.info({ userId: principal.userId, reason: outcome.reason }, 'connection ended: its principal no longer stands');
          target.end(outcome.reason, outcome.revoked);
        }),
      );
    } catch (err) {
      options.logger.error({ err }, 'principal re-check failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void pass(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Why the target must end, or undefined when its principal still stands as it was. */
async function verdict(guard: PrincipalGuard, principal: Principal): Promise<{ reason: string; revoked: boolean } | undefined> {
  try {
    const now = await guard.check(principal);
    return now === principal ? undefined : { reason: 'Your role changed; reconnect', revoked: false };
  } catch (err) {
    if (err instanceof HttpError && err.code === 'UNAUTHENTICATED') return { reason: err.message, revoked: true };
    throw err;
  }
}
