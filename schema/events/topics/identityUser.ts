import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { boolean, nullable, object, oneOf, optional, string } from '../validation';

/**
 * `identity.user.v1`: facts about user accounts, produced by identity and keyed by `userId`, so
 * one user's registration, updates and role changes are consumed in the order they happened.
 */

const ROLES = ['USER', 'ADMIN'] as const;
const userSubject = object({ userId: idString });
const email = string({ maxLength: 254, pattern: /^[^\s@]+@[^\s@]+$/, patternName: 'an email address' });
const name = string({ maxLength: 100 });

const events = {
  /** A new account exists (sign-up or created by an administrator). */
  'user.registered': {
    subject: userSubject,
    payload: object({ email, name, role: oneOf(ROLES), emailVerified: boolean() }),
  },
  /** Profile fields changed; only the fields that changed are present. */
  'user.updated': {
    subject: userSubject,
    payload: object({ email: optional(email), name: optional(name), emailVerified: optional(boolean()) }, { atLeastOneOf: ['email', 'name', 'emailVerified'] }),
  },
  /** The user's role changed; `changedBy` is the administrator, or null for the system. */
  'user.role-changed': {
    subject: userSubject,
    payload: object({ from: oneOf(ROLES), to: oneOf(ROLES), changedBy: nullable(idString) }),
  },
  /** An administrator disabled the account: it cannot sign in or use its tokens and keys until enabled. */
  'user.disabled': {
    subject: userSubject,
    payload: object({ by: idString }),
  },
  /** An administrator enabled a disabled account again. */
  'user.enabled': {
    subject: userSubject,
    payload: object({ by: idString }),
  },
  /**
   * An administrator deleted the account. Identity has removed it; every service that keeps data
   * of this user removes or anonymises it when it consumes this event.
   */
  'user.deleted': {
    subject: userSubject,
    payload: object({ by: idString }),
  },
};

/** The `identity.user.v1` contract. */
export const identityUserV1 = defineTopic({ topic: 'identity.user.v1', keyedBy: 'userId', events });

/** Any event of `identity.user.v1`, discriminated by `type`. */
export type IdentityUserEvent = EventsOf<typeof events>;
