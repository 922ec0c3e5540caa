/**
 * Subscriptions over GraphQL over SSE (the `graphql-sse` protocol, distinct connections mode),
 * tested with the `graphql-sse` package's own client: the same planner, hydration, auth, caps and
 * ends as over graphql-ws (subscriptions.test.ts), on the same router.
 */
import { createClient } from 'graphql-sse';
import { eventually } from './support/http';
import { sseClient, sseSubscribe } from './support/sseClient';
import { heldByRouter } from './support/streamCounters';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

const STREAM = /* GraphQL */ `
  subscription Stream($id: ID!, $after: Int) {
    messageStream(messageId: $id, after: $after) {
      seq
      delta
      message {
        id
        status
        readBy
        conversation {
          title
          owner
        }
      }
    }
  }
`;

const NOTHING_HELD = { subscriptions: 0, upstreams: 0, connections: 0, queuedBytes: 0 };
const codes = (events: Array<{ errors?: Array<{ extensions?: Record<string, unknown> }> }>): unknown[] =>
  events.flatMap((e) => (e.errors ?? []).map((error) => error.extensions?.code));

describe('router: subscriptions over SSE (graphql-sse)', () => {
  let graph: SubscriptionGraph;
  beforeAll(async () => {
    graph = await startSubscriptionGraph({ limits: { maxDepth: 6 }, subscriptions: { maxSocketsPerUser: 2, keepAliveMs: 50 } });
  });
  afterAll(() => graph.stop());
  afterEach(async () => {
    // Whatever a test opened, the router holds nothing once its clients are gone.
    await eventually(async () => ((await heldByRouter(graph.router)).subscriptions === 0 ? true : undefined));
  });

  it('streams every event in order, each hydrated from the other subgraph, then completes; resumes with `after`', async () => {
    const client = sseClient(graph.url, graph.token('alice'));
    const sub = sseSubscribe(client, STREAM, { id: 's1' });
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('s1', { seq: 1, delta: 'Hel', message: { id: 's1' } });
    await sub.received(1);
    graph.chat.setStatus('s1', 'COMPLETE');
    graph.streaming.publish('s1', { seq: 2, delta: 'lo', message: null });
    graph.streaming.publish('s1', { seq: 3, delta: '!', message: { id: 's1' } });
    graph.streaming.end('s1');
    expect(await sub.ended).toEqual({ kind: 'complete' });
    const hydrated = (status: string) => ({
      id: 's1',
      status,
      readBy: 'alice',
      conversation: { title: 'Title of conversation-of-s1', owner: 'alice' },
    });
    expect(sub.events).toEqual([
      { data: { messageStream: { seq: 1, delta: 'Hel', message: hydrated('STREAMING') } } },
      { data: { messageStream: { seq: 2, delta: 'lo', message: null } } },
      { data: { messageStream: { seq: 3, delta: '!', message: hydrated('COMPLETE') } } },
    ]);
    const resumed = sseSubscribe(client, STREAM, { id: 's1', after: 1 });
    expect(await resumed.ended).toEqual({ kind: 'complete' });
    expect(resumed.events.map((e) => (e.data?.messageStream as { seq: number }).seq)).toEqual([2, 3]);
  });

  it('ends the upstream subscription and frees every count when the client goes away', async () => {
    const client = sseClient(graph.url, graph.token('carol'));
    const sub = sseSubscribe(client, STREAM, { id: 's2' });
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('s2', { seq: 1, delta: 'a', message: null });
    await sub.received(1);
    expect(await heldByRouter(graph.router)).toEqual({ subscriptions: 1, upstreams: 1, connections: 1, queuedBytes: 0 });
    sub.unsubscribe();
    expect(
      await eventually(async () => ((await heldByRouter(graph.router)).upstreams === 0 ? heldByRouter(graph.router) : undefined)),
    ).toEqual(NOTHING_HELD);
    await eventually(async () => (graph.streaming.active() === 0 ? true : undefined));
  });

  it('refuses a bad token, an invalid operation and one over the depth limit in the stream, with codes the client surfaces, before any subgraph', async () => {
    const opened = graph.streaming.opened.length;
    const forged = sseSubscribe(sseClient(graph.url, `${graph.token('dan').slice(0, -4)}AAAA`), STREAM, { id: 's3' });
    expect(await forged.ended).toEqual({ kind: 'complete' });
    expect(codes(forged.events)).toEqual(['UNAUTHENTICATED']);
    const invalid = sseSubscribe(sseClient(graph.url, graph.token('dan')), 'subscription { messageStream(messageId: "s3") { nope } }');
    expect(await invalid.ended).toEqual({ kind: 'complete' });
    expect(codes(invalid.events)).toEqual(['BAD_USER_INPUT']);
    const tooDeep = sseSubscribe(
      sseClient(graph.url, graph.token('dan')),
      'subscription { messageStream(messageId: "s3") { message { conversation { latest { conversation { latest { conversation { title } } } } } } } }',
    );
    await tooDeep.ended;
    expect(codes(tooDeep.events)).toEqual(['BAD_USER_INPUT']);
    expect(graph.streaming.opened.length).toBe(opened);
  });

  it("refuses graphql-sse's single connection mode with a coded 405 naming distinct connections mode", async () => {
    const client = createClient({
      url: `${graph.url}/graphql`,
      singleConnection: true,
      retryAttempts: 0,
      headers: { authorization: `Bearer ${graph.token('joe')}` },
    });
    const sub = sseSubscribe(client, STREAM, { id: 's9' });
    const ended = await sub.ended;
    expect(ended.kind).toBe('failed');
    expect((ended as { error: { response?: Response } }).error.response?.status).toBe(405);
    client.dispose();
    // What it was told, as any HTTP client reads it.
    const reservation = await fetch(`${graph.url}/graphql`, { method: 'PUT' });
    expect(reservation.status).toBe(405);
    expect(reservation.headers.get('allow')).toBe('GET, POST');
    expect(((await reservation.json()) as { errors: unknown[] }).errors).toEqual([
      { message: expect.stringMatching(/distinct connections mode/), extensions: { code: 'BAD_USER_INPUT', use: 'text/event-stream' } },
    ]);
  });

  it('answers a query over SSE with one `next` then `complete`', async () => {
    const result = sseSubscribe(sseClient(graph.url, graph.token('erin')), '{ streamingPing }');
    expect(await result.ended).toEqual({ kind: 'complete' });
    expect(result.events).toEqual([{ data: { streamingPing: expect.any(String) } }]);
  });

  it('counts each SSE stream as a socket of its user: past SUBSCRIPTION_SOCKETS_PER_USER it is refused with RATE_LIMITED, and a freed slot is served', async () => {
    const token = graph.token('fay');
    const openedBefore = graph.streaming.opened.length;
    const first = sseSubscribe(sseClient(graph.url, token), STREAM, { id: 's4' });
    const second = graph.client(token).subscribe(STREAM, { id: 's5' });
    await eventually(async () => (graph.router.subscriptions.subscriptions === 2 ? true : undefined));
    // Both open upstream too, so the first is fully established before it is unsubscribed (a
    // stream cancelled while still opening is a different path; CI once saw it miss here).
    await eventually(async () => (graph.streaming.opened.length >= openedBefore + 2 ? true : undefined));
    const third = sseSubscribe(sseClient(graph.url, token), STREAM, { id: 's6' });
    expect(await third.ended).toEqual({ kind: 'complete' });
    expect(third.events).toEqual([
      { errors: [{ message: 'At most 2 connections per user', extensions: { code: 'RATE_LIMITED', limit: 'socketsPerUser', max: 2 } }] },
    ]);
    first.unsubscribe();
    await eventually(async () => (graph.router.subscriptions.subscriptions === 1 ? true : undefined));
    const fourth = sseSubscribe(sseClient(graph.url, token), STREAM, { id: 's6' });
    await eventually(async () => (graph.router.subscriptions.subscriptions === 2 ? true : undefined));
    fourth.unsubscribe();
    second.unsubscribe();
  });

  it('ends a stream when its access token expires, with UNAUTHENTICATED, as a socket is closed', async () => {
    const sub = sseSubscribe(sseClient(graph.url, graph.token('gus', 1)), STREAM, { id: 's7' });
    expect(await sub.ended).toEqual({ kind: 'complete' });
    expect(sub.events.at(-1)).toEqual({
      errors: [{ message: 'Access token expired; subscribe again with a fresh token', extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it('passes an upstream error on as the last `next`, then completes', async () => {
    const sub = sseSubscribe(sseClient(graph.url, graph.token('hal')), STREAM, { id: 's8' });
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.fail('s8', 'FORBIDDEN');
    expect(await sub.ended).toEqual({ kind: 'complete' });
    expect(codes(sub.events)).toEqual(['FORBIDDEN']);
  });
});

describe('router: a slow SSE client', () => {
  it('is ended with SLOW_CONSUMER once its queue overflows, after a gap-free prefix, as a slow socket is', async () => {
    const graph = await startSubscriptionGraph({ subscriptions: { queueLimit: 20 } });
    try {
      const res = await fetch(`${graph.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${graph.token('sly')}` },
        body: JSON.stringify({ query: 'subscription { messageStream(messageId: "z1") { seq delta } }' }),
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      await eventually(async () => (graph.router.subscriptions.subscriptions === 1 ? true : undefined));
      // The client does not read its body: the router's writes back up, then its queue fills.
      for (let round = 0; round < 40 && graph.router.subscriptions.totals.slowConsumers === 0; round++) {
        graph.streaming.burst('z1', 50, 64 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(graph.router.subscriptions.totals.slowConsumers).toBe(1);
      // The subscription is gone; the connection (its slot) stays until the client reads or goes, as a socket's.
      expect(await heldByRouter(graph.router)).toEqual({ ...NOTHING_HELD, connections: 1 });
      // Reading it now: events 1..k in order, then the SLOW_CONSUMER error and `complete`.
      const text = await res.text();
      const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map(([, event, data]) => ({
        event,
        data: data
          ? (JSON.parse(data) as { data?: { messageStream: { seq: number } }; errors?: Array<{ extensions: { code: string } }> })
          : undefined,
      }));
      const seqs = events.flatMap((e) => (e.data?.data ? [e.data.data.messageStream.seq] : []));
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_v, i) => i + 1));
      expect(events.slice(-2).map((e) => [e.event, e.data?.errors?.[0]?.extensions.code])).toEqual([
        ['next', 'SLOW_CONSUMER'],
        ['complete', undefined],
      ]);
      expect(await heldByRouter(graph.router)).toEqual(NOTHING_HELD);
    } finally {
      await graph.stop();
    }
  });

  it('that takes nothing for two heartbeat intervals is cut off, and its slot freed', async () => {
    const graph = await startSubscriptionGraph({ subscriptions: { queueLimit: 20, keepAliveMs: 100 } });
    try {
      const res = await fetch(`${graph.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${graph.token('stuck')}` },
        body: JSON.stringify({ query: 'subscription { messageStream(messageId: "z2") { seq delta } }' }),
      });
      await eventually(async () => (graph.router.subscriptions.subscriptions === 1 ? true : undefined));
      for (let round = 0; round < 40 && graph.router.subscriptions.totals.slowConsumers === 0; round++) {
        graph.streaming.burst('z2', 50, 64 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(
        await eventually(async () => ((await heldByRouter(graph.router)).connections === 0 ? heldByRouter(graph.router) : undefined)),
      ).toEqual(NOTHING_HELD);
      await expect(res.text()).rejects.toThrow();
    } finally {
      await graph.stop();
    }
  });
});

describe('router: SSE streams at shutdown', () => {
  it('ends every open stream with SUBSCRIPTION_SERVER_SHUTDOWN and stops', async () => {
    const graph = await startSubscriptionGraph();
    try {
      const sub = sseSubscribe(sseClient(graph.url, graph.token('ivy')), STREAM, { id: 'x1' });
      await eventually(async () => (graph.router.subscriptions.subscriptions === 1 ? true : undefined));
      await graph.router.stop();
      expect(await sub.ended).toEqual({ kind: 'complete' });
      expect(codes(sub.events)).toEqual(['SUBSCRIPTION_SERVER_SHUTDOWN']);
      expect(await heldByRouter(graph.router)).toEqual(NOTHING_HELD);
    } finally {
      await graph.stop();
    }
  });
});
