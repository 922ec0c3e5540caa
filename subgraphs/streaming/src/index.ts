/**
 * streaming's public entry: what launchers, benchmarks and end-to-end tests may use. Anything else
 * under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { loadStreamingConfig, streamingConfigSpec } from './config';
import { buildStreaming, type Streaming } from './server';

export { loadStreamingConfig, streamingConfigSpec, type StreamingConfig } from './config';
export { buildStreaming, STREAMING_SCHEMA_PATH, type Streaming, type StreamingDeps } from './server';

/**
 * streaming as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config
 * spec and README for the docs, its `main.ts` for the distributed mode, and how the one-process
 * mode builds it over the shared kv and bus (it keeps no documents).
 */
export const streamingSubgraph = {
  name: 'streaming' as const,
  portVariable: 'STREAMING_PORT',
  configSpec: streamingConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<Streaming> => {
    return buildStreaming({ kv: context.kv, bus: context.bus, config: loadStreamingConfig(context.env), logger: context.logger });
  },
} satisfies SubgraphDescriptor<'streaming', Streaming>;
