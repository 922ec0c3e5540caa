import { rateLimitBalanceV1, type EventEnvelope } from '@chatgraph/schema';
import { eventually, startNotification, type Harness } from './harness';

const THRESHOLD = 100;

/** A `balance.changed` of `userId` (not published), as rate-limit's contract builds it. */
function changed(userId: string, credits: number, version: number, reason: 'opening' | 'debit' | 'grant' = 'debit'): EventEnvelope {
  return rateLimitBalanceV1.create('balance.changed', { userId }, { credits, version, reason });
}

/** Publishes on ratelimit.balance.v1 keyed by user, as rate-limit keys it (again: a redelivery). */
async function publish(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(rateLimitBalanceV1.topic, [{ key: event.subject.userId ?? '', event }]);
}

/** Waits until the read model holds `version` of `userId`'s balance: every earlier event was handled. */
async function handled(h: Harness, userId: string, version: number): Promise<void> {
  await eventually(
    () => h.collections.balances.findById(userId),
    (doc) => doc !== null && doc.version >= version,
    h.tries,
  );
}

async function lowCredits(h: Harness, userId: string) {
  return h.collections.notifications.find({ userId, kind: 'LOW_CREDITS' }, { sort: { createdAt: 1, _id: 1 } });
}

describe('LOW_CREDITS from ratelimit.balance.v1', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startNotification({ NOTIFICATION_LOW_CREDITS_THRESHOLD: String(THRESHOLD) });
  });
  afterAll(() => h.dispose());

  it('is created once when the balance crosses below the threshold, not on further debits below it', async () => {
    const crossing = changed('c1', 40, 3);
    for (const event of [changed('c1', 500, 1, 'opening'), changed('c1', 120, 2), crossing, changed('c1', 10, 4), changed('c1', -5, 5)])
      await publish(h, event);
    await handled(h, 'c1', 5);
    const docs = await lowCredits(h, 'c1');
    expect(docs.map((doc) => doc._id)).toEqual([`credits:${crossing.id}`]);
    expect(docs[0]).toMatchObject({ userId: 'c1', read: false, body: '40 credits left' });
  });

  it('a grant above the threshold arms it again: the next crossing makes a second one', async () => {
    const first = changed('c2', 50, 2);
    const second = changed('c2', 99, 4);
    for (const event of [changed('c2', 200, 1, 'opening'), first, changed('c2', 1000, 3, 'grant'), second]) await publish(h, event);
    await handled(h, 'c2', 4);
    expect((await lowCredits(h, 'c2')).map((doc) => doc._id)).toEqual([`credits:${first.id}`, `credits:${second.id}`]);
  });

  it('a balance exactly at the threshold is not low', async () => {
    for (const event of [changed('c3', 500, 1, 'opening'), changed('c3', THRESHOLD, 2)]) await publish(h, event);
    await handled(h, 'c3', 2);
    expect(await lowCredits(h, 'c3')).toHaveLength(0);
  });

  it('a redelivered crossing creates no second notification, nor does a stale event', async () => {
    const crossing = changed('c4', 5, 2);
    for (const event of [changed('c4', 300, 1, 'opening'), crossing, crossing, changed('c4', 300, 1, 'opening'), crossing])
      await publish(h, event);
    const marker = changed('c4', 1, 3);
    await publish(h, marker);
    await handled(h, 'c4', 3);
    expect((await lowCredits(h, 'c4')).map((doc) => doc._id)).toEqual([`credits:${crossing.id}`]);
  });

  it('a redelivery after a crash between the notification and the read model finds its notification', async () => {
    const crossing = changed('c5', 5, 2);
    await publish(h, changed('c5', 300, 1, 'opening'));
    await publish(h, crossing);
    await handled(h, 'c5', 2);
    // As if the read model had not moved on: the redelivery recomputes the same crossing.
    await h.collections.balances.updateOne({ _id: 'c5' }, { $set: { credits: 300, version: 1 } });
    await publish(h, crossing);
    await handled(h, 'c5', 2);
    expect(await lowCredits(h, 'c5')).toHaveLength(1);
  });

  it('balance.deleted forgets the balance', async () => {
    await publish(h, changed('c6', 300, 1, 'opening'));
    await handled(h, 'c6', 1);
    await publish(h, rateLimitBalanceV1.create('balance.deleted', { userId: 'c6' }, { version: 2 }));
    await eventually(
      () => h.collections.balances.findById('c6'),
      (doc) => doc === null,
      h.tries,
    );
  });
});
