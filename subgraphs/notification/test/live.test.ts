import type { Client } from 'graphql-ws';
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

function follow(client: Client): Collected {
  const collected: Collected = { events: [], errors: [], stop: () => undefined };
  collected.stop = client.subscribe<{ notificationReceived: Received }>(
    { query: RECEIVED },
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
});
