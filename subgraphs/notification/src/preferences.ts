import { codedError, requireUser, type Principal } from '@chatgraph/kit';
import { requireWrite } from './access';
import { NOTIFICATION_KINDS, type NotificationCollections, type NotificationKind, type PreferenceDoc } from './store';

/**
 * Kinds that may also go out by e-mail: security-relevant ones only, so an inbox is not flooded
 * with every finished answer.
 */
export const EMAIL_KINDS: readonly NotificationKind[] = ['LOW_CREDITS', 'NEW_SIGN_IN'];

/** How one kind is delivered to one user, as `notificationPreferences` answers it. */
export interface Preference {
  kind: NotificationKind;
  inApp: boolean;
  email: boolean;
  emailAvailable: boolean;
}

/** One entry of `updateNotificationPreferences(input)`, as GraphQL passes it. */
export interface PreferenceInput {
  kind: string;
  inApp?: boolean | null;
  email?: boolean | null;
}

/** The defaults: in-app on, e-mail off. */
function preferenceOf(kind: NotificationKind, doc: PreferenceDoc | null | undefined): Preference {
  return { kind, inApp: doc?.inApp ?? true, email: doc?.email ?? false, emailAvailable: EMAIL_KINDS.includes(kind) };
}

function preferenceId(userId: string, kind: NotificationKind): string {
  return `${userId}:${kind}`;
}

/** How `kind` is delivered to `userId` (the defaults when they chose nothing): what `createNotification` applies. */
export async function preferenceFor(collections: NotificationCollections, userId: string, kind: NotificationKind): Promise<Preference> {
  return preferenceOf(kind, await collections.preferences.findById(preferenceId(userId, kind)));
}

function isKind(kind: string): kind is NotificationKind {
  return (NOTIFICATION_KINDS as readonly string[]).includes(kind);
}

/**
 * Reads and changes the caller's preferences. There is no user argument: a user only ever reaches
 * their own (the id comes from the principal).
 */
export class PreferenceService {
  constructor(private readonly collections: NotificationCollections) {}

  /** The caller's preferences, one per kind, in NOTIFICATION_KINDS order. */
  async list(principal: Principal): Promise<Preference[]> {
    const { userId } = requireUser({ principal });
    const docs = await this.collections.preferences.find({ userId });
    const byKind = new Map(docs.map((doc) => [doc.kind, doc]));
    return NOTIFICATION_KINDS.map((kind) => preferenceOf(kind, byKind.get(kind)));
  }

  /**
   * Applies `entries` (each a kind with `inApp` and/or `email`); answers every preference after.
   * Every entry is checked first (a known kind, named once, something to change, e-mail only for
   * EMAIL_KINDS), so a refusal changes nothing.
   */
  async update(principal: Principal, entries: readonly PreferenceInput[]): Promise<Preference[]> {
    const { userId } = requireWrite(principal);
    if (entries.length === 0 || entries.length > NOTIFICATION_KINDS.length)
      throw codedError('BAD_USER_INPUT', `preferences must hold 1 to ${NOTIFICATION_KINDS.length} entries`, {
        field: 'preferences',
        max: NOTIFICATION_KINDS.length,
        actual: entries.length,
      });
    const seen = new Set<string>();
    const checked = entries.map((entry, index) => {
      const field = `preferences[${index}]`;
      if (!isKind(entry.kind))
        throw codedError('BAD_USER_INPUT', `Unknown notification kind; known: ${NOTIFICATION_KINDS.join(', ')}`, {
          field: `${field}.kind`,
          kind: entry.kind.slice(0, 40),
        });
      if (seen.has(entry.kind)) throw codedError('BAD_USER_INPUT', 'A kind is named twice', { field: `${field}.kind`, kind: entry.kind });
      seen.add(entry.kind);
      const inApp = entry.inApp ?? undefined;
      const email = entry.email ?? undefined;
      if (inApp === undefined && email === undefined)
        throw codedError('BAD_USER_INPUT', 'Give inApp, email or both', { field, kind: entry.kind });
      if (email === true && !EMAIL_KINDS.includes(entry.kind))
        throw codedError('BAD_USER_INPUT', `Only ${EMAIL_KINDS.join(', ')} can be sent by e-mail`, {
          field: `${field}.email`,
          kind: entry.kind,
        });
      return { kind: entry.kind, inApp, email };
    });
    for (const { kind, inApp, email } of checked) {
      const defaults = preferenceOf(kind, null);
      // Only the fields given move; $setOnInsert gives the others their defaults on a first choice.
      const set: Record<string, unknown> = {};
      const onInsert: Record<string, unknown> = { userId, kind };
      if (inApp !== undefined) set.inApp = inApp;
      else onInsert.inApp = defaults.inApp;
      if (email !== undefined) set.email = email;
      else onInsert.email = defaults.email;
      await this.collections.preferences.updateOne(
        { _id: preferenceId(userId, kind) },
        { $set: set, $setOnInsert: onInsert },
        { upsert: true },
      );
    }
    return this.list(principal);
  }
}
