import { eventually } from './support/http';
import type { Collected } from './support/subscriptionsClient';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

const seqsOf = (sub: Collected): unknown[] => sub.events.map((e) => (e.data?.messageStream as { seq: number }).seq);

async function metric(graph: SubscriptionGraph, name: string): Promise<number> {
  const text = await (await fetch(`${graph.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').pop());
}

describe('router: shared upstream subscriptions', () => {
  let graph: SubscriptionGraph;

  beforeAll(async () => {
    graph = await startSubscriptionGraph({ subscriptions: { maxUpstreamHistory: 3 } });
  });
  afterAll(() => graph.stop());

  /** Waits until the router holds `count` client subscriptions (so all have joined their upstream). */
  const routerHolds = (count: number): Promise<boolean> =>
    eventually(async () => (graph.router.subscriptions.subscriptions === count ? true : undefined));

  it('shares one upstream between identical subscriptions of one principal; a late joiner gets the history first', async () => {
    const token = graph.token('alice');
    const before = graph.streaming.opened.length;
    const deliveredBefore = await metric(graph, 'graphql_subscription_events_delivered_total');
    const query = 'subscription A { messageStream(messageId: "d1") { seq delta message { id readBy } } }';
    const first = graph.client(token).subscribe(query);
    // Another connection, and another operation name: still the same upstream subscription.
    const second = graph.client(token).subscribe(query.replace('subscription A', 'subscription B'));
    await routerHolds(2);
    expect(graph.router.subscriptions.upstreamSubscriptions).toBe(1);
    expect(await metric(graph, 'graphql_subscription_upstreams_active')).toBe(1);
    expect(await metric(graph, 'graphql_subscriptions_active')).toBe(2);

    graph.streaming.publish('d1', { seq: 1, delta: 'a', message: { id: 'd1' } });
    graph.streaming.publish('d1', { seq: 2, delta: 'b', message: null });
    await Promise.all([first.received(2), second.received(2)]);

    const late = graph.client(token).subscribe(query);
    await routerHolds(3);
    graph.streaming.publish('d1', { seq: 3, delta: 'c', message: { id: 'd1' } });
    graph.streaming.end('d1');
    for (const sub of [first, second, late]) {
      expect(await sub.ended).toEqual({ kind: 'complete' });
      expect(seqsOf(sub)).toEqual([1, 2, 3]);
      expect(sub.events[0]?.data).toEqual({ messageStream: { seq: 1, delta: 'a', message: { id: 'd1', readBy: 'alice' } } });
    }
    expect(graph.streaming.opened.length - before).toBe(1);
    expect((await metric(graph, 'graphql_subscription_events_delivered_total')) - deliveredBefore).toBe(9);
  });

  it('does not share between principals: each upstream carries its own principal', async () => {
    const before = graph.streaming.opened.length;
    const query = 'subscription { messageStream(messageId: "d2") { seq message { readBy } } }';
    const alice = graph.client(graph.token('alice')).subscribe(query);
    const bob = graph.client(graph.token('bob')).subscribe(query);
    await routerHolds(2);
    expect(graph.router.subscriptions.upstreamSubscriptions).toBe(2);
    graph.streaming.publish('d2', { seq: 1, delta: 'a', message: { id: 'd2' } });
    graph.streaming.end('d2');
    await Promise.all([alice.ended, bob.ended]);
    expect(alice.events).toEqual([{ data: { messageStream: { seq: 1, message: { readBy: 'alice' } } } }]);
    expect(bob.events).toEqual([{ data: { messageStream: { seq: 1, message: { readBy: 'bob' } } } }]);
    expect(
      graph.streaming.opened
        .slice(before)
        .map((p) => (p.kind === 'user' ? p.userId : p.kind))
        .sort(),
    ).toEqual(['alice', 'bob']);
  });

  it('opens a new upstream for a late joiner once the shared one has more history than it keeps', async () => {
    const token = graph.token('carol');
    const before = graph.streaming.opened.length;
    const query = 'subscription { messageStream(messageId: "d3") { seq } }';
    const first = graph.client(token).subscribe(query);
    await routerHolds(1);
    graph.streaming.burst('d3', 4);
    await first.received(4);

    const late = graph.client(token).subscribe(query);
    await routerHolds(2);
    expect(graph.router.subscriptions.upstreamSubscriptions).toBe(2);
    graph.streaming.publish('d3', { seq: 5, delta: 'e', message: null });
    graph.streaming.end('d3');
    await Promise.all([first.ended, late.ended]);
    // The new upstream starts from the subgraph's beginning: nothing is missed either way.
    expect(seqsOf(first)).toEqual([1, 2, 3, 4, 5]);
    expect(seqsOf(late)).toEqual([1, 2, 3, 4, 5]);
    expect(graph.streaming.opened.length - before).toBe(2);
  });

  it('unsubscribes upstream when the last client leaves, and closes the idle connection', async () => {
    const query = 'subscription { messageStream(messageId: "d4") { seq } }';
    const token = graph.token('dan');
    const a = graph.client(token).subscribe(query);
    const b = graph.client(token).subscribe(query);
    await routerHolds(2);
    // One upstream for both (the router's count); the subgraph sees it once it has arrived.
    expect(graph.router.subscriptions.upstreamSubscriptions).toBe(1);
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    a.unsubscribe();
    await routerHolds(1);
    expect(graph.streaming.active()).toBe(1);
    b.unsubscribe();
    await eventually(async () => (graph.streaming.active() === 0 ? true : undefined));
    await eventually(async () => (graph.streaming.subgraph.subscriptionConnections === 0 ? true : undefined));
    expect(graph.router.subscriptions.upstreamSubscriptions).toBe(0);
  });
});
