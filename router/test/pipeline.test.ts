import { errorCode, type GraphQLResult } from './support/http';
import { executedRequests } from './support/metrics';
import { startTestGraph, type TestGraph } from './support/testGraph';

/** The router's own request pipeline: what it refuses before any subgraph is called, and how. */
describe('router: request pipeline', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startTestGraph();
  });
  afterAll(() => graph.stop());

  const subgraphCalls = async (): Promise<number> =>
    (await executedRequests(graph.identity.subgraph)) + (await executedRequests(graph.profiles.subgraph));

  async function post(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<GraphQLResult> {
    const res = await fetch(graph.router.graphqlUrl, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResult['body'] };
  }

  it('refuses variables that do not coerce with 400 BAD_USER_INPUT, before any subgraph is called', async () => {
    const token = graph.identity.signToken({ sub: 'mo' });
    const before = await subgraphCalls();
    const wrongType = await graph.router.query('mutation($n: String!) { rename(name: $n) { name } }', {
      token,
      variables: { n: { not: 'a string' } },
    });
    const missing = await graph.router.query('mutation($n: String!) { rename(name: $n) { name } }', { token });
    expect(await subgraphCalls()).toBe(before);
    for (const res of [wrongType, missing]) {
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toMatch(/\$n/);
    }
    const ok = await graph.router.query('mutation($n: String!) { rename(name: $n) { name } }', { token, variables: { n: 'Mo' } });
    expect(ok.body).toEqual({ data: { rename: { name: 'Mo' } } });
  });

  it('runs the operation operationName names, and refuses an unknown or missing name', async () => {
    const query = 'query A { requestId } query B { principal }';
    expect((await post({ query, operationName: 'B' })).body).toEqual({ data: { principal: '{"kind":"anonymous"}' } });
    const before = await subgraphCalls();
    for (const body of [{ query, operationName: 'C' }, { query }]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
    }
    expect(await subgraphCalls()).toBe(before);
  });

  it('refuses malformed requests with 400 BAD_USER_INPUT', async () => {
    for (const body of [[{ query: '{ requestId }' }], { query: 42 }, { query: '{ requestId }', variables: 'x' }, {}, 'null']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
    }
  });

  it('blocks a POST a browser could send cross-site (simple content type, no preflight header)', async () => {
    const body = JSON.stringify({ query: '{ requestId }' });
    const before = await subgraphCalls();
    const blocked = await post(body, { 'content-type': 'text/plain' });
    expect(blocked.status).toBe(400);
    expect(blocked.body.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(await subgraphCalls()).toBe(before);
    const preflighted = await post(body, { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' });
    expect(preflighted.body.data?.requestId).toEqual(expect.any(String));
  });

  it('answers 406 to a client that accepts no JSON type, and honours application/graphql-response+json', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const refused = await fetch(graph.router.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/csv' },
      body,
    });
    expect(refused.status).toBe(406);
    const typed = await fetch(graph.router.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body,
    });
    expect(typed.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(await typed.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
