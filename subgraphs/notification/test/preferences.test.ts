import { identityUserV1, rateLimitBalanceV1, type EventEnvelope } from '@chatgraph/schema';
import { createRecordingMailer, type RecordingMailer } from '@chatgraph/kit/mail';
import type { UserPrincipal } from '@chatgraph/kit';
import { ANON, completion, deliver, failure, eventually, expectCode, ok, startNotification, userPrincipal, type Harness } from './harness';

const LIST = 'query { notificationPreferences { kind inApp email emailAvailable } }';
const UPDATE = `mutation($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { kind inApp email emailAvailable }
}`;
const MARK_ALL = 'mutation { markAllNotificationsRead }';

interface Preference {
  kind: string;
  inApp: boolean;
  email: boolean;
  emailAvailable: boolean;
}

const THRESHOLD = 100;

function byKind(list: Preference[]): Record<string, Preference> {
  return Object.fromEntries(list.map((p) => [p.kind, p]));
}

function apiKey(userId: string, scopes: string[]): UserPrincipal {
  return { kind: 'user', userId, role: 'USER', via: 'apiKey', apiKeyId: `k-${userId}`, scopes };
}

async function publishIdentity(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(identityUserV1.topic, [{ key: event.subject.userId ?? '', event }]);
}

async function publishBalance(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(rateLimitBalanceV1.topic, [{ key: event.subject.userId ?? '', event }]);
}

function changed(userId: string, credits: number, version: number): EventEnvelope {
  return rateLimitBalanceV1.create('balance.changed', { userId }, { credits, version, reason: version === 1 ? 'opening' : 'debit' });
}

async function balanceHandled(h: Harness, userId: string, version: number): Promise<void> {
  await eventually(
    () => h.collections.balances.findById(userId),
    (doc) => doc !== null && doc.version >= version,
    h.tries,
  );
}

/** Registers `userId` with `email` on identity.user.v1 and waits for the read model to hold it. */
async function register(h: Harness, userId: string, email: string): Promise<void> {
  await publishIdentity(
    h,
    identityUserV1.create('user.registered', { userId }, { email, name: userId, role: 'USER', emailVerified: true }),
  );
  await eventually(
    () => h.collections.recipients.findById(userId),
    (doc) => doc?.email === email,
    h.tries,
  );
}

describe('notification preferences', () => {
  let h: Harness;
  let mailer: RecordingMailer;
  beforeAll(async () => {
    mailer = createRecordingMailer();
    h = await startNotification({ NOTIFICATION_LOW_CREDITS_THRESHOLD: String(THRESHOLD) }, undefined, mailer);
  });
  afterAll(() => h.dispose());

  it('answers the defaults: every kind in-app, none by e-mail, e-mail available for the security kinds only', async () => {
    const list = ok<Preference[]>(await h.gql(userPrincipal('p1'), LIST), 'notificationPreferences');
    expect(list.map((p) => p.kind)).toEqual([
      'ANSWER_COMPLETED',
      'ANSWER_FAILED',
      'FILE_READY',
      'FILE_FAILED',
      'LOW_CREDITS',
      'NEW_SIGN_IN',
      'ASSISTANT_SHARED',
    ]);
    expect(list.every((p) => p.inApp && !p.email)).toBe(true);
    expect(list.filter((p) => p.emailAvailable).map((p) => p.kind)).toEqual(['LOW_CREDITS', 'NEW_SIGN_IN']);
  });

  it('changes only the fields given, only the caller’s', async () => {
    const p2 = userPrincipal('p2');
    ok(
      await h.gql(p2, UPDATE, {
        input: {
          preferences: [
            { kind: 'LOW_CREDITS', email: true },
            { kind: 'FILE_READY', inApp: false },
          ],
        },
      }),
      'updateNotificationPreferences',
    );
    const after = byKind(
      ok<Preference[]>(
        await h.gql(p2, UPDATE, { input: { preferences: [{ kind: 'LOW_CREDITS', inApp: false }] } }),
        'updateNotificationPreferences',
      ),
    );
    expect(after.LOW_CREDITS).toMatchObject({ inApp: false, email: true });
    expect(after.FILE_READY).toMatchObject({ inApp: false, email: false });
    expect(after.ANSWER_COMPLETED).toMatchObject({ inApp: true, email: false });
    // Another user's preferences are their own: nothing of p2's shows.
    const other = ok<Preference[]>(await h.gql(userPrincipal('p3'), LIST), 'notificationPreferences');
    expect(other.every((p) => p.inApp && !p.email)).toBe(true);
  });

  it('an in-app-off kind is not stored; the others still are', async () => {
    const p4 = userPrincipal('p4');
    ok(await h.gql(p4, UPDATE, { input: { preferences: [{ kind: 'ANSWER_COMPLETED', inApp: false }] } }), 'updateNotificationPreferences');
    const off = completion('p4');
    await deliver(h, off);
    // Same partition key as `off`, published after it: once it is stored, `off` was handled.
    const marker = { ...failure('p4', 'boom'), subject: off.subject };
    await deliver(h, marker);
    await eventually(
      () => h.collections.notifications.findById(`answer:${marker.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(await h.collections.notifications.findById(`answer:${off.id}`)).toBeNull();
    expect(await h.collections.notifications.count({ userId: 'p4' })).toBe(1);
  });

  it('e-mails LOW_CREDITS to the address identity published, once, also when it is off in-app', async () => {
    await register(h, 'p5', 'p5@example.com');
    await publishIdentity(h, identityUserV1.create('user.updated', { userId: 'p5' }, { email: 'p5-new@example.com' }));
    await eventually(
      () => h.collections.recipients.findById('p5'),
      (doc) => doc?.email === 'p5-new@example.com',
      h.tries,
    );
    const p5 = userPrincipal('p5');
    ok(
      await h.gql(p5, UPDATE, { input: { preferences: [{ kind: 'LOW_CREDITS', inApp: false, email: true }] } }),
      'updateNotificationPreferences',
    );
    const crossing = changed('p5', 10, 2);
    for (const event of [changed('p5', 500, 1), crossing, crossing]) await publishBalance(h, event);
    await publishBalance(h, changed('p5', 5, 3));
    await balanceHandled(h, 'p5', 3);
    expect(mailer.to('p5-new@example.com')).toEqual([
      expect.objectContaining({ subject: 'Your credits are running low', kind: 'notification-low_credits' }),
    ]);
    expect(mailer.to('p5@example.com')).toHaveLength(0);
    expect(await h.collections.notifications.count({ userId: 'p5' })).toBe(0);
  });

  it('a redelivered crossing sends no second mail', async () => {
    await register(h, 'p10', 'p10@example.com');
    ok(
      await h.gql(userPrincipal('p10'), UPDATE, { input: { preferences: [{ kind: 'LOW_CREDITS', email: true }] } }),
      'updateNotificationPreferences',
    );
    const crossing = changed('p10', 10, 2);
    for (const event of [changed('p10', 500, 1), crossing]) await publishBalance(h, event);
    await balanceHandled(h, 'p10', 2);
    // As if the read model had not moved on before a crash: the redelivery recomputes the crossing.
    await h.collections.balances.updateOne({ _id: 'p10' }, { $set: { credits: 500, version: 1 } });
    await publishBalance(h, crossing);
    await balanceHandled(h, 'p10', 2);
    expect(mailer.to('p10@example.com')).toHaveLength(1);
    expect(await h.collections.notifications.count({ userId: 'p10', kind: 'LOW_CREDITS' })).toBe(1);
  });

  it('sends no mail without e-mail on', async () => {
    await register(h, 'p6', 'p6@example.com');
    for (const event of [changed('p6', 500, 1), changed('p6', 10, 2)]) await publishBalance(h, event);
    await balanceHandled(h, 'p6', 2);
    expect(await h.collections.notifications.count({ userId: 'p6', kind: 'LOW_CREDITS' })).toBe(1);
    expect(mailer.to('p6@example.com')).toHaveLength(0);
  });

  it('refuses unknown kinds and malformed input with BAD_USER_INPUT, changing nothing', async () => {
    const p7 = userPrincipal('p7');
    const bad = [
      [
        { kind: 'LOW_CREDITS', inApp: false },
        { kind: 'NOT_A_KIND', inApp: false },
      ],
      [
        { kind: 'LOW_CREDITS', inApp: false },
        { kind: 'LOW_CREDITS', email: true },
      ],
      [{ kind: 'LOW_CREDITS', inApp: false }, { kind: 'FILE_READY' }],
      [
        { kind: 'LOW_CREDITS', inApp: false },
        { kind: 'ANSWER_COMPLETED', email: true },
      ],
      [],
      Array.from({ length: 6 }, () => ({ kind: 'LOW_CREDITS', inApp: false })),
      [{ kind: 'x'.repeat(5000), inApp: false }],
    ];
    for (const preferences of bad) expectCode(await h.gql(p7, UPDATE, { input: { preferences } }), 'BAD_USER_INPUT');
    expect(await h.collections.preferences.count({ userId: 'p7' })).toBe(0);
    expectCode(await h.gql(ANON, LIST), 'UNAUTHENTICATED');
    expectCode(await h.gql(ANON, UPDATE, { input: { preferences: [{ kind: 'LOW_CREDITS', inApp: false }] } }), 'UNAUTHENTICATED');
  });

  it('an API key needs the write scope to change preferences or mark read; reading needs none', async () => {
    const readOnly = apiKey('p8', ['read']);
    const input = { preferences: [{ kind: 'LOW_CREDITS', inApp: false }] };
    expectCode(await h.gql(readOnly, UPDATE, { input }), 'FORBIDDEN');
    expectCode(await h.gql(readOnly, MARK_ALL), 'FORBIDDEN');
    expect(await h.collections.preferences.count({ userId: 'p8' })).toBe(0);
    expect(ok<Preference[]>(await h.gql(readOnly, LIST), 'notificationPreferences')).toHaveLength(7);
    const writer = apiKey('p8', ['read', 'write']);
    expect(byKind(ok<Preference[]>(await h.gql(writer, UPDATE, { input }), 'updateNotificationPreferences')).LOW_CREDITS?.inApp).toBe(
      false,
    );
    expect(ok<number>(await h.gql(writer, MARK_ALL), 'markAllNotificationsRead')).toBe(0);
  });

  it('a deleted account’s preferences and address are forgotten', async () => {
    await register(h, 'p9', 'p9@example.com');
    ok(
      await h.gql(userPrincipal('p9'), UPDATE, { input: { preferences: [{ kind: 'LOW_CREDITS', email: true }] } }),
      'updateNotificationPreferences',
    );
    await publishIdentity(h, identityUserV1.create('user.deleted', { userId: 'p9' }, { by: 'admin' }));
    // Preferences go after the address: once they are gone, both are.
    await eventually(
      () => h.collections.preferences.count({ userId: 'p9' }),
      (n) => n === 0,
      h.tries,
    );
    expect(await h.collections.recipients.findById('p9')).toBeNull();
  });
});
