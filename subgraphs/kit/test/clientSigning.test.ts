import {
  CLIENT_HEADER,
  createLogger,
  createSubgraph,
  MAX_CLIENT_USER_AGENT,
  NonceRegistry,
  signRequest,
  verifySignedRequest,
  type ClientInfo,
  type RequestContext,
  type Subgraph,
} from '../src';

const SECRET = 'client-signing-test-secret-0123456789';
const USER = { kind: 'user', userId: 'u1', role: 'USER', via: 'jwt' } as const;
const BODY = JSON.stringify({ query: '{ client { userAgent address } }' });
const CLIENT: ClientInfo = { userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', address: '203.0.113.7' };
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const reason = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { reason?: string }).reason;
  }
};

describe('client header signing', () => {
  const options = { maxSkewMs: 5000 };

  it('round-trips the client with the principal', () => {
    const headers = signRequest(SECRET, USER, BODY, Date.now(), CLIENT);
    expect(headers[CLIENT_HEADER]).toBeDefined();
    expect(verifySignedRequest(SECRET, headers, BODY, { ...options, nonces: new NonceRegistry(5000) })).toEqual({
      principal: USER,
      client: CLIENT,
    });
  });

  it('a request without client information verifies as before, with an unknown client', () => {
    const headers = signRequest(SECRET, USER, BODY);
    expect(headers[CLIENT_HEADER]).toBeUndefined();
    expect(verifySignedRequest(SECRET, headers, BODY, options)).toEqual({ principal: USER, client: { userAgent: null, address: null } });
    // Nothing known is nothing sent.
    expect(signRequest(SECRET, USER, BODY, Date.now(), { userAgent: null, address: null })[CLIENT_HEADER]).toBeUndefined();
  });

  it('refuses a client header added, altered or removed after signing', () => {
    const unsigned = signRequest(SECRET, USER, BODY);
    expect(reason(() => verifySignedRequest(SECRET, { ...unsigned, [CLIENT_HEADER]: encode(CLIENT) }, BODY, options))).toBe(
      'bad-signature',
    );
    const signed = signRequest(SECRET, USER, BODY, Date.now(), CLIENT);
    const altered = { ...signed, [CLIENT_HEADER]: encode({ ...CLIENT, address: '198.51.100.1' }) };
    expect(reason(() => verifySignedRequest(SECRET, altered, BODY, options))).toBe('bad-signature');
    const removed: Record<string, string> = { ...signed };
    delete removed[CLIENT_HEADER];
    expect(reason(() => verifySignedRequest(SECRET, removed, BODY, options))).toBe('bad-signature');
    expect(reason(() => verifySignedRequest(SECRET, { ...signed, [CLIENT_HEADER]: '' }, BODY, options))).toBe('bad-signature');
  });

  it('caps the user agent it signs', () => {
    const headers = signRequest(SECRET, USER, BODY, Date.now(), { userAgent: 'x'.repeat(1000), address: null });
    const { client } = verifySignedRequest(SECRET, headers, BODY, options);
    expect(client).toEqual({ userAgent: 'x'.repeat(MAX_CLIENT_USER_AGENT), address: null });
  });
});

describe('ctx.client in a subgraph', () => {
  let subgraph: Subgraph;
  let url: string;

  beforeAll(async () => {
    subgraph = createSubgraph<RequestContext>({
      name: 'client-test',
      typeDefs: /* GraphQL */ `
        type Client {
          userAgent: String
          address: String
        }
        type Query {
          client: Client!
        }
      `,
      logger: createLogger({ name: 'client-test', level: 'silent' }),
      signingSecret: SECRET,
      context: (base) => base,
      resolvers: { Query: { client: (_p: unknown, _a: unknown, ctx: RequestContext) => ctx.client } },
    });
    url = `${await subgraph.start()}/graphql`;
  });
  afterAll(() => subgraph.stop());

  async function post(headers: Record<string, string>): Promise<{ status: number; json: { data?: unknown } }> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
    return { status: res.status, json: (await res.json()) as never };
  }

  it('hands resolvers the signed client, over HTTP and in process', async () => {
    expect((await post(signRequest(SECRET, USER, BODY, Date.now(), CLIENT))).json.data).toEqual({ client: CLIENT });
    const reply = await subgraph.serveInProcess(
      { 'content-type': 'application/json', ...signRequest(SECRET, USER, BODY, Date.now(), CLIENT) },
      BODY,
    );
    expect(JSON.parse(reply.body)).toEqual({ data: { client: CLIENT } });
    expect((await post(signRequest(SECRET, USER, BODY))).json.data).toEqual({ client: { userAgent: null, address: null } });
  });

  it('refuses a forged client header with 401', async () => {
    const forged = { ...signRequest(SECRET, USER, BODY), [CLIENT_HEADER]: encode(CLIENT) };
    expect((await post(forged)).status).toBe(401);
  });
});
