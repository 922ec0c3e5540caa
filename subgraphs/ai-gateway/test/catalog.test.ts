import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInCatalog, CatalogError, catalogFromConfig, loadCatalogFile, parseCatalog } from '../src/catalog';
import { loadAiGatewayConfig } from '../src/config';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ai-gateway-catalog-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const YAML_CATALOG = `
providers:
  - id: openai
    kind: openai
    apiKeyEnv: OPENAI_API_KEY
  - id: ollama
    kind: openai
    baseURL: http://127.0.0.1:11434/v1
    headers: { X-Client: chatgraph }
    timeoutMs: 120000
    streamUsage: false
models:
  - id: gpt-4o-mini
    displayName: GPT-4o mini
    contextWindow: 128000
    capabilities: [chat, vision]
    inputPricePerMTok: 0.15
    outputPricePerMTok: 0.6
  - id: text-embedding-3-small
    displayName: OpenAI small embeddings
    contextWindow: 8191
    capabilities: [embeddings]
routes:
  gpt-4o-mini:
    - { provider: openai, model: gpt-4o-mini, priority: 1, weight: 3 }
    - { provider: ollama, model: llama3.2, priority: 2 }
  text-embedding-3-small:
    - { provider: openai, model: text-embedding-3-small }
titleModel: gpt-4o-mini
embeddingModel: text-embedding-3-small
`;

/** The problems a bad catalog reports. */
function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseCatalog(raw, env, 'test.yaml');
  } catch (error) {
    if (error instanceof CatalogError) return error.problems;
    throw error;
  }
  throw new Error('the catalog was accepted');
}

const valid = () => ({
  providers: [{ id: 'p', kind: 'openai', baseURL: 'http://127.0.0.1:1/v1' }],
  models: [{ id: 'm', displayName: 'M', contextWindow: 4096, capabilities: ['chat'] }],
  routes: { m: [{ provider: 'p', model: 'x' }] },
});

describe('the model catalog file', () => {
  it('loads a YAML catalog, resolving API keys from the environment', async () => {
    const file = path.join(dir, 'catalog.yaml');
    await writeFile(file, YAML_CATALOG);
    const catalog = loadCatalogFile(file, { OPENAI_API_KEY: 'sk-live' });
    expect(catalog.providers[0]).toMatchObject({ id: 'openai', kind: 'openai', apiKey: 'sk-live', streamUsage: true });
    expect(catalog.providers[1]).toMatchObject({
      baseURL: 'http://127.0.0.1:11434/v1',
      headers: { 'X-Client': 'chatgraph' },
      timeoutMs: 120000,
      streamUsage: false,
    });
    expect(catalog.routes['gpt-4o-mini']).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini', priority: 1, weight: 3 },
      { provider: 'ollama', model: 'llama3.2', priority: 2, weight: 1 },
    ]);
    expect(catalog).toMatchObject({ titleModel: 'gpt-4o-mini', embeddingModel: 'text-embedding-3-small' });
  });

  it('loads a JSON catalog', async () => {
    const file = path.join(dir, 'catalog.json');
    await writeFile(file, JSON.stringify(valid()));
    expect(loadCatalogFile(file, {}).models.map((m) => m.id)).toEqual(['m']);
  });

  it('names the environment variable of a missing key', async () => {
    const file = path.join(dir, 'nokey.yaml');
    await writeFile(file, YAML_CATALOG);
    expect(() => loadCatalogFile(file, {})).toThrow(/providers\[0\]\.apiKeyEnv: the environment variable OPENAI_API_KEY is not set/);
  });

  it('refuses an API key written in the file', () => {
    expect(problemsOf({ ...valid(), providers: [{ id: 'p', kind: 'openai', apiKey: 'sk-oops' }] })).toContainEqual(
      expect.stringMatching(/^providers\[0\]\.apiKey: keys never go in the catalog/),
    );
  });

  it('reports each bad field with its path', () => {
    const problems = problemsOf({
      providers: [
        { id: 'p', kind: 'anthropic' },
        { id: 'q', kind: 'openai', baseURL: 'ftp://x' },
      ],
      models: [{ id: 'm', displayName: 'M', contextWindow: 'big', inputPricePerMTok: -1 }],
      routes: { m: [{ provider: 'nope', model: 'x', weight: 0 }], ghost: [{ provider: 'q', model: 'y' }] },
      titleModel: 'ghost',
      extra: true,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\(root\)\.extra: is not a known field/),
        expect.stringMatching(/^providers\[0\]\.kind: must be `openai`/),
        expect.stringMatching(/^providers\[1\]\.baseURL: must be an http\(s\) URL/),
        expect.stringMatching(/^models\[0\]\.contextWindow: must be an integer/),
        expect.stringMatching(/^models\[0\]\.inputPricePerMTok: must be a number >= 0/),
        expect.stringMatching(/^routes\.m\[0\]\.provider: names no provider/),
        expect.stringMatching(/^routes\.m\[0\]\.weight: must be an integer from 1/),
        expect.stringMatching(/^routes\.ghost: names no model/),
        expect.stringMatching(/^titleModel: names no model/),
      ]),
    );
  });

  it("refuses a capability outside the graph's ModelCapability enum", () => {
    expect(
      problemsOf({ ...valid(), models: [{ id: 'm', displayName: 'M', contextWindow: 4096, capabilities: ['chat', 'telepathy'] }] }),
    ).toContainEqual(expect.stringMatching(/^models\[0\]\.capabilities\[1\]: must be one of chat, vision, embeddings, tools/));
  });

  it('requires a route for every model and a chat-capable title model', () => {
    expect(problemsOf({ ...valid(), routes: {} })).toContainEqual(expect.stringMatching(/^routes\.m: is missing/));
    expect(
      problemsOf({
        ...valid(),
        models: [{ id: 'm', displayName: 'M', contextWindow: 4096, capabilities: ['embeddings'] }],
        titleModel: 'm',
      }),
    ).toContainEqual(expect.stringMatching(/^titleModel: names m, which lacks the `chat` capability/));
  });

  it('reports unreadable and unparsable files with the file name', async () => {
    expect(() => loadCatalogFile(path.join(dir, 'missing.yaml'), {})).toThrow(/missing\.yaml:\n {2}- cannot be read \(ENOENT\)/);
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'providers: [unclosed');
    expect(() => loadCatalogFile(broken, {})).toThrow(/broken\.yaml[\s\S]*not valid YAML\/JSON/);
  });

  it('defaults to the local demo model, named so, and the local embedding', async () => {
    const file = path.join(dir, 'from-config.json');
    await writeFile(file, JSON.stringify(valid()));
    expect(catalogFromConfig({ MODEL_CATALOG_FILE: file }, {}).models.map((m) => m.id)).toEqual(['m']);
    expect(catalogFromConfig({ MODEL_CATALOG_FILE: undefined }, {})).toEqual(builtInCatalog());
    const catalog = builtInCatalog();
    expect(catalog.models[0]).toMatchObject({ id: 'local-demo', displayName: expect.stringMatching(/local demo model/i) });
    expect(catalog).toMatchObject({ titleModel: 'local-demo', embeddingModel: 'local-demo-embedding' });
  });
});

describe('configuration', () => {
  const base = { INTERNAL_SIGNING_SECRET: 'x'.repeat(32) };

  it('has working defaults', () => {
    expect(loadAiGatewayConfig(base)).toMatchObject({
      AI_GATEWAY_PORT: 4006,
      DEMO_TOKEN_INTERVAL_MS: 15,
      STREAM_RETENTION_MS: 600_000,
      KV_STORE: 'embedded',
      MODEL_CATALOG_FILE: undefined,
    });
  });

  it('names every bad variable', () => {
    expect(() =>
      loadAiGatewayConfig({
        ...base,
        KV_STORE: 'redis',
        DEMO_TOKEN_INTERVAL_MS: '-1',
        GENERATION_LEASE_MS: '2000',
        GENERATION_HEARTBEAT_MS: '1500',
      }),
    ).toThrow(/DEMO_TOKEN_INTERVAL_MS/);
    expect(() => loadAiGatewayConfig({ ...base, KV_STORE: 'redis' })).toThrow(/REDIS_URL is required/);
    expect(() => loadAiGatewayConfig({ ...base, GENERATION_LEASE_MS: '2000', GENERATION_HEARTBEAT_MS: '1500' })).toThrow(
      /GENERATION_HEARTBEAT_MS \(1500\) must be at most half/,
    );
  });
});
