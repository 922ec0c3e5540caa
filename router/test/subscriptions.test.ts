import { DEFAULT_SUBSCRIPTION_LIMITS, loadRouterConfig, routerDepsFromConfig } from '../src';
import { silentLogger } from './support/logs';
import { executedRequests } from './support/metrics';
import { endCode, wsClient } from './support/subscriptionsClient';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';
import { eventually } from './support/http';

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

describe('router: federated subscriptions over graphql-ws', () => {
  let graph: SubscriptionGraph;

  beforeAll(async () => {
    graph = await startSubscriptionGraph({ limits: { maxDepth: 5, maxAliases: 2, maxCost: 50 } });
  });
  afterAll(() => graph.stop());

  it('delivers every event in order, each hydrated from the other subgraph (nested entity included)', async () => {
    const client = graph.client(graph.token('alice'));
    const sub = client.subscribe(STREAM, { id: 'm1' });
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('m1', { seq: 1, delta: 'Hel', message: { id: 'm1' } });
    // Each event is hydrated when it is delivered: the status changes once the first one is out.
    await sub.received(1);
    graph.chat.setStatus('m1', 'COMPLETE');
    graph.streaming.publish('m1', { seq: 2, delta: 'lo', message: null });
    graph.streaming.publish('m1', { seq: 3, delta: '!', message: { id: 'm1' } });
    graph.streaming.end('m1');
    expect(await sub.ended).toEqual({ kind: 'complete' });
    expect(sub.events).toEqual([
      {
        data: {
          messageStream: {
            seq: 1,
            delta: 'Hel',
            message: {
              id: 'm1',
              status: 'STREAMING',
              readBy: 'alice',
              conversation: { title: 'Title of conversation-of-m1', owner: 'alice' },
            },
          },
        },
      },
      { data: { messageStream: { seq: 2, delta: 'lo', message: null } } },
      {
        data: {
          messageStream: {
            seq: 3,
            delta: '!',
            message: {
              id: 'm1',
              status: 'COMPLETE',
              readBy: 'alice',
              conversation: { title: 'Title of conversation-of-m1', owner: 'alice' },
            },
          },
        },
      },
    ]);
  });

  it('forwards the principal to the owning subgraph, signed in connection_init', async () => {
    const client = graph.client(graph.token('bob'));
    const sub = client.subscribe('subscription { messageStream(messageId: "m2") { seq principal } }');
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('m2', { seq: 1, delta: 'a', message: null });
    await sub.received(1);
    expect(JSON.parse(String((sub.events[0]?.data?.messageStream as { principal: string }).principal))).toMatchObject({
      kind: 'user',
      userId: 'bob',
      via: 'jwt',
    });
    sub.unsubscribe();
    await eventually(async () => (graph.streaming.active() === 0 ? true : undefined));
  });

  it('serves anonymous callers when connection_init carries no token', async () => {
    const client = graph.client();
    const sub = client.subscribe('subscription { messageStream(messageId: "m3") { seq principal } }');
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('m3', { seq: 1, delta: 'a', message: null });
    await sub.received(1);
    expect((sub.events[0]?.data?.messageStream as { principal: string }).principal).toBe('{"kind":"anonymous"}');
    sub.unsubscribe();
    await eventually(async () => (graph.streaming.active() === 0 ? true : undefined));
  });

  it('closes the socket with 4401 for an invalid or expired token, before any subgraph is contacted', async () => {
    const before = graph.streaming.opened.length;
    for (const token of ['not-a-token', graph.token('carol', -10)]) {
      const client = graph.client(token);
      const sub = client.subscribe('subscription { messageStream(messageId: "m4") { seq } }');
      expect(await sub.ended).toMatchObject({ kind: 'closed', code: 4401 });
    }
    expect(graph.streaming.opened.length).toBe(before);
  });

  it('accepts an API key under `Authorization` too (read-only keys may subscribe); identity down closes with 1013', async () => {
    const key = graph.identity.issueApiKey('kim', []);
    const capitalised = wsClient(graph.url, { Authorization: `Bearer ${key}` });
    const sub = capitalised.subscribe('subscription { messageStream(messageId: "k1") { seq principal } }');
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('k1', { seq: 1, delta: 'a', message: null });
    await sub.received(1);
    expect(JSON.parse(String((sub.events[0]?.data?.messageStream as { principal: string }).principal))).toMatchObject({
      kind: 'user',
      userId: 'kim',
      via: 'apiKey',
    });
    sub.unsubscribe();
    await capitalised.dispose();
    await eventually(async () => (graph.streaming.active() === 0 ? true : undefined));

    graph.identity.failVerification(true);
    try {
      const refused = await graph
        .client(graph.identity.issueApiKey('kim', []))
        .subscribe('subscription { messageStream(messageId: "k2") { seq } }').ended;
      expect(refused).toMatchObject({ kind: 'closed', code: 1013 });
    } finally {
      graph.identity.failVerification(false);
    }
  });

  it('refuses invalid and over-limit subscriptions with coded errors, contacting no subgraph', async () => {
    const client = graph.client(graph.token('dave'));
    const before = { streaming: graph.streaming.opened.length, chat: await executedRequests(graph.chat.subgraph) };
    const cases: Array<[string, Record<string, unknown> | undefined, Record<string, unknown>]> = [
      ['subscription { nope }', undefined, { code: 'BAD_USER_INPUT' }],
      [
        'subscription { a: messageStream(messageId: "x") { seq } b: messageStream(messageId: "y") { seq } }',
        undefined,
        { code: 'BAD_USER_INPUT' },
      ],
      ['subscription($id: ID!) { messageStream(messageId: $id) { seq } }', { id: 5.5 }, { code: 'BAD_USER_INPUT' }],
      [
        'subscription($n: Int) { messageStream(messageId: "x") { message { conversation { messages(first: $n) { id } } } } }',
        { n: 1000 },
        { code: 'BAD_USER_INPUT', limit: 'cost', max: 50 },
      ],
      [
        'subscription { messageStream(messageId: "x") { message { conversation { latest { conversation { title } } } } } }',
        undefined,
        { code: 'BAD_USER_INPUT', limit: 'depth', max: 5, actual: 6 },
      ],
      [
        'subscription { messageStream(messageId: "x") { a: seq b: seq c: seq } }',
        undefined,
        { code: 'BAD_USER_INPUT', limit: 'aliases', max: 2, actual: 3 },
      ],
      [
        'subscription { messageStream(messageId: "x") { message { conversation { messages(first: 100) { id } } } } }',
        undefined,
        { code: 'BAD_USER_INPUT', limit: 'cost', max: 50 },
      ],
    ];
    for (const [query, variables, extensions] of cases) {
      const ending = await client.subscribe(query, variables).ended;
      expect(ending.kind).toBe('error');
      if (ending.kind === 'error') expect(ending.errors[0]?.extensions).toMatchObject(extensions);
    }
    expect(graph.streaming.opened.length).toBe(before.streaming);
    expect(await executedRequests(graph.chat.subgraph)).toBe(before.chat);
  });

  it('refuses a 5,000-deep document over the socket with a coded error, and the socket stays usable', async () => {
    const client = graph.client(graph.token('dora'));
    const deep = `subscription { messageStream(messageId: "x") { ${'message { conversation { latest { '.repeat(1700)}id${' } } }'.repeat(1700)} } }`;
    const ending = await client.subscribe(deep).ended;
    expect(ending).toEqual({
      kind: 'error',
      errors: [
        {
          message: 'Document nests brackets more than 256 levels deep',
          extensions: { code: 'BAD_USER_INPUT', limit: 'nesting', max: 256 },
        },
      ],
    });
    expect(await client.subscribe('{ me { id } }').ended).toEqual({ kind: 'complete' });
  });

  it('passes a coded error of the owning subgraph through with its code', async () => {
    const client = graph.client(graph.token('erin'));
    const sub = client.subscribe('subscription { messageStream(messageId: "m5") { seq } }');
    await eventually(async () => (graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('m5', { seq: 1, delta: 'a', message: null });
    graph.streaming.fail('m5', 'FORBIDDEN');
    const ending = await sub.ended;
    expect(sub.events).toHaveLength(1);
    expect(ending).toMatchObject({ kind: 'error', errors: [{ message: 'Not your message', extensions: { code: 'FORBIDDEN' } }] });
  });

  it('runs queries sent over the socket through the HTTP pipeline', async () => {
    const client = graph.client(graph.token('fay'));
    const sub = client.subscribe('{ me { id name } }');
    expect(await sub.ended).toEqual({ kind: 'complete' });
    expect(sub.events).toEqual([{ data: { me: { id: 'fay', name: 'User fay' } } }]);
    expect(endCode(await client.subscribe('{ nope }').ended)).toBe('BAD_USER_INPUT');
  });
});

describe('router: subscription configuration', () => {
  it('maps the SUBSCRIPTION_* variables to buildRouter, with documented defaults', () => {
    const secret = 'x'.repeat(32);
    expect(routerDepsFromConfig(loadRouterConfig({ INTERNAL_SIGNING_SECRET: secret }), silentLogger()).subscriptions).toEqual(
      DEFAULT_SUBSCRIPTION_LIMITS,
    );
    const config = loadRouterConfig({
      INTERNAL_SIGNING_SECRET: secret,
      SUBSCRIPTIONS_PER_CONNECTION: '3',
      SUBSCRIPTION_QUEUE_LIMIT: '7',
      SUBSCRIPTION_INIT_TIMEOUT_MS: '900',
      SUBSCRIPTION_UPSTREAM_HISTORY: '0',
      SUBSCRIPTION_SOCKETS_PER_USER: '2',
      SUBSCRIPTION_SOCKETS_PER_IP: '4',
      SUBSCRIPTIONS_PER_USER: '5',
      SUBSCRIPTIONS_PER_IP: '6',
      SUBSCRIPTION_QUEUE_BUDGET_BYTES: '2048',
    });
    expect(routerDepsFromConfig(config, silentLogger()).subscriptions).toEqual({
      maxSubscriptionsPerConnection: 3,
      queueLimit: 7,
      connectionInitTimeoutMs: 900,
      maxUpstreamHistory: 0,
      maxSocketsPerUser: 2,
      maxSocketsPerIp: 4,
      maxSubscriptionsPerUser: 5,
      maxSubscriptionsPerIp: 6,
      queueBudgetBytes: 2048,
    });
    expect(() => loadRouterConfig({ INTERNAL_SIGNING_SECRET: secret, SUBSCRIPTION_QUEUE_LIMIT: '0' })).toThrow(/SUBSCRIPTION_QUEUE_LIMIT/);
  });
});
