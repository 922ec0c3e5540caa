import { Writable } from 'node:stream';
import {
  createLogger,
  createSubgraph,
  codedError,
  NotServingError,
  requireUser,
  signRequest,
  signedGraphQL,
  type RequestContext,
  type Subgraph,
} from '../src';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const USER = { kind: 'user', userId: 'u1', role: 'USER', via: 'jwt' } as const;

const typeDefs = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query {
    whoami: String!
    boom: String!
    denied: String!
    slow(ms: Int!): String!
  }
  type Thing @key(fields: "id") {
    id: ID!
    owner: String!
  }
`;

function captureLogs(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('createSubgraph', () => {
  let subgraph: Subgraph;
  let url: string;
  const logs = captureLogs();

  beforeAll(async () => {
    subgraph = createSubgraph<RequestContext>({
      name: 'test',
      typeDefs,
      logger: createLogger({ name: 'test', destination: logs.stream }),
      signingSecret: SECRET,
      context: (base) => base,
      resolvers: {
        Query: {
          whoami: (_p: unknown, _a: unknown, ctx: RequestContext) => requireUser(ctx).userId,
          boom: () => {
            throw new Error('connection to mongodb://secret-host:27017 refused');
          },
          denied: () => {
            throw codedError('FORBIDDEN', 'Not yours');
          },
          slow: async (_p: unknown, args: { ms: number }) => {
            await new Promise((r) => setTimeout(r, args.ms));
            return 'done';
          },
        },
        Thing: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, owner: 'someone' }) },
      },
    });
    url = `${await subgraph.start()}/graphql`;
  });
  afterAll(() => subgraph.stop());

  async function post(
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; json: { data?: unknown; errors?: Array<{ extensions: { code: string } }> } }> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, json: (await res.json()) as never };
  }

  it('serves a signed request with the signed principal', async () => {
    const res = await signedGraphQL(url, SECRET, USER, '{ whoami }');
    expect(res.data).toEqual({ whoami: 'u1' });
  });

  it('refuses a request without a signature, including _service and _entities', async () => {
    for (const query of [
      '{ whoami }',
      '{ _service { sdl } }',
      '{ _entities(representations: [{__typename: "Thing", id: "1"}]) { ... on Thing { owner } } }',
    ]) {
      const res = await post(JSON.stringify({ query }), {});
      expect(res.status).toBe(401);
      expect(res.json.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
      expect(res.json.data).toBeUndefined();
    }
  });

  it('refuses a tampered principal', async () => {
    const body = JSON.stringify({ query: '{ whoami }' });
    const headers = signRequest(SECRET, USER, body);
    headers['x-chatgraph-principal'] = Buffer.from(JSON.stringify({ ...USER, role: 'ADMIN' })).toString('base64url');
    expect((await post(body, headers)).json.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a signature made with another secret', async () => {
    const body = JSON.stringify({ query: '{ whoami }' });
    expect((await post(body, signRequest('another-secret-0123456789abcdef012345', USER, body))).status).toBe(401);
  });

  it('refuses a stale signature', async () => {
    const body = JSON.stringify({ query: '{ whoami }' });
    const res = await post(body, signRequest(SECRET, USER, body, Date.now() - 120_000));
    expect(res.status).toBe(401);
  });

  it('refuses a signed request replayed as it was, with UNAUTHENTICATED', async () => {
    const body = JSON.stringify({ query: '{ whoami }' });
    const headers = signRequest(SECRET, USER, body);
    expect((await post(body, headers)).json.data).toEqual({ whoami: 'u1' });
    const replayed = await post(body, headers);
    expect(replayed.status).toBe(401);
    expect(replayed.json.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    // The same request signed again (a new nonce) is served: only the copy is refused.
    expect((await post(body, signRequest(SECRET, USER, body))).json.data).toEqual({ whoami: 'u1' });
  });

  it('refuses a timestamp outside ±5 s, in the future as in the past', async () => {
    const body = JSON.stringify({ query: '{ whoami }' });
    for (const offset of [29_000, 6_000, -6_000]) {
      const res = await post(body, signRequest(SECRET, USER, body, Date.now() + offset));
      expect(res.status).toBe(401);
      expect(res.json.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses a signature replayed on another body', async () => {
    const signedBody = JSON.stringify({ query: '{ whoami }' });
    const headers = signRequest(SECRET, USER, signedBody);
    const res = await post(JSON.stringify({ query: '{ _service { sdl } }' }), headers);
    expect(res.status).toBe(401);
  });

  it('masks unknown errors as INTERNAL with a request id, and logs them', async () => {
    const res = await signedGraphQL(url, SECRET, USER, '{ boom }');
    const error = res.errors?.[0];
    expect(error?.message).toBe('Internal error');
    expect(error?.extensions?.code).toBe('INTERNAL');
    expect(JSON.stringify(res)).not.toMatch(/mongodb|secret-host|stack/i);
    const requestId = error?.extensions?.requestId as string;
    expect(requestId).toBeTruthy();
    expect(logs.lines.some((l) => l.includes(requestId) && l.includes('secret-host'))).toBe(true);
  });

  it('keeps deliberate error codes', async () => {
    const res = await signedGraphQL(url, SECRET, USER, '{ denied }');
    expect(res.errors?.[0]).toMatchObject({ message: 'Not yours', extensions: { code: 'FORBIDDEN' } });
  });

  describe('in process (the embedded router, without a socket)', () => {
    const inProcess = (query: string, headers?: Record<string, string>, body = JSON.stringify({ query })) =>
      subgraph.serveInProcess({ 'content-type': 'application/json', ...(headers ?? signRequest(SECRET, USER, body)) }, body);

    it('answers a signed request as /graphql does', async () => {
      const body = JSON.stringify({ query: '{ whoami }' });
      const sign = () => ({ 'content-type': 'application/json', ...signRequest(SECRET, USER, body) });
      const overHttp = await fetch(url, { method: 'POST', headers: sign(), body });
      const reply = await subgraph.serveInProcess(sign(), body);
      expect(reply).toEqual({ status: overHttp.status, body: await overHttp.text() });
      expect(JSON.parse(reply.body)).toEqual({ data: { whoami: 'u1' } });
    });

    it('refuses an unsigned, tampered or replayed request with UNAUTHENTICATED', async () => {
      const body = JSON.stringify({ query: '{ _service { sdl } }' });
      const signedOther = signRequest(SECRET, USER, JSON.stringify({ query: '{ whoami }' }));
      const once = signRequest(SECRET, USER, body);
      expect((await inProcess('', once, body)).status).toBe(200);
      // `once` again is a replay: refused in process as over HTTP (over HTTP too, one registry for both).
      for (const headers of [{}, { ...signRequest(SECRET, USER, body), 'x-chatgraph-principal': 'e30' }, signedOther, once]) {
        const reply = await inProcess('', headers, body);
        expect(reply.status).toBe(401);
        expect(JSON.parse(reply.body)).toEqual({
          errors: [{ message: 'Request must come through the router', extensions: { code: 'UNAUTHENTICATED' } }],
        });
      }
    });

    it('refuses a body over the limit with PAYLOAD_TOO_LARGE before checking anything else', async () => {
      const reply = await inProcess('', {}, JSON.stringify({ query: `{ whoami } # ${'x'.repeat(1_100_000)}` }));
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('masks unknown errors and keeps coded ones, like /graphql', async () => {
      expect(JSON.parse((await inProcess('{ boom }')).body).errors[0]).toMatchObject({
        message: 'Internal error',
        extensions: { code: 'INTERNAL' },
      });
      expect(JSON.parse((await inProcess('{ denied }')).body).errors[0]).toMatchObject({
        message: 'Not yours',
        extensions: { code: 'FORBIDDEN' },
      });
    });
  });

  it('reports health, readiness and metrics', async () => {
    const base = url.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/graphql_requests_total\{[^}]*operation="anonymous"/);
    expect(metrics).toMatch(/graphql_errors_total\{[^}]*code="INTERNAL"/);
  });
});

describe('readiness', () => {
  it('counts a check that does not answer in time as failed, and names it, instead of leaving /readyz hanging', async () => {
    const hung = new Promise<void>(() => undefined);
    const subgraph = createSubgraph<RequestContext>({
      name: 'stalled',
      typeDefs,
      logger: createLogger({ name: 'stalled', level: 'silent' }),
      signingSecret: SECRET,
      context: (base) => base,
      resolvers: { Query: { whoami: () => 'x' } },
      readiness: [
        { name: 'answers', check: async () => undefined },
        { name: 'never-answers', check: () => hung },
        { name: 'refuses', check: () => Promise.reject(new Error('down')) },
      ],
    });
    const base = await subgraph.start();
    try {
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { failed: string[] };
      expect(body.failed.sort()).toEqual(['never-answers', 'refuses']);
    } finally {
      await subgraph.stop();
    }
  });
});

describe('graceful shutdown', () => {
  /** A subgraph with one slow field, to have requests in flight when it stops. */
  const slowSubgraph = (name: string): Subgraph =>
    createSubgraph<RequestContext>({
      name,
      typeDefs,
      logger: createLogger({ name, level: 'silent' }),
      signingSecret: SECRET,
      context: (base) => base,
      resolvers: {
        Query: {
          slow: async (_p: unknown, args: { ms: number }) => {
            await new Promise((r) => setTimeout(r, args.ms));
            return 'done';
          },
        },
      },
    });

  it('drains in-flight requests, then refuses new ones', async () => {
    const subgraph = slowSubgraph('drain');
    const base = await subgraph.start();
    const inFlight = signedGraphQL(`${base}/graphql`, SECRET, USER, '{ slow(ms: 300) }');
    await new Promise((r) => setTimeout(r, 50));
    const stopping = subgraph.stop();
    await expect(inFlight).resolves.toMatchObject({ data: { slow: 'done' } });
    await stopping;
    await expect(signedGraphQL(`${base}/graphql`, SECRET, USER, '{ slow(ms: 1) }')).rejects.toThrow();
  });

  it('drains in-process requests too, then refuses them as not serving', async () => {
    const subgraph = slowSubgraph('drain-in-process');
    const call = (query: string) => {
      const body = JSON.stringify({ query });
      return subgraph.serveInProcess({ 'content-type': 'application/json', ...signRequest(SECRET, USER, body) }, body);
    };
    await expect(call('{ slow(ms: 1) }')).rejects.toBeInstanceOf(NotServingError);
    await subgraph.start();
    const order: string[] = [];
    const inFlight = call('{ slow(ms: 300) }').then((reply) => {
      order.push('answered');
      return reply;
    });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = subgraph.stop().then(() => order.push('stopped'));
    const reply = await inFlight;
    expect(JSON.parse(reply.body)).toEqual({ data: { slow: 'done' } });
    await stopping;
    expect(order).toEqual(['answered', 'stopped']);
    await expect(call('{ slow(ms: 1) }')).rejects.toBeInstanceOf(NotServingError);
  });
});
