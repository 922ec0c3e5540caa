import { completion, deliver, eventually, failure, startNotification, type Harness } from './harness';

describe('notifications from finished answers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startNotification();
  });
  afterAll(() => h.dispose());

  it('creates ANSWER_COMPLETED for the owner, with the conversation, the message and the start of the answer', async () => {
    const event = completion('a1', `${'x'.repeat(300)}`);
    await deliver(h, event);
    const doc = await eventually(
      () => h.collections.notifications.findById(`answer:${event.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(doc).toMatchObject({
      userId: 'a1',
      kind: 'ANSWER_COMPLETED',
      read: false,
      conversationId: event.subject.conversationId,
      messageId: event.subject.messageId,
    });
    expect(doc?.body).toHaveLength(200);
    expect(doc?.body.endsWith('…')).toBe(true);
  });

  it('creates ANSWER_FAILED with the error', async () => {
    const event = failure('a2', 'the provider timed out');
    await deliver(h, event);
    const doc = await eventually(
      () => h.collections.notifications.findById(`answer:${event.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(doc).toMatchObject({ userId: 'a2', kind: 'ANSWER_FAILED', body: 'the provider timed out' });
  });

  it('a redelivered event creates no second notification', async () => {
    const event = completion('a3');
    await deliver(h, event);
    await deliver(h, event);
    await deliver(h, event);
    // A later event of the same user, delivered after the redeliveries on the same partition key
    // order: once it is stored, the redeliveries were handled.
    const marker = { ...completion('a3'), subject: event.subject };
    await deliver(h, marker);
    await eventually(
      () => h.collections.notifications.findById(`answer:${marker.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(await h.collections.notifications.count({ userId: 'a3' })).toBe(2);
  });

  it('an answer its owner stopped creates none', async () => {
    const stopped = completion('a4', 'partial', 'aborted');
    await deliver(h, stopped);
    const marker = { ...failure('a4'), subject: stopped.subject };
    await deliver(h, marker);
    await eventually(
      () => h.collections.notifications.findById(`answer:${marker.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(await h.collections.notifications.find({ userId: 'a4' })).toEqual([expect.objectContaining({ kind: 'ANSWER_FAILED' })]);
  });
});

describe('only answers that ended unwatched notify', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startNotification();
  });
  afterAll(() => h.dispose());

  it('an answer whose stream the owner watched to its end creates none, completed or failed', async () => {
    const watchedDone = completion('w1', 'seen', 'stop', true);
    const watchedFailed = failure('w1', 'seen failing', true);
    const background = completion('w1', 'in the background');
    for (const event of [watchedDone, watchedFailed, background]) await deliver(h, event);
    // Same owner, so the same partition: once the last is stored, the watched ones were handled.
    await eventually(
      () => h.collections.notifications.findById(`answer:${background.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(await h.collections.notifications.find({ userId: 'w1' })).toEqual([
      expect.objectContaining({ _id: `answer:${background.id}`, kind: 'ANSWER_COMPLETED', body: 'in the background' }),
    ]);
  });
});
