import type { Socket } from 'node:net';
import { eventually } from './support/http';
import { endCode, type Collected } from './support/subscriptionsClient';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

const seqsOf = (sub: Collected): number[] => sub.events.map((e) => (e.data?.messageStream as { seq: number }).seq);

const holds = (graph: SubscriptionGraph, count: number): Promise<boolean> =>
  eventually(async () => (graph.router.subscriptions.subscriptions === count ? true : undefined));

describe('router subscriptions: slow consumers', () => {
  let graph: SubscriptionGraph;
  beforeAll(async () => {
    graph = await startSubscriptionGraph({ subscriptions: { queueLimit: 4 } });
  });
  afterAll(() => graph.stop());

  it('ends a subscription whose client stops reading with SLOW_CONSUMER, after a gap-free prefix', async () => {
    const client = graph.client(graph.token('slow'));
    const sub = client.subscribe('subscription { messageStream(messageId: "s1") { seq delta } }');
    await holds(graph, 1);
    graph.streaming.publish('s1', { seq: 1, delta: 'first', message: null });
    await sub.received(1);

    // The client stops reading its socket: the router's writes back up, then its queue fills.
    const socket = (client.sockets[0] as unknown as { _socket: Socket })._socket;
    socket.pause();
    let published = 1;
    for (let round = 0; round < 40 && graph.router.subscriptions.totals.slowConsumers === 0; round++) {
      graph.streaming.burst('s1', 50, 64 * 1024);
      published += 50;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(graph.router.subscriptions.totals.slowConsumers).toBe(1);
    socket.resume();

    const ending = await sub.ended;
    expect(endCode(ending)).toBe('SLOW_CONSUMER');
    const seqs = seqsOf(sub);
    // Never a silent gap: what arrived is 1..k in order, and the client resumes with after = k.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_v, i) => i + 1));
    expect(seqs.length).toBeLessThan(published);
    const text = await (await fetch(`${graph.url}/metrics`)).text();
    expect(text).toMatch(/graphql_subscription_slow_consumer_total\{[^}]*\} 1/);
    expect(text).toMatch(/graphql_errors_total\{[^}]*code="SLOW_CONSUMER"[^}]*\} 1/);

    const resumed = graph
      .client(graph.token('slow'))
      .subscribe(`subscription { messageStream(messageId: "s1", after: ${seqs.length}) { seq } }`);
    await resumed.received(1);
    expect(seqsOf(resumed)[0]).toBe(seqs.length + 1);
    resumed.unsubscribe();
    await holds(graph, 0);
  });

  it('a slow client does not hold back another client sharing its upstream', async () => {
    const query = 'subscription { messageStream(messageId: "s2") { seq delta } }';
    const slowClient = graph.client(graph.token('pair'));
    const slow = slowClient.subscribe(query);
    const fast = graph.client(graph.token('pair')).subscribe(query);
    await holds(graph, 2);
    expect(graph.router.subscriptions.upstreamSubscriptions).toBe(1);
    const before = graph.router.subscriptions.totals.slowConsumers;
    // Past the first event, so the slow client's socket exists and has been read from.
    graph.streaming.publish('s2', { seq: 1, delta: 'first', message: null });
    await slow.received(1);
    (slowClient.sockets[0] as unknown as { _socket: Socket })._socket.pause();
    // Bursts no larger than the queue, each read by the fast client before the next: only the
    // paused client falls behind.
    let published = 1;
    for (let round = 0; round < 400 && graph.router.subscriptions.totals.slowConsumers === before; round++) {
      graph.streaming.burst('s2', 3, 256 * 1024);
      published += 3;
      await fast.received(published);
    }
    expect(graph.router.subscriptions.totals.slowConsumers).toBe(before + 1);
    graph.streaming.end('s2');
    expect(await fast.ended).toEqual({ kind: 'complete' });
    expect(seqsOf(fast)).toEqual(Array.from({ length: published }, (_v, i) => i + 1));
    (slowClient.sockets[0] as unknown as { _socket: Socket })._socket.resume();
    expect(endCode(await slow.ended)).toBe('SLOW_CONSUMER');
  });
});

describe('router subscriptions: limits per connection and token expiry', () => {
  let graph: SubscriptionGraph;
  beforeAll(async () => {
    graph = await startSubscriptionGraph({ subscriptions: { maxSubscriptionsPerConnection: 2 } });
  });
  afterAll(() => graph.stop());

  it('refuses a subscription over the per-connection limit with RATE_LIMITED', async () => {
    const client = graph.client(graph.token('many'));
    const open = [
      client.subscribe('subscription { messageStream(messageId: "l1") { seq } }'),
      client.subscribe('subscription { messageStream(messageId: "l2") { seq } }'),
    ];
    await holds(graph, 2);
    const third = await client.subscribe('subscription { messageStream(messageId: "l3") { seq } }').ended;
    expect(third).toMatchObject({
      kind: 'error',
      errors: [{ extensions: { code: 'RATE_LIMITED', limit: 'subscriptionsPerConnection', max: 2 } }],
    });
    for (const sub of open) sub.unsubscribe();
    await holds(graph, 0);
  });

  it('closes the socket with 4403 when the access token expires', async () => {
    const client = graph.client(graph.token('brief', 2));
    const sub = client.subscribe('subscription { messageStream(messageId: "l4") { seq } }');
    expect(await sub.ended).toMatchObject({ kind: 'closed', code: 4403 });
    expect(client.closes[0]).toMatchObject({ code: 4403, reason: 'Access token expired' });
  });
});

describe('router subscriptions: reload, upstream loss and stop', () => {
  let graph: SubscriptionGraph;
  beforeEach(async () => {
    graph = await startSubscriptionGraph();
  });
  afterEach(() => graph.stop());

  it('ends every subscription with SUBSCRIPTION_SCHEMA_RELOAD when the supergraph is reloaded; resubscribing works', async () => {
    const client = graph.client(graph.token('rita'));
    const query = 'subscription { messageStream(messageId: "r1") { seq message { status } } }';
    const subs = [client.subscribe(query), graph.client().subscribe(query)];
    await holds(graph, 2);
    await graph.rewriteSupergraph('added: String');
    for (const sub of subs) expect(endCode(await sub.ended)).toBe('SUBSCRIPTION_SCHEMA_RELOAD');

    const again = client.subscribe(query);
    await holds(graph, 1);
    graph.streaming.publish('r1', { seq: 1, delta: 'a', message: { id: 'r1' } });
    await again.received(1);
    expect(again.events[0]?.data).toEqual({ messageStream: { seq: 1, message: { status: 'STREAMING' } } });
  });

  it('ends subscriptions with UNAVAILABLE when the owning subgraph goes away, and refuses new ones the same way', async () => {
    const sub = graph.client(graph.token('uma')).subscribe('subscription { messageStream(messageId: "u1") { seq } }');
    await holds(graph, 1);
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    await graph.streaming.stop();
    expect(endCode(await sub.ended)).toBe('UNAVAILABLE');
    const later = await graph.client(graph.token('uma')).subscribe('subscription { messageStream(messageId: "u2") { seq } }').ended;
    expect(endCode(later)).toBe('UNAVAILABLE');
  });

  it('reports a subgraph down during hydration as UNAVAILABLE on the hydrated fields only', async () => {
    const sub = graph.client(graph.token('hal')).subscribe('subscription { messageStream(messageId: "h1") { seq message { status } } }');
    await holds(graph, 1);
    await graph.chat.stop();
    graph.streaming.publish('h1', { seq: 1, delta: 'a', message: { id: 'h1' } });
    await sub.received(1);
    expect(sub.events[0]?.data).toEqual({ messageStream: { seq: 1, message: null } });
    expect(sub.events[0]?.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
  });

  it('on stop, ends subscriptions with SUBSCRIPTION_SERVER_SHUTDOWN and closes sockets with 1001', async () => {
    const client = graph.client(graph.token('stan'));
    const subs = [
      client.subscribe('subscription { messageStream(messageId: "x1") { seq } }'),
      client.subscribe('subscription { messageStream(messageId: "x2") { seq } }'),
    ];
    await holds(graph, 2);
    await graph.router.stop();
    for (const sub of subs) expect(endCode(await sub.ended)).toBe('SUBSCRIPTION_SERVER_SHUTDOWN');
    await eventually(async () => (client.closes.length > 0 ? true : undefined));
    expect(client.closes[0]?.code).toBe(1001);
    await eventually(async () => (graph.streaming.active() === 0 ? true : undefined));
    await expect(fetch(`${graph.url}/healthz`)).rejects.toThrow();
  });
});
