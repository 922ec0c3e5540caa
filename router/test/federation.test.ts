import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '@chatgraph/kit';
import { composeTestSupergraph } from './support/compose';
import { TEST_IDENTITY_SDL } from './support/testIdentity';
import { profilesSdl } from './support/testProfiles';
import { SigningDataSource } from '../src/dataSource';
import { SubgraphTransport } from '../src/subgraphTransport';
import { silentLogger } from './support/logs';
import { captureLogs } from './support/logs';
import { errorCode, postGraphQL } from './support/http';
import { executedRequests } from './support/metrics';
import { startTestGraph, startTestRouter, TEST_SECRET, type TestGraph } from './support/testGraph';

describe('router: federated execution', () => {
  let graph: TestGraph;
  const logs = captureLogs('router');

  beforeAll(async () => {
    graph = await startTestGraph({ logger: logs.logger });
  });
  afterAll(() => graph.stop());

  it('runs a query spanning both subgraphs with a JWT, forwarding the principal to _entities too', async () => {
    const token = graph.identity.signToken({ sub: 'alice' });
    const res = await graph.router.query('{ me { id name bio } }', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { id: 'alice', name: 'User alice', bio: 'bio of alice read by alice' } } });
  });

  it('forwards the request id to subgraphs and echoes it', async () => {
    const res = await graph.router.query('{ requestId }', { headers: { 'x-request-id': 'trace-123' } });
    expect(res.body.data).toEqual({ requestId: 'trace-123' });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    const generated = await graph.router.query('{ requestId }');
    expect(generated.body.data?.requestId).toBe(generated.headers.get('x-request-id'));
    expect(generated.body.data?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a coded error from a subgraph', async () => {
    const res = await graph.router.query('{ denied }');
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Not your profile', path: ['denied'], extensions: { code: 'FORBIDDEN' } });
    expect(JSON.stringify(res.body)).not.toContain('profiles');
  });

  it('masks a raw subgraph error as INTERNAL with a request id and no internals, and logs it', async () => {
    const res = await graph.router.query('{ boom }');
    const error = res.body.errors?.[0];
    expect(error?.message).toBe('Internal error');
    expect(error?.extensions?.code).toBe('INTERNAL');
    const requestId = error?.extensions?.requestId;
    expect(requestId).toBe(res.headers.get('x-request-id'));
    expect(Object.keys(error?.extensions ?? {}).sort()).toEqual(['code', 'requestId']);
    expect(JSON.stringify(res.body)).not.toMatch(/mongodb|db-secret-host|ECONNREFUSED|profiles|stack/i);
    expect(logs.lines.some((line) => line.includes(String(requestId)) && line.includes('"level":50'))).toBe(true);
  });

  it('keeps _service and _entities unreachable without the router signature', async () => {
    for (const url of [graph.profiles.graphqlUrl, graph.identity.graphqlUrl]) {
      for (const query of [
        '{ _service { sdl } }',
        '{ _entities(representations: [{ __typename: "User", id: "alice" }]) { ... on User { id } } }',
      ]) {
        const res = await postGraphQL(url, query);
        expect(res.status).toBe(401);
        expect(errorCode(res)).toBe('UNAUTHENTICATED');
        expect(res.body.data).toBeUndefined();
      }
    }
  });

  it('signs over the exact body: a signature replayed on another body is refused by the subgraph', async () => {
    const signed = JSON.stringify({ query: '{ requestId }' });
    const headers = signRequest(TEST_SECRET, { kind: 'anonymous' }, signed);
    const res = await postGraphQL(graph.profiles.graphqlUrl, '{ _service { sdl } }', { headers });
    expect(res.status).toBe(401);
  });

  it("signs the gateway's own requests (composition, health checks) as the router", async () => {
    const transport = new SubgraphTransport(5000);
    const dataSource = new SigningDataSource({
      name: 'identity',
      url: graph.identity.graphqlUrl,
      signingSecret: TEST_SECRET,
      logger: silentLogger(),
      transport,
    });
    // The same path IntrospectAndCompose takes to fetch `_service { sdl }`.
    const response = await dataSource.process({ kind: 'loading schema' as never, request: { query: '{ principal }' }, context: {} });
    transport.close();
    expect(JSON.parse(String(response.data?.principal))).toEqual({ kind: 'service', name: 'router' });
  });

  it('reports a router whose signing secret the subgraphs do not share as INTERNAL, never UNAUTHENTICATED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'router-secret-'));
    const path = join(dir, 'supergraph.graphql');
    await writeFile(
      path,
      composeTestSupergraph([
        { name: 'identity', url: graph.identity.graphqlUrl, typeDefs: TEST_IDENTITY_SDL },
        { name: 'profiles', url: graph.profiles.graphqlUrl, typeDefs: profilesSdl({ added: true }) },
      ]),
    );
    const wrong = captureLogs('wrong-router');
    const router = await startTestRouter({
      identityUrl: graph.identity.url,
      signingSecret: 'another-secret-0123456789abcdef0123',
      logger: wrong.logger,
      supergraph: { kind: 'file', path, pollMs: 60_000 },
    });
    try {
      const res = await router.query('{ requestId }');
      expect(errorCode(res)).toBe('INTERNAL');
      expect(wrong.lines.some((line) => line.includes('INTERNAL_SIGNING_SECRET'))).toBe(true);
    } finally {
      await router.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('executes nothing at subgraphs for a request the router refuses as invalid GraphQL', async () => {
    const before = await executedRequests(graph.profiles.subgraph);
    const res = await graph.router.query('{ nope }');
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(await executedRequests(graph.profiles.subgraph)).toBe(before);
  });
});
