import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeTestSupergraph } from './support/compose';
import { deadUrl, errorCode, eventually } from './support/http';
import { executedRequests } from './support/metrics';
import { startTestGraph, startTestRouter, type TestGraph } from './support/testGraph';
import { TEST_IDENTITY_SDL } from './support/testIdentity';

describe('router: authentication', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    // Long intervals: only the first unknown kid may cause a JWKS fetch, and API-key answers stay cached.
    graph = await startTestGraph({ auth: { apiKeyCacheMs: 60_000, jwksMinRefetchIntervalMs: 60_000 } });
  });
  afterAll(() => graph.stop());

  const principalSeen = async (token?: string): Promise<unknown> => {
    const res = await graph.router.query('{ principal }', { token });
    expect(res.status).toBe(200);
    return JSON.parse(String(res.body.data?.principal));
  };

  it('forwards no Authorization header as the anonymous principal', async () => {
    expect(await principalSeen()).toEqual({ kind: 'anonymous' });
    expect((await graph.router.query('{ me { id } }')).body).toEqual({ data: { me: null } });
  });

  it('forwards a valid JWT as the user with its session', async () => {
    const token = graph.identity.signToken({ sub: 'bob', role: 'ADMIN', sid: 'sess-9' });
    expect(await principalSeen(token)).toEqual({ kind: 'user', userId: 'bob', role: 'ADMIN', via: 'jwt', sessionId: 'sess-9' });
  });

  it('refuses an expired JWT with 401 and forwards nothing', async () => {
    const before = await executedRequests(graph.identity.subgraph);
    const res = await graph.router.query('{ principal }', { token: graph.identity.signToken({ expiresIn: -60 }) });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.body.data).toBeUndefined();
    expect(await executedRequests(graph.identity.subgraph)).toBe(before);
  });

  it('refuses a tampered JWT', async () => {
    const [head, , signature] = graph.identity.signToken({ sub: 'mallory' }).split('.');
    const claims = {
      iss: 'chatgraph-identity',
      aud: 'chatgraph',
      sub: 'alice',
      role: 'ADMIN',
      sid: 's',
      iat: 0,
      exp: 4_000_000_000,
      jti: 'x',
    };
    const forged = `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const res = await graph.router.query('{ principal }', { token: forged });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });

  it('refuses garbage credentials and a non-Bearer scheme', async () => {
    for (const authorization of ['Bearer not-a-jwt', 'Basic YWxpY2U6c2VjcmV0', 'Bearer']) {
      const res = await graph.router.query('{ principal }', { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
    }
  });

  it('refetches the JWKS once for an unknown kid, then refuses; more unknown kids cause no fetch', async () => {
    await principalSeen(graph.identity.signToken()); // the keys are cached
    const fetchesBefore = graph.identity.calls.jwks;
    const unpublished = graph.identity.newKey();
    const first = await graph.router.query('{ principal }', { token: graph.identity.signToken({ key: unpublished }) });
    expect(first.status).toBe(401);
    expect(errorCode(first)).toBe('UNAUTHENTICATED');
    expect(graph.identity.calls.jwks).toBe(fetchesBefore + 1);
    for (let i = 0; i < 5; i++) {
      const res = await graph.router.query('{ principal }', { token: graph.identity.signToken({ key: graph.identity.newKey() }) });
      expect(res.status).toBe(401);
    }
    expect(graph.identity.calls.jwks).toBe(fetchesBefore + 1);
  });

  it('accepts a valid API key as the user with its scopes', async () => {
    const key = graph.identity.issueApiKey('carol', ['read']);
    expect(await principalSeen(key)).toMatchObject({ kind: 'user', userId: 'carol', role: 'USER', via: 'apiKey', scopes: ['read'] });
  });

  it('asks identity once per API key while the answer is cached, even for concurrent requests', async () => {
    const key = graph.identity.issueApiKey('dave', ['read']);
    const verifiesBefore = graph.identity.calls.verify;
    await Promise.all([principalSeen(key), principalSeen(key), principalSeen(key)]);
    await principalSeen(key);
    expect(graph.identity.calls.verify).toBe(verifiesBefore + 1);
  });

  it('refuses an unknown API key, and caches the refusal too', async () => {
    const verifiesBefore = graph.identity.calls.verify;
    for (let i = 0; i < 3; i++) {
      const res = await graph.router.query('{ principal }', { token: 'cgk_unknown_secret' });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
    }
    expect(graph.identity.calls.verify).toBe(verifiesBefore + 1);
  });

  it('lets a read-only API key query but not mutate; a write key may mutate', async () => {
    const readOnly = graph.identity.issueApiKey('frank', ['read']);
    const before = await executedRequests(graph.identity.subgraph);
    const refused = await graph.router.query('mutation { rename(name: "F") { name } }', { token: readOnly });
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.extensions?.requiredScope).toBe('write');
    expect(await executedRequests(graph.identity.subgraph)).toBe(before);

    const writer = graph.identity.issueApiKey('frank', ['read', 'write']);
    const done = await graph.router.query('mutation { rename(name: "Frank") { name } }', { token: writer });
    expect(done.body).toEqual({ data: { rename: { name: 'Frank' } } });
  });

  it('lets a JWT mutate (scopes only restrict API keys)', async () => {
    const res = await graph.router.query('mutation { rename(name: "Gina") { name } }', {
      token: graph.identity.signToken({ sub: 'gina' }),
    });
    expect(res.body).toEqual({ data: { rename: { name: 'Gina' } } });
  });

  it('answers UNAVAILABLE when identity answers the API-key check with an error', async () => {
    graph.identity.failVerification(true);
    try {
      const res = await graph.router.query('{ principal }', { token: graph.identity.issueApiKey('hank', ['read']) });
      expect(res.status).toBe(503);
      expect(errorCode(res)).toBe('UNAVAILABLE');
    } finally {
      graph.identity.failVerification(false);
    }
  });
});

describe('router: short caches (revocation, key rotation, identity outage)', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startTestGraph({ auth: { apiKeyCacheMs: 50, jwksCacheMs: 1, jwksMinRefetchIntervalMs: 60_000 } });
  });
  afterAll(() => graph.stop());

  it('refuses a revoked API key once its cache entry expires', async () => {
    const key = graph.identity.issueApiKey('erin', ['read']);
    expect((await graph.router.query('{ me { id } }', { token: key })).body).toEqual({ data: { me: { id: 'erin' } } });
    graph.identity.revokeApiKey(key);
    const refused = await eventually(async () => {
      const res = await graph.router.query('{ me { id } }', { token: key });
      return res.status === 401 ? res : undefined;
    });
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
  });

  it('keeps verifying JWTs with the cached keys when identity goes down', async () => {
    const token = graph.identity.signToken({ sub: 'jack' });
    expect((await graph.router.query('{ requestId }', { token })).status).toBe(200);
    await graph.identity.stop();
    const res = await graph.router.query('{ me { id bio } }', { token });
    // Authenticated with the stale keys: only identity's own field fails.
    expect(res.status).toBe(200);
    expect(errorCode(res)).toBe('UNAVAILABLE');
    const other = await graph.router.query('{ requestId }', { token });
    expect(other.status).toBe(200);
    expect(other.body.data?.requestId).toEqual(expect.any(String));
  });
});

describe('router: signing-key rotation', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startTestGraph({ auth: { jwksCacheMs: 600_000, jwksMinRefetchIntervalMs: 600_000 } });
  });
  afterAll(() => graph.stop());

  it('accepts tokens signed by a newly published key after one JWKS refetch', async () => {
    expect((await graph.router.query('{ me { id } }', { token: graph.identity.signToken({ sub: 'ivy' }) })).status).toBe(200);
    const fetchesBefore = graph.identity.calls.jwks;
    const rotated = graph.identity.newKey();
    graph.identity.publishKey(rotated);
    for (let i = 0; i < 3; i++) {
      const res = await graph.router.query('{ me { id } }', { token: graph.identity.signToken({ sub: 'ivy', key: rotated }) });
      expect(res.body).toEqual({ data: { me: { id: 'ivy' } } });
    }
    expect(graph.identity.calls.jwks).toBe(fetchesBefore + 1);
  });
});

describe('router: authentication while identity is down', () => {
  it('answers UNAVAILABLE (503) for JWTs and API keys, and still serves anonymous callers', async () => {
    const supergraph = composeTestSupergraph([{ name: 'identity', url: `${await deadUrl()}/graphql`, typeDefs: TEST_IDENTITY_SDL }]);
    const dir = await mkdtemp(join(tmpdir(), 'router-auth-'));
    const path = join(dir, 'supergraph.graphql');
    await writeFile(path, supergraph);
    const router = await startTestRouter({ identityUrl: await deadUrl(), supergraph: { kind: 'file', path, pollMs: 60_000 } });
    try {
      const someJwt = 'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1MSJ9.c2ln';
      for (const token of [someJwt, 'cgk_abc_def']) {
        const res = await router.query('{ __typename }', { token });
        expect(res.status).toBe(503);
        expect(errorCode(res)).toBe('UNAVAILABLE');
      }
      const anonymous = await router.query('{ __typename }');
      expect(anonymous.body).toEqual({ data: { __typename: 'Query' } });
    } finally {
      await router.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
