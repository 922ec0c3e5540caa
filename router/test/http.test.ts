import { getIntrospectionQuery } from 'graphql';
import { deadUrl, errorCode } from './support/http';
import { startTestGraph, startTestRouter, type TestGraph } from './support/testGraph';

describe('router: HTTP surface', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startTestGraph();
  });
  afterAll(() => graph.stop());

  it('serves an offline landing page at / and to browsers on GET /graphql', async () => {
    for (const [path, accept] of [
      ['/', '*/*'],
      ['/graphql', 'text/html,application/xhtml+xml'],
    ] as const) {
      const res = await fetch(`${graph.router.url}${path}`, { headers: { accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('<textarea id="query"');
      expect(html).toContain('id="authorization"');
      expect(html).toContain("fetch('/graphql'");
      expect(html).not.toMatch(/https?:\/\//);
      expect(html).not.toMatch(/<script[^>]+src/i);
      expect(html).not.toMatch(/<link[^>]+href/i);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    }
  });

  it('runs queries over GET (with a CSRF-safe header) and refuses mutations over GET', async () => {
    const get = (query: string): Promise<Response> =>
      fetch(`${graph.router.graphqlUrl}?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true' } });
    const res = await get('{ requestId }');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { requestId: string } }).data.requestId).toEqual(expect.any(String));
    const mutation = await get('mutation { rename(name: "x") { id } }');
    expect(mutation.status).toBe(405);
    const withoutPreflight = await fetch(`${graph.router.graphqlUrl}?query=${encodeURIComponent('{ requestId }')}`);
    expect(withoutPreflight.status).toBe(400);
  });

  it('speaks automatic persisted queries: an unknown hash asks for the query, then the hash alone works', async () => {
    const query = '{ principal }';
    const { createHash } = await import('node:crypto');
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const post = async (body: object): Promise<{ data?: unknown; errors?: Array<{ extensions?: { code?: string } }> }> =>
      (
        await fetch(graph.router.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json() as never;
    expect((await post({ extensions })).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post({ query, extensions })).data).toEqual({ principal: '{"kind":"anonymous"}' });
    expect((await post({ extensions })).data).toEqual({ principal: '{"kind":"anonymous"}' });
  });

  it('refuses a body that is not JSON', async () => {
    const res = await fetch(graph.router.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('answers introspection outside production', async () => {
    const res = await graph.router.query(getIntrospectionQuery());
    expect(res.status).toBe(200);
    expect(res.body.data?.__schema).toBeDefined();
  });

  it('reports health, readiness and metrics', async () => {
    expect((await fetch(`${graph.router.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${graph.router.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', failed: [] });
    await graph.router.query('query WhoAmI { principal }');
    await graph.router.query('{ denied }');
    await graph.router.query('{ principal }', { token: 'cgk_nope_nope' });
    const metrics = await (await fetch(`${graph.router.url}/metrics`)).text();
    expect(metrics).toMatch(/graphql_requests_total\{[^}]*operation="WhoAmI"[^}]*\} 1/);
    expect(metrics).toMatch(/graphql_request_duration_seconds_bucket\{[^}]*operation="WhoAmI"/);
    expect(metrics).toMatch(/graphql_errors_total\{[^}]*code="FORBIDDEN"/);
    expect(metrics).toMatch(/graphql_errors_total\{[^}]*code="UNAUTHENTICATED"/);
    expect(metrics).toMatch(/process_cpu_seconds_total/);
  });

  it('is not ready, and answers UNAVAILABLE, when a subgraph is down', async () => {
    await graph.profiles.stop();
    const ready = await fetch(`${graph.router.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not-ready', failed: ['profiles'] });
    const res = await graph.router.query('{ denied }');
    expect(res.status).toBe(200);
    expect(res.body.data).toBeNull();
    expect(errorCode(res)).toBe('UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|profiles/);
    // The rest of the graph still answers.
    expect((await graph.router.query('{ principal }')).body.data?.principal).toBe('{"kind":"anonymous"}');
  });
});

describe('router: subgraph timeouts', () => {
  it('answers UNAVAILABLE when a subgraph does not answer in time', async () => {
    const graph = await startTestGraph({ subgraphTimeoutMs: 200 });
    const gate = graph.profiles.holdSlow();
    try {
      const res = await graph.router.query('{ slow }');
      expect(errorCode(res)).toBe('UNAVAILABLE');
    } finally {
      gate.release();
      await graph.stop();
    }
  });
});

describe('router: production settings', () => {
  it('refuses introspection when turned off, without schema hints', async () => {
    const graph = await startTestGraph({ introspection: false });
    try {
      const res = await graph.router.query('{ __schema { types { name } } }');
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      const typo = await graph.router.query('{ principl }');
      expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean/);
      expect((await graph.router.query('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
    } finally {
      await graph.stop();
    }
  });

  it('fails to start in composed mode when a subgraph cannot be reached', async () => {
    const started = startTestRouter({
      identityUrl: await deadUrl(),
      supergraph: { kind: 'composed', subgraphs: [{ name: 'gone', url: `${await deadUrl()}/graphql` }] },
    });
    await expect(started).rejects.toThrow();
  });
});
