/**
 * search's public entry: what launchers, benchmarks and end-to-end tests may use. Anything else
 * under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { searchIndexFromConfig } from '@chatgraph/kit/search';
import { loadSearchConfig, searchConfigSpec } from './config';
import { searchIndexDefinition } from './definition';
import { embedderFromConfig } from './embeddingConfig';
import { buildSearch, type Search } from './server';

export { loadSearchConfig, searchConfigSpec, type SearchConfig } from './config';
export { searchIndexDefinition, DOC_KINDS } from './definition';
export { hashedTrigramEmbedder, trigramVector, EmbeddingUnavailableError, type Embedder, type Embeddings } from './embedding';
export { gatewayEmbedder, type GatewayEmbedderOptions } from './gatewayEmbedder';
export { embedderFromConfig } from './embeddingConfig';
export { PENDING_EMBEDDING } from './embedForIndexing';
export { Reembedding } from './reembedding';
export { buildSearch, SEARCH_SCHEMA_PATH, type Search, type SearchDeps } from './server';

/**
 * search as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config spec
 * and README for the docs, its `main.ts` for the distributed mode, and how the one-process mode
 * builds it over the shared bus (it keeps no documents: its index is journalled and snapshotted in its data folder).
 */
export const searchSubgraph = {
  name: 'search' as const,
  portVariable: 'SEARCH_PORT',
  configSpec: searchConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<Search & { connectAiGateway(url: string): void }> => {
    const config = loadSearchConfig(context.env, { oneProcess: true });
    let gatewayUrl = config.AI_GATEWAY_URL;
    const embedder = embedderFromConfig(config, context.logger, () => gatewayUrl);
    const index = searchIndexFromConfig(config, searchIndexDefinition(config.SEARCH_INDEX_NAME, embedder.dims), {
      dataDir: context.dataDir,
      logger: context.logger,
    });
    const search = buildSearch({ index, embedder, bus: context.bus, config, logger: context.logger });
    return Object.assign(search, {
      /** The launcher's ai-gateway, for SEARCH_EMBEDDINGS=ai-gateway without AI_GATEWAY_URL (its port is known once it listens). */
      connectAiGateway(url: string) {
        gatewayUrl ??= url;
      },
    });
  },
} satisfies SubgraphDescriptor<'search', Search & { connectAiGateway(url: string): void }>;
