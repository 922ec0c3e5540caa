/**
 * ai-gateway's public entry: what launchers, benchmarks and end-to-end tests may use. Anything
 * else under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { catalogFromConfig } from './catalog';
import { aiGatewayConfigSpec, loadAiGatewayConfig } from './config';
import { searchIndexFromConfig } from '@chatgraph/kit/search';
import { fileChunkIndexDefinition } from './tools/fileChunks';
import { buildAiGateway, type AiGateway } from './server';

export { aiGatewayConfigSpec, loadAiGatewayConfig, type AiGatewayConfig } from './config';
export { createMcpToolSources, type McpToolsConfig } from './tools/mcpToolSources';
export { fileChunkIndexDefinition } from './tools/fileChunks';
export { buildAiGateway, catalogFromConfig, AI_GATEWAY_SCHEMA_PATH, type AiGateway, type AiGatewayDeps, type ModelCatalog } from './server';

/**
 * ai-gateway as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config
 * spec and README for the docs, its `main.ts` for the distributed mode, and how the one-process
 * mode builds it over the shared adapters (the model catalog from the same environment).
 */
export const aiGatewaySubgraph = {
  name: 'ai-gateway' as const,
  portVariable: 'AI_GATEWAY_PORT',
  configSpec: aiGatewayConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<AiGateway> => {
    const config = loadAiGatewayConfig(context.env);
    const store = await context.openStore();
    return buildAiGateway({
      store,
      bus: context.bus,
      kv: context.kv,
      config,
      catalog: catalogFromConfig(config, context.env),
      logger: context.logger,
      fileChunkIndex: searchIndexFromConfig(config, fileChunkIndexDefinition(config.FILE_CHUNK_INDEX_NAME), {
        dataDir: context.dataDir,
        logger: context.logger,
      }),
    });
  },
} satisfies SubgraphDescriptor<'ai-gateway', AiGateway>;
