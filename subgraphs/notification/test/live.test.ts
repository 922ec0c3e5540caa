import type { Client } from 'graphql-ws';
import { announce, liveChannel } from '../src/live';
import type { NotificationDoc } from '../src/store';
import { completion, deliver, eventually, startNotification, userPrincipal, wsClient, type Harness } from './harness';

const RECEIVED = 'subscription { notificationReceived { id kind read message { id } } }';

interface Received {
  id: string;
  kind: string;
  read: boolean;
  message: { id: string };
}

/** Everything one subscription received: its events, its errors, whether it completed. */
interface Collected {
  events: Received[];
  errors: unknown[];
  stop: () => void;
}

const RESUMED = 'subscription($after: ID) { notificationReceived(after: $after) { id kind read message { id } } }';

function follow(client: Client, after?: string): Collected {
  const collected: Collected = { events: [], errors: [], stop: () => undefined };
  collected.stop = client.subscribe<{ notificationReceived: Received }>(
    after === undefined ? { query: RECEIVED } : { query: RESUMED, variables: { after } },
    {
      next: (result) => {
        if (result.errors) collected.errors.push(...result.errors);
        if (result.data) collected.events.push(result.data.notificationReceived);
      },
      error: (error) => collected.errors.push(error),
      complete: () => undefined,
    },
  );
  return collected;
}

describe('notificationReceived', () => {
  let h: Harness;
  const clients: Client[] = [];
  const client = (userId: string): Client => {
    const c = wsClient(h, userPrincipal(userId));
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    h = await startNotification();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await h.dispose();
  });

  it('every open subscription of the user gets each new notification once; another user none', async () => {
    const tabA = follow(client('ada'));
    const tabB = follow(client('ada'));
    const eve = follow(client('eve'));
    await eventually(
      () => h.service.feeds.size,
      (n) => n === 3,
      h.tries,
    );
    const first = completion('ada');
    const second = completion('ada');
    await deliver(h, first);
    await deliver(h, first); // a redelivery: no second notification, so nothing announced again
    await deliver(h, second);
    // eve's own notification, delivered last: once she has it, ada's were announced before it.
    const evesOwn = completion('eve');
    await deliver(h, evesOwn);
    await eventually(
      () => tabA.events.length + tabB.events.length + eve.events.length,
      (n) => n === 5,
      h.tries,
    );
    const expected = [first, second].map((e) => ({
      id: `answer:${e.id}`,
      kind: 'ANSWER_COMPLETED',
      read: false,
      message: { id: e.subject.messageId },
    }));
    expect(tabA.events).toEqual(expected);
    expect(tabB.events).toEqual(expected);
    expect(eve.events.map((e) => e.id)).toEqual([`answer:${evesOwn.id}`]);
    expect([tabA.errors, tabB.errors, eve.errors]).toEqual([[], [], []]);
  });

  it('is refused without a user; a closed subscription leaves the feeds', async () => {
    const anonymous = wsClient(h, { kind: 'anonymous' });
    clients.push(anonymous);
    const refused = follow(anonymous);
    await eventually(
      () => refused.errors.length,
      (n) => n > 0,
      h.tries,
    );
    expect(JSON.stringify(refused.errors)).toContain('UNAUTHENTICATED');
    const open = h.service.feeds.size;
    const tab = follow(client('zoe'));
    await eventually(
      () => h.service.feeds.size,
      (n) => n === open + 1,
      h.tries,
    );
    tab.stop();
    await eventually(
      () => h.service.feeds.size,
      (n) => n === open,
      h.tries,
    );
  });

  it('with after: first what was created after that notification, oldest first, then live, each once', async () => {
    const events = [completion('kim'), completion('kim'), completion('kim')];
    for (const event of events) await deliver(h, event);
    await eventually(
      () => h.collections.notifications.count({ userId: 'kim' }),
      (n) => n === 3,
      h.tries,
    );
    const ids = (await h.collections.notifications.find({ userId: 'kim' }, { sort: { createdAt: 1, _id: 1 } })).map((d) => d._id);
    const open = h.service.feeds.size;
    const resumed = follow(client('kim'), ids[0]);
    await eventually(
      () => resumed.events.length,
      (n) => n === 2,
      h.tries,
    );
    expect(h.service.feeds.size).toBe(open + 1);
    const later = completion('kim');
    await deliver(h, later);
    await eventually(
      () => resumed.events.length,
      (n) => n === 3,
      h.tries,
    );
    expect(resumed.events.map((e) => e.id)).toEqual([ids[1], ids[2], `answer:${later.id}`]);
    expect(resumed.errors).toEqual([]);
  });

  it('with after: a notification both stored before the read and announced live is sent once', async () => {
    const doc: NotificationDoc = {
      _id: 'answer:raced',
      userId: 'lea',
      kind: 'ANSWER_COMPLETED',
      title: 'Your answer is ready',
      body: '',
      read: false,
      conversationId: null,
      messageId: null,
      createdAt: new Date(),
    };
    // Created (and announced) after the feed subscribed, before the catch-up read returned.
    const feed = await h.service.feeds.follow('lea', async () => {
      // A probe on the same channel: once it has the announcement, the feed has it queued too.
      let probed = false;
      const stopProbe = await h.kv.subscribe(liveChannel('lea'), () => {
        probed = true;
      });
      await announce(h.kv, doc);
      await eventually(
        () => probed,
        (done) => done,
        h.tries,
      );
      await stopProbe();
      return [doc];
    });
    const later = { ...doc, _id: 'answer:after-race' };
    await announce(h.kv, later);
    const first = await feed.next();
    const second = await feed.next();
    await feed.return?.();
    expect([first.value?._id, second.value?._id]).toEqual(['answer:raced', 'answer:after-race']);
  });

  it('with after: a malformed id is BAD_USER_INPUT, another user’s NOT_FOUND', async () => {
    const event = completion('max');
    await deliver(h, event);
    await eventually(
      () => h.collections.notifications.findById(`answer:${event.id}`),
      (d) => d !== null,
      h.tries,
    );
    const bad = follow(client('ned'), 'not an id');
    const foreign = follow(client('ned'), `answer:${event.id}`);
    await eventually(
      () => bad.errors.length + foreign.errors.length,
      (n) => n >= 2,
      h.tries,
    );
    expect(JSON.stringify(bad.errors)).toContain('BAD_USER_INPUT');
    expect(JSON.stringify(foreign.errors)).toContain('NOT_FOUND');
    expect(foreign.events).toEqual([]);
  });
});
