/**
 * Production entry: reads the environment, serves, and drains on SIGTERM/SIGINT.
 * `pnpm start:router` (file mode by default; set SUBGRAPH_URLS to compose from running subgraphs).
 */
import { ConfigError, createLogger, onShutdownSignals } from '@chatgraph/kit';
import { loadRouterConfig } from './config';
import { routerDepsFromConfig } from './fromConfig';
import { buildRouter } from './server';

async function main(): Promise<void> {
  const config = loadRouterConfig(process.env);
  const logger = createLogger({ name: 'router', level: config.LOG_LEVEL });
  const router = buildRouter(routerDepsFromConfig(config, logger));
  await router.start(config.ROUTER_PORT, config.ROUTER_HOST);

  onShutdownSignals(logger, () => router.stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
