import { identitySessionV1, identityUserV1, type EventEnvelope } from '@chatgraph/schema';
import { createRecordingMailer, type RecordingMailer } from '@chatgraph/kit/mail';
import { newId } from '@chatgraph/kit';
import { eventually, ok, startNotification, userPrincipal, type Harness } from './harness';
import { signInBody } from '../src/signInEvents';

const UPDATE = `mutation($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { kind }
}`;

function signIn(userId: string, userAgent: string | null = 'Firefox on Linux', ipPrefix: string | null = '203.0.113.0/24'): EventEnvelope {
  return identitySessionV1.create('session.started', { userId, sessionId: newId() }, { method: 'password', userAgent, ipPrefix });
}

/** Publishes on identity.session.v1 keyed by user, as identity does (again: a redelivery). */
async function publish(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(identitySessionV1.topic, [{ key: event.subject.userId ?? '', event }]);
}

/** Waits until the notification of `event` exists (it and everything before it on the user's partition were handled). */
async function handled(h: Harness, event: EventEnvelope): Promise<void> {
  await eventually(
    () => h.collections.notifications.findById(`sign-in:${event.id}`),
    (doc) => doc !== null,
    h.tries,
  );
}

describe('NEW_SIGN_IN notifications', () => {
  let h: Harness;
  let mailer: RecordingMailer;
  beforeAll(async () => {
    mailer = createRecordingMailer();
    h = await startNotification({}, undefined, mailer);
  });
  afterAll(() => h.dispose());

  it('creates one NEW_SIGN_IN per sign-in, with the device and the coarse network', async () => {
    const event = signIn('s1');
    await publish(h, event);
    await handled(h, event);
    const doc = await h.collections.notifications.findById(`sign-in:${event.id}`);
    expect(doc).toMatchObject({ userId: 's1', kind: 'NEW_SIGN_IN', title: 'New sign-in to your account', read: false });
    expect(doc?.body).toBe(signInBody(event.occurredAt, 'Firefox on Linux', '203.0.113.0/24'));
    expect(doc?.body).toContain('network 203.0.113.0/24');
  });

  it('cuts a long User-Agent to 80 characters', () => {
    const agent = `Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 ${'x'.repeat(100)}`;
    const body = signInBody('2026-01-01T00:00:00.000Z', agent, '203.0.113.0/24');
    expect(body).toBe(
      `Signed in with a password at 2026-01-01T00:00:00.000Z from ${agent.slice(0, 79)}…, network 203.0.113.0/24. Not you? Change your password.`,
    );
  });

  it('says nothing of an unknown device', () => {
    expect(signInBody('2026-01-01T00:00:00.000Z', null, null)).toBe(
      'Signed in with a password at 2026-01-01T00:00:00.000Z. Not you? Change your password.',
    );
  });

  it('a redelivered sign-in creates no second notification nor a second mail', async () => {
    await h.bus.publish(identityUserV1.topic, [
      {
        key: 's2',
        event: identityUserV1.create(
          'user.registered',
          { userId: 's2' },
          { email: 's2@example.com', name: 's2', role: 'USER', emailVerified: true },
        ),
      },
    ]);
    await eventually(
      () => h.collections.recipients.findById('s2'),
      (doc) => doc !== null,
      h.tries,
    );
    ok(
      await h.gql(userPrincipal('s2'), UPDATE, { input: { preferences: [{ kind: 'NEW_SIGN_IN', email: true }] } }),
      'updateNotificationPreferences',
    );
    const event = signIn('s2');
    for (let i = 0; i < 3; i++) await publish(h, event);
    // A later sign-in on the same partition: once it is handled, so were the redeliveries.
    const marker = signIn('s2');
    await publish(h, marker);
    await handled(h, marker);
    expect(await h.collections.notifications.count({ userId: 's2', kind: 'NEW_SIGN_IN' })).toBe(2);
    expect(mailer.to('s2@example.com')).toEqual([
      expect.objectContaining({ subject: 'New sign-in to your account', kind: 'notification-new_sign_in' }),
      expect.objectContaining({ subject: 'New sign-in to your account', kind: 'notification-new_sign_in' }),
    ]);
  });

  it('creates none when NEW_SIGN_IN is off in-app', async () => {
    ok(
      await h.gql(userPrincipal('s3'), UPDATE, { input: { preferences: [{ kind: 'NEW_SIGN_IN', inApp: false }] } }),
      'updateNotificationPreferences',
    );
    const off = signIn('s3');
    await publish(h, off);
    ok(
      await h.gql(userPrincipal('s3'), UPDATE, { input: { preferences: [{ kind: 'NEW_SIGN_IN', inApp: true }] } }),
      'updateNotificationPreferences',
    );
    const on = signIn('s3');
    await publish(h, on);
    await handled(h, on);
    expect(await h.collections.notifications.findById(`sign-in:${off.id}`)).toBeNull();
    expect(await h.collections.notifications.count({ userId: 's3' })).toBe(1);
  });
});
