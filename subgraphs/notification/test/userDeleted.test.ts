import { identityUserV1 } from '@chatgraph/schema';
import { completion, deliver, eventually, startNotification, type Harness } from './harness';

async function deleteAccount(h: Harness, userId: string): Promise<void> {
  const event = identityUserV1.create('user.deleted', { userId }, { by: userId });
  await h.bus.publish(identityUserV1.topic, [{ key: userId, event }]);
}

describe('a deleted account', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startNotification();
  });
  afterAll(() => h.dispose());

  it('loses its notifications (twice delivered: same result) and gets no new one; others keep theirs', async () => {
    const mine = [completion('gone'), completion('gone')];
    const theirs = completion('stays');
    for (const event of [...mine, theirs]) await deliver(h, event);
    await eventually(
      () => h.collections.notifications.count({}),
      (n) => n === 3,
      h.tries,
    );

    await deleteAccount(h, 'gone');
    await deleteAccount(h, 'gone');
    await eventually(
      () => h.collections.notifications.count({ userId: 'gone' }),
      (n) => n === 0,
      h.tries,
    );
    expect(await h.collections.deletedUsers.count({})).toBe(1);

    // A late answer of the deleted account, then (on its partition, so delivered after it) another user's.
    const late = completion('gone');
    await deliver(h, late);
    const marker = { ...completion('stays'), subject: { ...late.subject, ownerId: 'stays' } };
    await deliver(h, marker, 'gone');
    await eventually(
      () => h.collections.notifications.findById(`answer:${marker.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(await h.collections.notifications.findById(`answer:${late.id}`)).toBeNull();
    expect(await h.collections.notifications.count({ userId: 'stays' })).toBe(2);
  });
});
