/**
 * Subscriptions over Apollo's multipart HTTP protocol (`multipart/mixed;subscriptionSpec=1.0`),
 * tested with Apollo Client 4's own HttpLink and InMemoryCache: the same planner, hydration,
 * auth, caps and ends as over graphql-ws, on the same router.
 */
import { ApolloClient, CombinedGraphQLErrors, CombinedProtocolErrors, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { eventually } from './support/http';
import { heldByRouter } from './support/streamCounters';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

const STREAM = gql`
  subscription Stream($id: ID!, $after: Int) {
    messageStream(messageId: $id, after: $after) {
      seq
      delta
      message {
        id
        status
        content
      }
    }
  }
`;

interface Watched {
  readonly data: Array<Record<string, unknown>>;
  /** How it ended: completed, or the error Apollo Client surfaced. */
  readonly ended: Promise<{ error?: unknown }>;
  stop(): void;
}

function apollo(baseUrl: string, token?: string): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: `${baseUrl}/graphql`, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    cache: new InMemoryCache(),
  });
}

function watch(client: ApolloClient, variables: Record<string, unknown>): Watched {
  const data: Array<Record<string, unknown>> = [];
  let stop: () => void = () => undefined;
  const ended = new Promise<{ error?: unknown }>((resolve) => {
    const subscription = client.subscribe({ query: STREAM, variables }).subscribe({
      next: (result) => {
        if (result.error) resolve({ error: result.error });
        else if (result.data) data.push(result.data as Record<string, unknown>);
      },
      error: (error: unknown) => resolve({ error }),
      complete: () => resolve({}),
    });
    stop = () => subscription.unsubscribe();
  });
  return { data, ended, stop };
}

describe('router: subscriptions over multipart HTTP (Apollo Client 4)', () => {
  let graph: SubscriptionGraph;
  beforeAll(async () => {
    graph = await startSubscriptionGraph({ subscriptions: { maxSocketsPerUser: 1, keepAliveMs: 50 } });
  });
  afterAll(() => graph.stop());

  it('streams every event hydrated, completes, and the cache holds the final state of the message', async () => {
    const client = apollo(graph.url, graph.token('alice'));
    const sub = watch(client, { id: 'p1' });
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('p1', { seq: 1, delta: 'Hel', message: { id: 'p1' } });
    await eventually(async () => (sub.data.length === 1 ? true : undefined));
    graph.chat.setStatus('p1', 'COMPLETE');
    graph.streaming.publish('p1', { seq: 2, delta: 'lo', message: null });
    graph.streaming.publish('p1', { seq: 3, delta: '!', message: { id: 'p1' } });
    graph.streaming.end('p1');
    expect(await sub.ended).toEqual({});
    expect(sub.data.map((d) => (d.messageStream as { seq: number }).seq)).toEqual([1, 2, 3]);
    expect((client.cache.extract() as Record<string, unknown>)['Message:p1']).toMatchObject({ id: 'p1', status: 'COMPLETE' });
    // Resume: only what came after seq 1.
    const resumed = watch(client, { id: 'p1', after: 1 });
    expect(await resumed.ended).toEqual({});
    expect(resumed.data.map((d) => (d.messageStream as { seq: number }).seq)).toEqual([2, 3]);
  });

  it('surfaces a refused token as a GraphQL error with its code (a coded 401, no stream opened)', async () => {
    const opened = graph.streaming.opened.length;
    const { error } = await watch(apollo(graph.url, `${graph.token('bob').slice(0, -4)}AAAA`), { id: 'p2' }).ended;
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    expect((error as CombinedGraphQLErrors).errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(graph.streaming.opened.length).toBe(opened);
  });

  it('ends with a protocol error carrying the code when the subscription fails upstream or the socket cap is hit', async () => {
    const token = graph.token('carl');
    const first = watch(apollo(graph.url, token), { id: 'p3' });
    await eventually(async () => (graph.router.subscriptions.subscriptions === 1 ? true : undefined));
    const { error: capped } = await watch(apollo(graph.url, token), { id: 'p4' }).ended;
    expect(CombinedGraphQLErrors.is(capped)).toBe(true);
    expect((capped as CombinedGraphQLErrors).errors[0]?.extensions).toEqual({ code: 'RATE_LIMITED', limit: 'socketsPerUser', max: 1 });
    graph.streaming.fail('p3', 'FORBIDDEN');
    const { error } = await first.ended;
    expect(CombinedProtocolErrors.is(error)).toBe(true);
    expect((error as CombinedProtocolErrors).errors[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('frees every count when the client unsubscribes', async () => {
    const sub = watch(apollo(graph.url, graph.token('dora')), { id: 'p5' });
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('p5', { seq: 1, delta: 'a', message: null });
    await eventually(async () => (sub.data.length === 1 ? true : undefined));
    sub.stop();
    expect(
      await eventually(async () => ((await heldByRouter(graph.router)).upstreams === 0 ? heldByRouter(graph.router) : undefined)),
    ).toEqual({ subscriptions: 0, upstreams: 0, connections: 0, queuedBytes: 0 });
  });

  it('still answers queries as JSON to the Accept header Apollo Client sends', async () => {
    const { data } = await apollo(graph.url, graph.token('eve')).query({
      query: gql`
        {
          streamingPing
        }
      `,
    });
    expect(data).toEqual({ streamingPing: expect.any(String) });
  });
});

describe('router: multipart and SSE answers to a browser on another origin', () => {
  it('carry the CORS headers of any other answer, for an allowed origin only', async () => {
    const app = 'http://app.example.com';
    const graph = await startSubscriptionGraph({ cors: { origins: [app], credentials: false, maxAgeSeconds: 60 } });
    try {
      const open = async (accept: string, origin: string): Promise<Response> => {
        const controller = new AbortController();
        const res = await fetch(`${graph.url}/graphql`, {
          method: 'POST',
          signal: controller.signal,
          headers: { 'content-type': 'application/json', accept, origin, authorization: `Bearer ${graph.token('web')}` },
          body: JSON.stringify({ query: 'subscription { messageStream(messageId: "c1") { seq } }' }),
        });
        controller.abort();
        return res;
      };
      for (const accept of ['multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json', 'text/event-stream']) {
        const allowed = await open(accept, app);
        expect(allowed.status).toBe(200);
        expect(allowed.headers.get('content-type')).toMatch(/^(multipart\/mixed|text\/event-stream)/);
        expect(allowed.headers.get('access-control-allow-origin')).toBe(app);
        expect(allowed.headers.get('access-control-expose-headers')).toContain('x-request-id');
        expect(allowed.headers.get('vary')).toBe('Origin');
        const refused = await open(accept, 'http://evil.example.com');
        expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      }
      await eventually(async () => (graph.router.subscriptions.subscriptions === 0 ? true : undefined));
    } finally {
      await graph.stop();
    }
  });
});
