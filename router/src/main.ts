/**
 * Production entry: reads the environment, serves, and drains on SIGTERM/SIGINT.
 * `pnpm start:router` (file mode by default; set SUBGRAPH_URLS to compose from running subgraphs).
 */
import { ConfigError, createLogger, onShutdownSignals } from '@chatgraph/kit';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { loadRouterConfig } from './config';
import { routerDepsFromConfig } from './fromConfig';
import { rateLimitFromConfig } from './rateLimit';
import { buildRouter } from './server';

async function main(): Promise<void> {
  const config = loadRouterConfig(process.env);
  const logger = createLogger({ name: 'router', level: config.LOG_LEVEL });
  // Identity's principal directory: shared with identity only with KV_STORE=redis (an embedded kv
  // here stays empty, and credentials are then checked by signature only; the router logs it).
  const kv = kvStoreFromConfig(config, logger);
  await kv.start();
  const router = buildRouter({ ...routerDepsFromConfig(config, logger), principals: kv, rateLimit: rateLimitFromConfig(config, kv) });
  await router.start(config.ROUTER_PORT, config.ROUTER_HOST);

  onShutdownSignals(logger, async () => {
    await router.stop();
    await kv.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
