import { eventually } from './support/http';
import { endCode, type Collected, type TestWsClient } from './support/subscriptionsClient';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

const holds = (graph: SubscriptionGraph, count: number): Promise<boolean> =>
  eventually(async () => (graph.router.subscriptions.subscriptions === count ? true : undefined));

/** Opens the client's socket with one subscription and waits until the router holds `total` subscriptions. */
async function subscribed(graph: SubscriptionGraph, client: TestWsClient, total: number, id = 'q1'): Promise<Collected> {
  const sub = client.subscribe(`subscription { messageStream(messageId: "${id}") { seq } }`);
  await holds(graph, total);
  return sub;
}

describe('router subscriptions: caps per user', () => {
  let graph: SubscriptionGraph;
  beforeAll(async () => {
    graph = await startSubscriptionGraph({ subscriptions: { maxSocketsPerUser: 2, maxSubscriptionsPerUser: 3 } });
  });
  afterAll(() => graph.stop());

  it('closes a user’s socket past SUBSCRIPTION_SOCKETS_PER_USER with 4429; another user, and a freed slot, are served', async () => {
    const first = graph.client(graph.token('ann'));
    const second = graph.client(graph.token('ann'));
    await subscribed(graph, first, 1);
    await subscribed(graph, second, 2);
    const third = graph.client(graph.token('ann'));
    const refused = await third.subscribe('subscription { messageStream(messageId: "q1") { seq } }').ended;
    expect(refused).toEqual({ kind: 'closed', code: 4429, reason: 'At most 2 connections per user' });
    expect(graph.router.subscriptions.subscriptions).toBe(2);

    await subscribed(graph, graph.client(graph.token('bob')), 3);
    await first.dispose();
    await holds(graph, 2);
    await subscribed(graph, graph.client(graph.token('ann')), 3);
  });

  it('refuses a user’s subscription past SUBSCRIPTIONS_PER_USER over all their sockets with RATE_LIMITED, and accepts one once another ends', async () => {
    const before = graph.router.subscriptions.subscriptions;
    const a = graph.client(graph.token('cid'));
    const b = graph.client(graph.token('cid'));
    const one = await subscribed(graph, a, before + 1, 'c1');
    await subscribed(graph, a, before + 2, 'c2');
    await subscribed(graph, b, before + 3, 'c3');
    const refused = await b.subscribe('subscription { messageStream(messageId: "c4") { seq } }').ended;
    expect(refused).toEqual({
      kind: 'error',
      errors: [
        {
          message: 'At most 3 subscriptions may be open for one user',
          extensions: { code: 'RATE_LIMITED', limit: 'subscriptionsPerUser', max: 3 },
        },
      ],
    });
    one.unsubscribe();
    await holds(graph, before + 2);
    await subscribed(graph, b, before + 3, 'c4');
  });
});

describe('router subscriptions: caps per IP address', () => {
  let graph: SubscriptionGraph;
  beforeAll(async () => {
    graph = await startSubscriptionGraph({ subscriptions: { maxSocketsPerIp: 3, maxSubscriptionsPerIp: 4 } });
  });
  afterAll(() => graph.stop());

  it('closes sockets past SUBSCRIPTION_SOCKETS_PER_IP with 4429, anonymous or not, and refuses subscriptions past SUBSCRIPTIONS_PER_IP', async () => {
    const anonymous = graph.client();
    await subscribed(graph, anonymous, 1, 'p1');
    await subscribed(graph, graph.client(graph.token('dan')), 2, 'p2');
    await subscribed(graph, graph.client(graph.token('eve')), 3, 'p3');
    const refused = await graph.client(graph.token('fox')).subscribe('subscription { messageStream(messageId: "p4") { seq } }').ended;
    expect(refused).toEqual({ kind: 'closed', code: 4429, reason: 'At most 3 connections from one address' });

    await subscribed(graph, anonymous, 4, 'p5');
    const tooMany = await anonymous.subscribe('subscription { messageStream(messageId: "p6") { seq } }').ended;
    expect(endCode(tooMany)).toBe('RATE_LIMITED');
    expect(tooMany).toMatchObject({ errors: [{ extensions: { limit: 'subscriptionsPerIp', max: 4 } }] });
  });
});
