import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { codedError, createLogger, createSubgraph, requireUser, signConnectionParams, type RequestContext, type Subgraph } from '../src';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const USER = { kind: 'user', userId: 'u1', role: 'USER', via: 'jwt' } as const;

const typeDefs = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query {
    ping: String!
  }
  type Subscription {
    count(to: Int!): Int!
    whoami: String!
    refused: Int!
    broken: Int!
  }
`;

async function* counter(to: number): AsyncGenerator<{ count: number }> {
  for (let n = 1; n <= to; n++) yield { count: n };
}

type Result = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

/** Runs one subscription to its end; resolves with the results and the error it ended with, if any. */
function collect(client: Client, query: string): Promise<{ results: Result[]; error?: unknown }> {
  const results: Result[] = [];
  return new Promise((resolve) => {
    client.subscribe<Record<string, unknown>>(
      { query },
      {
        next: (result) => results.push(result as Result),
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}

function clientFor(
  url: string,
  connectionParams: Record<string, string> | (() => Record<string, string>) | undefined,
  onClose?: (code: number) => void,
): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: onClose ? { closed: (event) => onClose((event as { code: number }).code) } : undefined,
  });
}

describe('createSubgraph subscriptions (graphql-ws)', () => {
  let subgraph: Subgraph;
  let url: string;

  beforeAll(async () => {
    subgraph = createSubgraph<RequestContext>({
      name: 'ticker',
      typeDefs,
      logger: createLogger({ name: 'ticker', level: 'silent' }),
      signingSecret: SECRET,
      context: (base) => base,
      resolvers: {
        Query: { ping: () => 'pong' },
        Subscription: {
          count: { subscribe: (_p: unknown, args: { to: number }) => counter(args.to) },
          whoami: {
            subscribe: async function* (_p: unknown, _a: unknown, ctx: RequestContext) {
              yield { whoami: requireUser(ctx).userId };
            },
            resolve: (event: { whoami: string }) => event.whoami,
          },
          refused: {
            subscribe: () => {
              throw codedError('FORBIDDEN', 'Not yours');
            },
          },
          broken: {
            subscribe: () => {
              throw new Error('redis://secret-host:6379 refused');
            },
          },
        },
      },
    });
    url = `${await subgraph.start()}/graphql`;
  });
  afterAll(() => subgraph.stop());

  it('serves a subscription to a router-signed connection, with the signed principal in context', async () => {
    // Signed per connection, as the router does: the lazy client reconnects for the second subscription.
    const client = clientFor(url, () => signConnectionParams(SECRET, USER));
    const counted = await collect(client, 'subscription { count(to: 3) }');
    const who = await collect(client, 'subscription { whoami }');
    await client.dispose();
    expect(counted.results.map((r) => r.data?.count)).toEqual([1, 2, 3]);
    expect(counted.error).toBeUndefined();
    expect(who.results).toEqual([{ data: { whoami: 'u1' } }]);
  });

  it('refuses a second socket opened with the same signed connection_init (a replay), with 4403', async () => {
    const params = signConnectionParams(SECRET, USER);
    const first = clientFor(url, params);
    expect((await collect(first, 'subscription { whoami }')).results).toEqual([{ data: { whoami: 'u1' } }]);
    await first.dispose();
    let closedWith: number | undefined;
    const replay = clientFor(url, params, (code) => (closedWith = code));
    const outcome = await collect(replay, 'subscription { whoami }');
    await replay.dispose();
    expect(outcome.results).toEqual([]);
    expect(closedWith).toBe(4403);
  });

  it.each([
    ['no payload', undefined],
    ['a wrong secret', signConnectionParams('another-secret-0123456789abcdef012345', USER)],
    ['a stale timestamp', signConnectionParams(SECRET, USER, Date.now() - 10 * 60_000)],
  ])('closes a connection with %s with 4403', async (_name, params) => {
    let closedWith: number | undefined;
    const client = clientFor(url, params, (code) => (closedWith = code));
    const outcome = await collect(client, 'subscription { count(to: 1) }');
    await client.dispose();
    expect(outcome.results).toEqual([]);
    expect(closedWith).toBe(4403);
  });

  it('sends a coded refusal from subscribe as an error message, and masks unknown errors', async () => {
    const client = clientFor(url, signConnectionParams(SECRET, USER));
    const refused = await collect(client, 'subscription { refused }');
    const broken = await collect(client, 'subscription { broken }');
    const invalid = await collect(client, 'subscription { nope }');
    await client.dispose();
    expect(refused.error).toEqual([expect.objectContaining({ message: 'Not yours', extensions: { code: 'FORBIDDEN' } })]);
    expect(broken.error).toEqual([expect.objectContaining({ message: 'Internal error', extensions: { code: 'INTERNAL' } })]);
    expect(JSON.stringify(broken.error)).not.toContain('secret-host');
    expect(invalid.error).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
  });

  it('ends open subscriptions with 1001 on stop', async () => {
    const local = createSubgraph<RequestContext>({
      name: 'endless',
      typeDefs: /* GraphQL */ `
        type Query {
          ping: String!
        }
        type Subscription {
          forever: Int!
        }
      `,
      logger: createLogger({ name: 'endless', level: 'silent' }),
      signingSecret: SECRET,
      context: (base) => base,
      resolvers: {
        Query: { ping: () => 'pong' },
        Subscription: {
          forever: {
            subscribe: async function* () {
              yield { forever: 1 };
              await new Promise(() => undefined);
            },
          },
        },
      },
    });
    const base = await local.start();
    let closedWith: number | undefined;
    const client = clientFor(`${base}/graphql`, signConnectionParams(SECRET, USER), (code) => (closedWith = code));
    const first = new Promise<void>((resolve) =>
      client.subscribe({ query: 'subscription { forever }' }, { next: () => resolve(), error: () => undefined, complete: () => undefined }),
    );
    await first;
    expect(local.subscriptionConnections).toBe(1);
    await local.stop();
    await client.dispose();
    expect(closedWith).toBe(1001);
    expect(local.subscriptionConnections).toBe(0);
  });
});
