/**
 * assistant's public entry: what launchers, benchmarks and end-to-end tests may use. Anything
 * else under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { assistantConfigSpec, loadAssistantConfig } from './config';
import { buildAssistant, type Assistant } from './server';

export { assistantConfigSpec, loadAssistantConfig, type AssistantConfig } from './config';
export { ASSISTANT_SCHEMA_PATH, buildAssistant, type Assistant, type AssistantDeps } from './server';
// The stored shapes and their collections: tests and benchmarks read stored state through them.
export { assistantCollections, type AssistantCollections, type AssistantDoc } from './store';

/**
 * assistant as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config
 * spec and README for the docs, its `main.ts` for the distributed mode, and how the one-process
 * mode builds it over the shared adapters.
 */
export const assistantSubgraph = {
  name: 'assistant' as const,
  portVariable: 'ASSISTANT_PORT',
  configSpec: assistantConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<Assistant> => {
    const config = loadAssistantConfig(context.env);
    return buildAssistant({ store: await context.openStore(), bus: context.bus, config, logger: context.logger });
  },
} satisfies SubgraphDescriptor<'assistant', Assistant>;
