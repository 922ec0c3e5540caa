import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { text } from '../validation';

/**
 * `identity.session.v1`: sign-ins, produced by identity through the new session's own outbox (the
 * event is written with the session, so neither exists without the other) and keyed by `userId`,
 * so one user's sign-ins are consumed in order. Only a session opened by signing in with a password
 * is announced: a registration's first session, a refreshed session and API keys are not sign-ins.
 */

/** How the session was opened (more will follow: OAuth). */
export const SIGN_IN_METHODS = ['password'] as const;

const events = {
  /**
   * A user signed in: a new session exists. `userAgent` (cut to 200 characters) and `ipPrefix`
   * (coarse: an IPv4 /24 such as `203.0.113.0/24`, an IPv6 /48; never the full address) describe
   * the device when identity knows them, else null.
   */
  'session.started': {
    subject: z.object({ userId: idString, sessionId: idString }),
    payload: z.object({
      method: z.enum(SIGN_IN_METHODS),
      userAgent: text(200).nullable(),
      ipPrefix: text(64).nullable(),
    }),
  },
};

/** The `identity.session.v1` contract. */
export const identitySessionV1 = defineTopic({ topic: 'identity.session.v1', keyedBy: 'userId', events });

/** Any event of `identity.session.v1`, discriminated by `type`. */
export type IdentitySessionEvent = EventsOf<typeof events>;
