import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { someOf, text } from '../validation';

/**
 * `identity.user.v1`: facts about user accounts, produced by identity and keyed by `userId`, so
 * one user's registration, updates and role changes are consumed in the order they happened.
 */

const role = z.enum(['USER', 'ADMIN']);
const userSubject = z.object({ userId: idString });
const email = text(254).regex(/^[^\s@]+@[^\s@]+$/, { message: 'must be an email address' });
const name = text(100);

const events = {
  /** A new account exists (sign-up or created by an administrator). */
  'user.registered': {
    subject: userSubject,
    payload: z.object({ email, name, role, emailVerified: z.boolean() }),
  },
  /** Profile fields changed; only the fields that changed are present. */
  'user.updated': {
    subject: userSubject,
    payload: someOf({ email: email.optional(), name: name.optional(), emailVerified: z.boolean().optional() }, [
      'email',
      'name',
      'emailVerified',
    ]),
  },
  /** The user's role changed; `changedBy` is the administrator, or null for the system. */
  'user.role-changed': {
    subject: userSubject,
    payload: z.object({ from: role, to: role, changedBy: idString.nullable() }),
  },
  /** An administrator disabled the account: it cannot sign in or use its tokens and keys until enabled. */
  'user.disabled': {
    subject: userSubject,
    payload: z.object({ by: idString }),
  },
  /** An administrator enabled a disabled account again. */
  'user.enabled': {
    subject: userSubject,
    payload: z.object({ by: idString }),
  },
  /**
   * An administrator deleted the account. Identity has removed it; every service that keeps data
   * of this user removes or anonymises it when it consumes this event.
   */
  'user.deleted': {
    subject: userSubject,
    payload: z.object({ by: idString }),
  },
};

/** The `identity.user.v1` contract. */
export const identityUserV1 = defineTopic({ topic: 'identity.user.v1', keyedBy: 'userId', events });

/** Any event of `identity.user.v1`, discriminated by `type`. */
export type IdentityUserEvent = EventsOf<typeof events>;
