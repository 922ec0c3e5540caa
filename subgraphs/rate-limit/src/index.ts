/**
 * rate-limit's public entry: what launchers, benchmarks and end-to-end tests may use. Anything
 * else under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { loadRateLimitConfig, rateLimitConfigSpec } from './config';
import { buildRateLimit, type RateLimit } from './server';

export { loadRateLimitConfig, rateLimitConfigSpec, type RateLimitConfig } from './config';
export { buildRateLimit, RATE_LIMIT_SCHEMA_PATH, type RateLimit, type RateLimitDeps } from './server';
// The stored shapes and their collections: benchmarks seed and read stored state through them.
export { rateLimitCollections, type RateLimitCollections } from './store';

/**
 * rate-limit as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config
 * spec and README for the docs, its `main.ts` for the distributed mode, and how the one-process
 * mode builds it over the shared adapters.
 */
export const rateLimitSubgraph = {
  name: 'rate-limit' as const,
  portVariable: 'RATE_LIMIT_PORT',
  configSpec: rateLimitConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<RateLimit> => {
    const config = loadRateLimitConfig(context.env);
    return buildRateLimit({ store: await context.openStore(), bus: context.bus, kv: context.kv, config, logger: context.logger });
  },
} satisfies SubgraphDescriptor<'rate-limit', RateLimit>;
