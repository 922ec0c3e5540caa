import type { NotificationDoc } from '../src/store';
import { completion, deliver, eventually, startNotification, type Harness } from './harness';

const DAY_MS = 24 * 60 * 60 * 1000;

function aged(id: string, createdAt: Date, read: boolean): NotificationDoc {
  return {
    _id: id,
    userId: 'ret',
    kind: 'ANSWER_COMPLETED',
    title: 'Your answer is ready',
    body: '',
    read,
    conversationId: null,
    messageId: null,
    createdAt,
  };
}

describe('retention', () => {
  let h: Harness;
  const clock = { now: new Date(Date.UTC(2026, 5, 1)) };
  beforeAll(async () => {
    h = await startNotification({ NOTIFICATION_RETENTION_DAYS: '30' }, () => clock.now);
  });
  afterAll(() => h.dispose());

  it('deletes notifications older than NOTIFICATION_RETENTION_DAYS, read or not, and keeps the rest', async () => {
    const at = (days: number): Date => new Date(clock.now.getTime() - days * DAY_MS);
    await h.collections.notifications.insertMany([
      aged('old-unread', at(31), false),
      aged('old-read', at(45), true),
      aged('edge', at(30), false),
      aged('recent', at(1), false),
    ]);
    expect(await h.service.retention.sweep()).toBe(2);
    const left = await h.collections.notifications.find({ userId: 'ret' }, { sort: { _id: 1 } });
    expect(left.map((d) => d._id)).toEqual(['edge', 'recent']);

    // A day later the one exactly at the limit has expired too.
    clock.now = new Date(clock.now.getTime() + DAY_MS);
    expect(await h.service.retention.sweep()).toBe(1);
    expect((await h.collections.notifications.find({ userId: 'ret' })).map((d) => d._id)).toEqual(['recent']);
  });

  it('a notification created now carries the clock and is kept', async () => {
    const event = completion('ret2');
    await deliver(h, event);
    const doc = await eventually(
      () => h.collections.notifications.findById(`answer:${event.id}`),
      (d) => d !== null,
      h.tries,
    );
    expect(doc?.createdAt).toEqual(clock.now);
    expect(await h.service.retention.sweep()).toBe(0);
  });

  it('refuses a retention out of range at start', async () => {
    await expect(startNotification({ NOTIFICATION_RETENTION_DAYS: '0' })).rejects.toThrow('NOTIFICATION_RETENTION_DAYS');
  });
});
