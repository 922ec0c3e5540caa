import { signRequest } from '@chatgraph/kit';
import { codeOf, type WithErrors } from '@chatgraph/test-support';
import { DEMO_EMBEDDING_DIMENSIONS, demoEmbedding } from '../src/providers/demoProvider';
import { ANON, SECRET, startAiGateway, userPrincipal, type Harness } from './harness';

/** The subgraph as the router calls it: signed GraphQL, and the signed embeddings route. */

let h: Harness;
beforeAll(async () => {
  h = await startAiGateway();
});
afterAll(() => h.dispose());

const PROVIDERS =
  '{ providers { provider model deployment healthy circuitState consecutiveFailures lastErrorAt firstTokenLatencyP50Ms firstTokenLatencyLastMs } }';

describe('models', () => {
  it('lists the catalog, the local demo model named as such', async () => {
    const res = await h.gql(
      ANON,
      '{ models { id provider displayName contextWindow capabilities inputPricePerMTok outputPricePerMTok available } }',
    );
    expect(res.errors).toBeUndefined();
    const models = res.data?.models as Array<Record<string, unknown>>;
    expect(models.map((m) => m.id)).toEqual(['local-demo', 'local-demo-embedding', 'gated']);
    expect(models[0]).toEqual({
      id: 'local-demo',
      provider: 'demo',
      displayName: expect.stringMatching(/local demo model/i),
      contextWindow: 8192,
      capabilities: ['CHAT'],
      inputPricePerMTok: 0,
      outputPricePerMTok: 0,
      available: true,
    });
    expect(models[2]).toMatchObject({ id: 'gated', inputPricePerMTok: null, outputPricePerMTok: null });
  });

  it('filters by capability', async () => {
    const ids = async (capability: string) =>
      (await h.gql(ANON, 'query($c: ModelCapability) { models(capability: $c) { id capabilities } }', { c: capability })).data
        ?.models as Array<{ id: string; capabilities: string[] }>;
    const embeddings = await ids('EMBEDDINGS');
    expect(embeddings.map((m) => m.id)).toEqual(['local-demo-embedding']);
    const chat = await ids('CHAT');
    expect(chat.map((m) => m.id)).toEqual(['local-demo', 'gated']);
    expect(chat.every((m) => m.capabilities.includes('CHAT'))).toBe(true);
    expect(await ids('VISION')).toEqual([]);
    const bad = await h.gql(ANON, '{ models(capability: TELEPATHY) { id } }');
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
  });

  it('reads one model by id, and null for an unknown id', async () => {
    const res = await h.gql(userPrincipal('u1'), 'query($id: ID!) { model(id: $id) { id displayName } }', { id: 'local-demo' });
    expect(res.data?.model).toMatchObject({ id: 'local-demo' });
    const missing = await h.gql(userPrincipal('u1'), 'query($id: ID!) { model(id: $id) { id } }', { id: 'nope' });
    expect(missing.errors).toBeUndefined();
    expect(missing.data?.model).toBeNull();
  });

  it('resolves Model references for the router', async () => {
    const res = await h.gql(
      { kind: 'service', name: 'router' },
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Model { id available } } }',
      {
        r: [
          { __typename: 'Model', id: 'gated' },
          { __typename: 'Model', id: 'gone' },
        ],
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities).toEqual([{ id: 'gated', available: true }, null]);
  });
});

describe('providers', () => {
  it('reports every deployment to an ADMIN', async () => {
    const res = await h.gql(userPrincipal('admin', 'ADMIN'), PROVIDERS);
    expect(res.errors).toBeUndefined();
    expect(res.data?.providers).toContainEqual({
      provider: 'demo',
      model: 'local-demo',
      deployment: 'demo/local-demo',
      healthy: true,
      circuitState: 'CLOSED',
      consecutiveFailures: 0,
      lastErrorAt: null,
      firstTokenLatencyP50Ms: null,
      firstTokenLatencyLastMs: null,
    });
  });

  it('is FORBIDDEN to a USER and UNAUTHENTICATED to an anonymous caller', async () => {
    const user = await h.gql(userPrincipal('u1'), PROVIDERS);
    expect(codeOf(user)).toBe('FORBIDDEN');
    expect(user.data).toBeNull();
    expect(codeOf(await h.gql(ANON, PROVIDERS))).toBe('UNAUTHENTICATED');
  });

  it('refuses an unsigned request', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ models { id } }' }),
    });
    expect(res.status).toBe(401);
    expect(codeOf((await res.json()) as WithErrors)).toBe('UNAUTHENTICATED');
  });
});

describe('POST /internal/embeddings', () => {
  const embeddingsUrl = () => h.url.replace(/\/graphql$/, '/internal/embeddings');
  const post = async (body: unknown, signed = true) => {
    const text = JSON.stringify(body);
    const headers = {
      'content-type': 'application/json',
      ...(signed ? signRequest(SECRET, { kind: 'service', name: 'search' }, text) : {}),
    };
    const res = await fetch(embeddingsUrl(), { method: 'POST', headers, body: text });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> },
    };
  };

  it('embeds with the local hashing embedding by default: deterministic and normalized', async () => {
    const res = await post({ input: ['hello world', 'another text'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model: 'local-demo-embedding', dimensions: DEMO_EMBEDDING_DIMENSIONS });
    const vectors = res.body.vectors as number[][];
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toEqual(demoEmbedding('hello world'));
    expect(Math.hypot(...(vectors[0] ?? []))).toBeCloseTo(1, 6);
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it('refuses bad input with BAD_USER_INPUT naming the field', async () => {
    const empty = await post({ input: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('input'), extensions: { code: 'BAD_USER_INPUT' } });
    const tooLong = await post({ input: ['ok', 'x'.repeat(20_000)] });
    expect(tooLong.body.errors?.[0]?.message).toContain('input[1]');
    const chatModel = await post({ model: 'local-demo', input: ['hi'] });
    expect(chatModel.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('embeddings'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses an unsigned request', async () => {
    const res = await post({ input: ['hi'] }, false);
    expect(res.status).toBe(401);
    expect(codeOf(res.body)).toBe('UNAUTHENTICATED');
  });
});
