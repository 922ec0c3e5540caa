import { parseCatalog, type ModelCatalog } from '../../src/catalog';

/** Route entry for a fake-server deployment. */
export interface FakeRoute {
  model: string;
  priority?: number;
  weight?: number;
  provider?: string;
}

/**
 * A catalog whose provider `fake` (and `fake2`) points at the fake OpenAI server, with one model
 * per entry of `models` routed to the given deployments; `chat-title` and `embed` models too.
 */
export function fakeCatalog(
  baseURL: string,
  models: Record<string, FakeRoute[]>,
  extra: { titleModel?: string; embeddingModel?: string } = {},
): ModelCatalog {
  const ids = Object.keys(models);
  return parseCatalog(
    {
      providers: [
        { id: 'fake', kind: 'openai', baseURL, apiKeyEnv: 'FAKE_OPENAI_KEY', headers: { 'x-test': 'yes' } },
        { id: 'fake2', kind: 'openai', baseURL },
        { id: 'demo', kind: 'demo' },
      ],
      models: [
        ...ids.map((id) => ({
          id,
          displayName: `Model ${id}`,
          contextWindow: 8192,
          capabilities: ['chat'],
          inputPricePerMTok: 1,
          outputPricePerMTok: 2,
        })),
        { id: 'embed', displayName: 'Embedding', contextWindow: 8192, capabilities: ['embeddings'] },
      ],
      routes: {
        ...Object.fromEntries(
          ids.map((id) => [
            id,
            (models[id] ?? []).map((r) => ({
              provider: r.provider ?? 'fake',
              model: r.model,
              priority: r.priority ?? 1,
              weight: r.weight ?? 1,
            })),
          ]),
        ),
        embed: [{ provider: 'fake', model: 'text-embed' }],
      },
      titleModel: extra.titleModel ?? ids[0],
      embeddingModel: extra.embeddingModel ?? 'embed',
    },
    { FAKE_OPENAI_KEY: 'sk-test-key' },
  );
}

/**
 * A catalog (MODEL_CATALOG_FILE contents) whose embedding model `fake-embed` is served by the fake
 * OpenAI server at `baseURL`, beside the built-in demo chat model.
 */
export function fakeEmbeddingsCatalog(baseURL: string): Record<string, unknown> {
  return {
    providers: [
      { id: 'demo', kind: 'demo' },
      { id: 'fake', kind: 'openai', baseURL },
    ],
    models: [
      { id: 'local-demo', displayName: 'Local demo', contextWindow: 8192, capabilities: ['chat'] },
      { id: 'fake-embed', displayName: 'Fake embeddings', contextWindow: 8192, capabilities: ['embeddings'] },
    ],
    routes: { 'local-demo': [{ provider: 'demo', model: 'local-demo' }], 'fake-embed': [{ provider: 'fake', model: 'fake-embed' }] },
    titleModel: 'local-demo',
    embeddingModel: 'fake-embed',
  };
}
