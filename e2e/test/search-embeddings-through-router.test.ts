/**
 * Semantic search with real embeddings plumbing, end to end: the one-process launcher with
 * SEARCH_EMBEDDINGS=ai-gateway (search connected to its ai-gateway once that listens), a model
 * catalog whose `embeddingModel` is served by a fake OpenAI-compatible server (`/v1/embeddings`
 * answering concept vectors, under which synonyms coincide), messages sent with `sendMessage`,
 * and `search` asked through the router. A query that shares no word (nor trigram) with a message
 * finds it by meaning, and never another user's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { fakeEmbeddingsCatalog } from '../../subgraphs/ai-gateway/test/support/catalogs';
import { startFakeOpenAI, type FakeOpenAI } from '../../subgraphs/ai-gateway/test/support/fakeOpenAI';
import { conceptVector } from '../../subgraphs/search/test/support/conceptEmbedding';

const DIMS = 24;
let stack: EmbeddedStack;
let fake: FakeOpenAI;
let dataDir: string;

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
interface Hits {
  search: { edges: Array<{ node: { kind: string; message: { id: string; content: string } | null } }> };
}

async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

async function register(email: string): Promise<string> {
  const res = await gql<{ register: { accessToken: string } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email, name: email, password: 'a perfectly fine passphrase' } },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return token;
}

async function send(token: string, content: string): Promise<void> {
  const res = await gql(token, 'mutation($c: String!) { sendMessage(input: { content: $c }) { conversation { id } } }', { c: content });
  if (res.errors) throw new Error(`sendMessage failed: ${JSON.stringify(res.errors)}`);
}

async function contents(token: string, q: string, mode: string): Promise<string[]> {
  const res = await gql<Hits>(
    token,
    `query($q: String!) { search(query: $q, mode: ${mode}, kinds: [MESSAGE]) { edges { node { kind message { id content } } } } }`,
    { q },
  );
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return (res.data?.search.edges ?? []).flatMap((e) => (e.node.message ? [e.node.message.content] : []));
}

/** Reads until `done` passes or 400 reads were made, 10 ms apart; returns the last read. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 400 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = await read();
  }
  return value;
}

beforeAll(async () => {
  fake = await startFakeOpenAI({
    embeddingDimensions: DIMS,
    embedding: (text, dims, model) => conceptVector(text, dims, model) ?? new Array<number>(dims).fill(0),
  });
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-search-embeddings-'));
  const catalogFile = path.join(dataDir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(fakeEmbeddingsCatalog(fake.baseURL)));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    MODEL_CATALOG_FILE: catalogFile,
    DEMO_TOKEN_INTERVAL_MS: '1',
    SEARCH_EMBEDDINGS: 'ai-gateway',
    SEARCH_EMBEDDING_DIMENSIONS: String(DIMS),
  });
});

afterAll(async () => {
  await stack.stop();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('semantic search with ai-gateway embeddings, through the router', () => {
  it("finds a message by a synonym (automobile -> car) through ai-gateway's embeddings route, only ever the caller's own", async () => {
    const ada = await register('ada-embeddings@example.com');
    const bob = await register('bob-embeddings@example.com');
    const adaCar = 'My car broke down on the highway';
    const adaCat = 'We adopted a kitten last week';
    const bobCar = 'Selling my automobile cheaply';
    await send(ada, adaCar);
    await send(ada, adaCat);
    await send(bob, bobCar);

    const found = await eventually(
      () => contents(ada, 'automobile', 'SEMANTIC'),
      (hits) => hits[0] === adaCar,
    );
    expect(found[0]).toBe(adaCar);
    expect(found).not.toContain(bobCar);
    // The words themselves do not match: the hit came from the vectors.
    expect(await contents(ada, 'automobile', 'KEYWORD')).toEqual([]);
    expect((await contents(ada, 'feline', 'HYBRID'))[0]).toBe(adaCat);
    // The vectors were computed by the catalog's embedding model, through the OpenAI-compatible API.
    const embeddingCalls = fake.requests.filter((r) => r.path === '/v1/embeddings');
    expect(embeddingCalls.length).toBeGreaterThan(0);
    expect(embeddingCalls.every((r) => r.model === 'fake-embed')).toBe(true);
  });
});
