/**
 * What clients nobody here wrote expect of `/graphql`: CORS for browser apps on another origin
 * (and the same list guarding WebSocket upgrades), subscriptions sent over HTTP as JSON refused
 * with a pointer to the transports that serve them (subscriptionsSse/Multipart tests serve them), 401/413 in the media type the client asked for (Apollo Client 4 with its
 * own Accept), the credential shapes of `connection_init`, and API keys in `X-API-Key`.
 */
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { captureLogs } from './support/logs';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

/** The Accept header Apollo Client 4's HttpLink sends for queries and mutations. */
const APOLLO_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

const APP = 'http://app.example.com';
const SUBSCRIPTION = 'subscription { messageStream(messageId: "m1") { seq delta } }';

interface Body {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string; use?: string } }>;
}

let graph: SubscriptionGraph;
let graphqlUrl: string;
const logs = captureLogs('router');

beforeAll(async () => {
  graph = await startSubscriptionGraph({
    logger: logs.logger,
    limits: { maxBodyBytes: 2048 },
    cors: { origins: [APP, 'https://*.preview.example.com', 'http://localhost:*'], credentials: true, maxAgeSeconds: 321 },
  });
  graphqlUrl = `${graph.url}/graphql`;
});
afterAll(() => graph?.stop());

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('CORS', () => {
  it('answers a preflight from an allowed origin with 204, the allowed headers and a max-age', async () => {
    const res = await fetch(graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('authorization'));
    expect(res.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('content-type'));
    expect(res.headers.get('access-control-max-age')).toBe('321');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('lets allowed origins (exact and patterns) read answers, and nobody else', async () => {
    for (const origin of [APP, 'https://pr-12.preview.example.com', 'http://localhost:5173']) {
      const res = await post({ query: '{ streamingPing }' }, { origin });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id');
      expect(res.headers.get('vary')).toBe('Origin');
    }
    for (const origin of [
      'http://evil.example.com',
      'https://preview.example.com',
      'https://a.preview.example.com.evil.com',
      'http://app.example.com:8080',
      'https://app.example.com',
    ]) {
      const res = await post({ query: '{ streamingPing }' }, { origin });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('vary')).toBe('Origin');
      const preflight = await fetch(graphqlUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    }
  });

  it('keeps CSRF prevention for allowed origins: a simple-content-type POST is still refused', async () => {
    const res = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ streamingPing }' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Body).errors?.[0]?.message).toMatch(/CSRF/);
  });

  it('refuses a WebSocket upgrade from an origin the list refuses, and accepts allowed or no Origin', async () => {
    const opened = (origin: string | undefined): Promise<number | 'open'> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${graph.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', origin ? { origin } : {});
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
    expect(await opened('http://evil.example.com')).toBe(403);
    expect(await opened(APP)).toBe('open');
    expect(await opened(undefined)).toBe('open');
  });
});

describe('subscriptions sent over HTTP', () => {
  it('asking for JSON, or for a stream the router does not serve, are refused with a coded 4xx naming the transports that serve them, without an error log', async () => {
    const before = logs.lines.length;
    const res = await post({ query: SUBSCRIPTION });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Body;
    expect(body.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      use: 'graphql-transport-ws, text/event-stream, multipart/mixed;subscriptionSpec=1.0',
    });
    expect(body.errors?.[0]?.message).toMatch(/graphql-ws.*text\/event-stream.*subscriptionSpec=1\.0/);
    // Incremental delivery (@defer) only: 406, naming what is served.
    const deferOnly = await post({ query: SUBSCRIPTION }, { accept: 'multipart/mixed;deferSpec=20220824' });
    expect(deferOnly.status).toBe(406);
    expect(((await deferOnly.json()) as Body).errors?.[0]).toMatchObject({
      message: expect.stringMatching(/text\/event-stream/),
      extensions: { code: 'BAD_USER_INPUT', use: 'application/json' },
    });
    expect(logs.lines.slice(before).filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });

  it('refuses the legacy subscriptions-transport-ws subprotocol with a readable close reason', async () => {
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(`${graph.url.replace(/^http/, 'ws')}/graphql`, 'graphql-ws');
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      ws.on('error', () => undefined);
    });
    expect(closed.code).toBe(4406);
    expect(closed.reason).toMatch(/subscriptions-transport-ws is not served: use a graphql-ws client/);
  });
});

describe('error answers in the media type asked for', () => {
  const apollo = (headers: Record<string, string> = {}): ApolloClient =>
    new ApolloClient({ link: new HttpLink({ uri: graphqlUrl, headers }), cache: new InMemoryCache() });

  it('401: graphql-response+json for Apollo Client 4, which surfaces extensions.code', async () => {
    const res = await post({ query: '{ streamingPing }' }, { accept: APOLLO_ACCEPT, authorization: 'Bearer not-a-token' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const error = await apollo({ authorization: 'Bearer not-a-token' })
      .query({ query: gql('{ streamingPing }') })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    expect((error as CombinedGraphQLErrors).errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('413: graphql-response+json for Apollo Client 4, which surfaces extensions.code', async () => {
    const name = `Big${'x'.repeat(4096)}`;
    const big = { query: `query ${name} { streamingPing }` };
    const res = await post(big, { accept: APOLLO_ACCEPT });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(((await res.json()) as Body).errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    // Chunked (no content-length): found too large while reading, answered in the same type.
    const chunked = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: APOLLO_ACCEPT },
      body: new Blob([JSON.stringify(big)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(chunked.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(((await chunked.json()) as Body).errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    const plain = await post(big);
    expect(plain.status).toBe(413);
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    const error = await apollo()
      .query({ query: gql(big.query) })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    expect((error as CombinedGraphQLErrors).errors[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('credentials', () => {
  /** The principal the router forwarded for a query over a graphql-ws socket opened with `params`, or how the socket closed. */
  const principalOverSocket = async (params: Record<string, unknown>): Promise<unknown> => {
    const client = createClient({
      url: `${graph.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: params,
      retryAttempts: 0,
    });
    try {
      return await new Promise((resolve) => {
        client.subscribe<{ principal: string }>(
          { query: '{ principal }' },
          {
            next: (result) => resolve(result.data ? (JSON.parse(result.data.principal) as unknown) : result.errors),
            error: (err) => resolve({ kind: 'closed', code: (err as { code?: number }).code }),
            complete: () => undefined,
          },
        );
      });
    } finally {
      await client.dispose();
    }
  };

  it('connection_init accepts authorization, Authorization, headers.authorization and a bare token', async () => {
    const token = graph.token('ann');
    for (const params of [
      { authorization: `Bearer ${token}` },
      { Authorization: `Bearer ${token}` },
      { headers: { authorization: `Bearer ${token}` } },
      { headers: { Authorization: `Bearer ${token}` } },
      { authorization: token },
      { token },
    ]) {
      expect(await principalOverSocket(params)).toMatchObject({ kind: 'user', userId: 'ann', via: 'jwt' });
    }
  });

  it('connection_init accepts an API key in the same shapes', async () => {
    const key = graph.identity.issueApiKey('bob', ['read']);
    for (const params of [{ authorization: `Bearer ${key}` }, { authorization: key }, { headers: { 'x-api-key': key } }, { apiKey: key }]) {
      expect(await principalOverSocket(params)).toMatchObject({ kind: 'user', userId: 'bob', via: 'apiKey' });
    }
  });

  it('connection_init with two different credentials or a non-string one is refused (4401), not anonymous', async () => {
    for (const params of [{ authorization: graph.token('ann'), headers: { authorization: graph.token('bob') } }, { authorization: 42 }]) {
      expect(await principalOverSocket(params)).toMatchObject({ kind: 'closed', code: 4401 });
    }
  });

  it('an API key in X-API-Key authenticates over HTTP; a bad one is refused, never anonymous', async () => {
    const key = graph.identity.issueApiKey('carol', ['read']);
    const ok = (await (await post({ query: '{ principal }' }, { 'x-api-key': key })).json()) as { data: { principal: string } };
    expect(JSON.parse(ok.data.principal)).toMatchObject({ kind: 'user', userId: 'carol', via: 'apiKey' });
    for (const headers of [
      { 'x-api-key': 'cgk_unknown_secret' } as Record<string, string>,
      { 'x-api-key': 'not-a-key' },
      { 'x-api-key': key, authorization: `Bearer ${graph.token('ann')}` },
    ]) {
      const res = await post({ query: '{ principal }' }, headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as Body).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
